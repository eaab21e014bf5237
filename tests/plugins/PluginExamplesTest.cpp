// Every in-tree plugin, built, in the SDK's fake host (mc/sdk_test.hpp) with its own
// .properties.example: the loader would accept its descriptor (ABI 2.0, kind, id, prefix, vtable and
// key strides, every declared key well-formed), the example names every declared key and nothing
// else, its values pass the declaration (types, ranges, choices) and `create` accepts them. Then the
// lifecycle (start, the status the plugin reports, stop, destroy) of those that need nothing outside
// this machine's loopback, with the example's values where they would reach out replaced (a temp
// file, a closed port): not discovery-mdns (multicast) nor store-postgres (a server; StorePostgresTest).
#include "TestHttp.h"

#include <mc/config_doc.hpp>
#include <mc/sdk_test.hpp>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
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
    {"receiver-otlp", MC_KIND_RECEIVER, "receiver.otlp"},
    {"bus-nats", MC_KIND_BUS, "bus.nats"},
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

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The first line where two texts differ, for a readable failure.
std::string firstDifference(const std::string& want, const std::string& have) {
    std::istringstream a(want), b(have);
    std::string la, lb;
    for (int line = 1;; ++line) {
        const bool moreA = static_cast<bool>(std::getline(a, la)), moreB = static_cast<bool>(std::getline(b, lb));
        if (!moreA && !moreB) return "no difference";
        if (!moreA || !moreB || la != lb)
            return "line " + std::to_string(line) + ": generated '" + (moreA ? la : "<end>") + "', file has '" +
                   (moreB ? lb : "<end>") + "'";
    }
}

} // namespace

class PluginExamplesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginExamplesTest);
    CPPUNIT_TEST(testEveryPluginLoadsAndCreatesWithItsExample);
    CPPUNIT_TEST(testLifecycleWithTheExample);
    CPPUNIT_TEST(testReadmeKeyTableAndExampleAreGeneratedFromTheDeclaration);
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

    // The README's key table and the .properties.example's keys are what mc/config_doc.hpp generates
    // from the built plugin's declaration. MC_UPDATE_GENERATED_DOCS=1 rewrites them instead of failing.
    void testReadmeKeyTableAndExampleAreGeneratedFromTheDeclaration() {
        namespace doc = mc::sdk::doc;
        const bool update = std::getenv("MC_UPDATE_GENERATED_DOCS") != nullptr;
        for (const auto& plugin : kPlugins) {
            mc::sdk::test::FakeHost host(std::string(MC_TEST_PLUGIN_DIR) + "/" + plugin.id + ".so");
            const std::string folder = std::string(MC_TEST_SOURCE_DIR) + "/plugins/" + plugin.id + "/";
            const struct {
                std::string path, generated;
                std::string_view begin, end;
            } documents[] = {
                {folder + "README.md", doc::markdownKeyTable(plugin.prefix, host.keys()), doc::kMarkdownBegin,
                 doc::kMarkdownEnd},
                {folder + plugin.id + ".properties.example", doc::exampleProperties(plugin.prefix, host.keys()),
                 doc::kPropertiesBegin, doc::kPropertiesEnd},
            };
            for (const auto& d : documents) {
                const std::string have = readFile(d.path);
                std::string want;
                try {
                    want = doc::withGenerated(have, d.begin, d.end, d.generated);
                } catch (const std::invalid_argument& e) {
                    CPPUNIT_FAIL(d.path + ": " + e.what());
                }
                if (update && want != have) {
                    std::ofstream(d.path, std::ios::binary | std::ios::trunc) << want;
                    continue;
                }
                CPPUNIT_ASSERT_MESSAGE(d.path + " is not what the declaration generates (" + firstDifference(want, have) +
                                           "); regenerate with MC_UPDATE_GENERATED_DOCS=1 ctest -R PluginExamplesTest",
                                       want == have);
            }
        }
    }

    void testLifecycleWithTheExample() {
        mc::test::TempDir dir;
        const std::string closedPort = std::to_string(mc::test::freePort());
        const std::map<std::string, mc::sdk::test::Properties> overrides = {
            {"discovery-files", {{"paths", dir.file("absent.json")}, {"poll_interval_ms", "50"}}},
            {"discovery-registry", {{"url", "http://127.0.0.1:" + closedPort}, {"timeout_ms", "500"}}},
            {"store-sqlite", {{"path", dir.file("lifecycle.db")}}},
            {"mcp-stdio", {}},
            {"mcp-http", {}},
            {"receiver-otlp", {}},
            {"bus-nats", {{"servers", "nats://127.0.0.1:" + closedPort}}},
        };
        // What each reports after start: its own word on its health.
        const std::map<std::string, std::pair<mc_component_status, std::string>> expected = {
            {"discovery-files", {MC_COMPONENT_OK, "not found: " + dir.file("absent.json")}},
            {"discovery-registry", {MC_COMPONENT_RECOVERABLE_ERROR, "keeping the last good list (0 servers), retrying in 1000 ms"}},
            {"store-sqlite", {MC_COMPONENT_OK, "SQLite database '" + dir.file("lifecycle.db") + "' open"}},
            {"mcp-stdio", {MC_COMPONENT_OK, "started"}},
            {"mcp-http", {MC_COMPONENT_OK, "started"}},
            {"receiver-otlp", {MC_COMPONENT_OK, "started"}},
            {"bus-nats", {MC_COMPONENT_RECOVERABLE_ERROR, "connecting to nats://127.0.0.1:" + closedPort + " (not reachable yet)"}},
        };
        for (const auto& [id, extra] : overrides) {
            mc::sdk::test::FakeHost host(std::string(MC_TEST_PLUGIN_DIR) + "/" + id + ".so");
            auto props = readExample(std::string(MC_TEST_SOURCE_DIR) + "/plugins/" + id + "/" + id + ".properties.example");
            for (const auto& [k, v] : extra) props[k] = v;
            auto instance = host.create(props);
            CPPUNIT_ASSERT_MESSAGE(id + ": " + instance->created().error, instance->created().ok());
            const auto started = instance->start();
            CPPUNIT_ASSERT_MESSAGE(id + ": " + started.error, started.ok());
            const auto& [status, words] = expected.at(id);
            CPPUNIT_ASSERT_MESSAGE(id + ": no status " + mc::sdk::test::name(status), instance->waitForStatus(status));
            const auto last = instance->lastStatus();
            CPPUNIT_ASSERT_MESSAGE(id + ": " + last->message, last->message.find(words) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(id, instance->stop().ok());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, MC_COMPONENT_STOPPED, instance->lastStatus()->status);
            instance->destroy();
            const auto violations = instance->violations();
            CPPUNIT_ASSERT_MESSAGE(id + ": " + (violations.empty() ? "" : violations.front()), violations.empty());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginExamplesTest);
