// Every in-tree plugin, built, in the SDK's fake host (mc/sdk_test.hpp) with its own
// .properties.example: the loader would accept its descriptor (ABI 2.0, kind, id, prefix, vtable and
// key strides, every declared key well-formed), the example names every declared key and nothing
// else, its values pass the declaration (types, ranges, choices) and `create` accepts them. Nothing
// is started: start would open databases, sockets and files.
#include <mc/sdk_test.hpp>

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

struct PluginCase {
    std::string id;
    mc_plugin_kind kind;
    std::string prefix;
};

const std::vector<PluginCase> kPlugins = {
    {"discovery-files", MC_KIND_DISCOVERY, "discovery.files"},
    {"discovery-registry", MC_KIND_DISCOVERY, "discovery.registry"},
    {"discovery-mdns", MC_KIND_DISCOVERY, "discovery.mdns"},
    {"store-sqlite", MC_KIND_STORE, "store.sqlite"},
    {"store-postgres", MC_KIND_STORE, "store.postgres"},
    {"mcp-stdio", MC_KIND_TRANSPORT, "mcp.stdio"},
    {"mcp-http", MC_KIND_TRANSPORT, "mcp.http"},
};

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// key = value lines; '#' and '!' start comments; keys relative to the plugin's prefix.
mc::sdk::test::Properties readExample(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    mc::sdk::test::Properties out;
    std::string line;
    while (std::getline(in, line)) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == '!') continue;
        const auto eq = t.find('=');
        if (eq == std::string::npos) throw std::runtime_error(path + ": not a key = value line: " + t);
        out[trim(t.substr(0, eq))] = trim(t.substr(eq + 1));
    }
    return out;
}

} // namespace

class PluginExamplesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginExamplesTest);
    CPPUNIT_TEST(testEveryPluginLoadsAndCreatesWithItsExample);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryPluginLoadsAndCreatesWithItsExample() {
        for (const auto& plugin : kPlugins) {
            const std::string so = std::string(MC_TEST_PLUGIN_DIR) + "/" + plugin.id + ".so";
            mc::sdk::test::FakeHost host(so);
            const auto problems = host.problems();
            CPPUNIT_ASSERT_MESSAGE(plugin.id + ": " + (problems.empty() ? "" : problems.front()), problems.empty());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(plugin.id, plugin.kind, host.descriptor().kind);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(plugin.id, plugin.id, std::string(mc::sdk::view(host.descriptor().id)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(plugin.id, plugin.prefix, std::string(mc::sdk::view(host.descriptor().config_prefix)));

            const auto example = readExample(std::string(MC_TEST_SOURCE_DIR) + "/plugins/" + plugin.id + "/" + plugin.id +
                                             ".properties.example");
            std::set<std::string> declared;
            for (const auto& k : host.keys()) declared.insert(std::string(mc::sdk::view(k.name)));
            for (const auto& name : declared)
                CPPUNIT_ASSERT_MESSAGE(plugin.id + ": the example does not show " + name, example.count(name) == 1);

            const auto resolved = host.resolve(example);
            CPPUNIT_ASSERT_MESSAGE(plugin.id + ": " + resolved.error, resolved.ok());
            auto instance = host.create(example);
            CPPUNIT_ASSERT_MESSAGE(plugin.id + ": " + instance->created().error, instance->created().ok());
            instance->destroy();
            CPPUNIT_ASSERT_MESSAGE(plugin.id + ": ABI violations", instance->violations().empty());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginExamplesTest);
