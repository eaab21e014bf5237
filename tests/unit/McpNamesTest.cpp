// mcpserver/McpNames and McpProfiles: how /mcp names what its servers offer (prefix modes, collisions,
// names the model providers refuse, URIs wrapped and unwrapped, templates matched) and how profiles
// are read (docs/mcp-server.md#names, #profiles).
#include "config/HostConfig.h"
#include "mcpserver/McpNames.h"
#include "mcpserver/McpProfiles.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>
#include <vector>

using mc::host::McpNames;
using mc::host::NamedItem;
using mc::host::PrefixMode;

namespace {

std::vector<std::string> exposedAll(const McpNames& names) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < names.size(); ++i) out.push_back(names.exposed(i));
    return out;
}

const std::vector<NamedItem> kTwoServers = {{"gh", "search"}, {"fs", "read"}, {"gh", "read"}, {"fs", "list"}};

std::string refusal(const std::map<std::string, std::string>& keys) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    for (const auto& [k, v] : keys) config->setString(k, v);
    try {
        mc::host::readMcpProfiles(*config, PrefixMode::Always);
    } catch (const mc::host::ConfigError& e) {
        return e.what();
    }
    return "";
}

} // namespace

class McpNamesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(McpNamesTest);
    CPPUNIT_TEST(eachPrefixModeNamesAsDocumented);
    CPPUNIT_TEST(namesTheProvidersRefuseAreShortenedDeterministically);
    CPPUNIT_TEST(namesThatStillCollideAreToldApart);
    CPPUNIT_TEST(urisAreWrappedReversibly);
    CPPUNIT_TEST(templatesMatchTheirExpansions);
    CPPUNIT_TEST(profilesAreReadAndRefusedWithTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void eachPrefixModeNamesAsDocumented() {
        const auto always = McpNames::forNames(kTwoServers, PrefixMode::Always);
        CPPUNIT_ASSERT((exposedAll(always) == std::vector<std::string>{"gh__search", "fs__read", "gh__read", "fs__list"}));
        const auto conditional = McpNames::forNames(kTwoServers, PrefixMode::Conditional);
        CPPUNIT_ASSERT((exposedAll(conditional) == std::vector<std::string>{"search", "fs__read", "gh__read", "list"}));
        const auto never = McpNames::forNames(kTwoServers, PrefixMode::Never);
        // "read" is offered by fs and gh: fs comes first by id and keeps it; gh's is not offered.
        CPPUNIT_ASSERT((exposedAll(never) == std::vector<std::string>{"search", "read", "", "list"}));
        // Each maps back to its server and original name.
        const auto back = conditional.resolve("gh__read");
        CPPUNIT_ASSERT(back && back->server == "gh" && back->original == "read");
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), never.resolve("read")->server);
        CPPUNIT_ASSERT(!never.resolve("gh__read") && !always.resolve("read"));
        // A server listing one name twice offers it once.
        const auto twice = McpNames::forNames({{"a", "x"}, {"a", "x"}}, PrefixMode::Conditional);
        CPPUNIT_ASSERT((exposedAll(twice) == std::vector<std::string>{"x", ""}));
        CPPUNIT_ASSERT(mc::host::prefixModeFromName("never") && !mc::host::prefixModeFromName("sometimes"));
    }

    void namesTheProvidersRefuseAreShortenedDeterministically() {
        const std::string server = "a-rather-long-server-identifier";
        const std::string tool = "and_an_even_longer_tool_name_that_goes_on_and_on";
        const auto names = McpNames::forNames({{server, tool}}, PrefixMode::Always);
        const std::string name = names.exposed(0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), name.size());
        CPPUNIT_ASSERT_EQUAL((server + "__" + tool).substr(0, 55) + "_", name.substr(0, 56));
        CPPUNIT_ASSERT_EQUAL(name, McpNames::shortened(server + "__" + tool)); // the same every time
        CPPUNIT_ASSERT_EQUAL(std::string("a-rather-long-server-identifier__and_an_even_longer_too_6b349c70"), name);
        CPPUNIT_ASSERT_EQUAL(tool, names.resolve(name)->original);
        // Characters the providers refuse (a dot, a space) are replaced, and the hash keeps it apart.
        const std::string dotted = McpNames::shortened("fs__read.file");
        CPPUNIT_ASSERT_EQUAL(std::string("fs__read_file_"), dotted.substr(0, 14));
        CPPUNIT_ASSERT_EQUAL(std::size_t(22), dotted.size());
        CPPUNIT_ASSERT(McpNames::shortened("fs__read_file") == "fs__read_file"); // acceptable: as it is
        CPPUNIT_ASSERT(McpNames::shortened("fs__read file") != dotted);
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), McpNames::shortened(std::string(64, 'x')).size());
        CPPUNIT_ASSERT_EQUAL(std::string(64, 'x'), McpNames::shortened(std::string(64, 'x')));
        CPPUNIT_ASSERT(McpNames::shortened(std::string(65, 'x')) != std::string(65, 'x').substr(0, 64));
    }

    void namesThatStillCollideAreToldApart() {
        // "a__b" of server "s" and "b" of server "s__a" both prefix to "s__a__b".
        const auto names = McpNames::forNames({{"s", "a__b"}, {"s__a", "b"}}, PrefixMode::Always);
        CPPUNIT_ASSERT_EQUAL(std::string("s__a__b"), names.exposed(0));
        CPPUNIT_ASSERT_EQUAL(std::string("s__a__b_"), names.exposed(1).substr(0, 8));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), names.exposed(1).size());
        CPPUNIT_ASSERT_EQUAL(std::string("s__a"), names.resolve(names.exposed(1))->server);
        CPPUNIT_ASSERT_EQUAL(std::string("s"), names.resolve("s__a__b")->server);
    }

    void urisAreWrappedReversibly() {
        const std::vector<NamedItem> uris = {{"fs", "file:///tmp/a.txt"}, {"gh", "file:///tmp/a.txt"}, {"gh", "repo://x?y=1#z"}};
        const auto always = McpNames::forUris(uris, PrefixMode::Always);
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control://fs/file:///tmp/a.txt"), always.exposed(0));
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control://gh/repo://x?y=1#z"), always.exposed(2));
        const auto conditional = McpNames::forUris(uris, PrefixMode::Conditional);
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control://gh/file:///tmp/a.txt"), conditional.exposed(1));
        CPPUNIT_ASSERT_EQUAL(std::string("repo://x?y=1#z"), conditional.exposed(2));
        const auto back = McpNames::unwrapUri("mission-control://gh/repo://x?y=1#z");
        CPPUNIT_ASSERT(back && back->server == "gh" && back->original == "repo://x?y=1#z");
        CPPUNIT_ASSERT(!McpNames::unwrapUri("mission-control://gh/") && !McpNames::unwrapUri("mission-control:///x") &&
                       !McpNames::unwrapUri("file:///x") && !McpNames::unwrapUri("mission-control://gh"));
        // URIs are never shortened: they are not names a model must accept.
        const std::string longUri = "file:///" + std::string(200, 'd');
        CPPUNIT_ASSERT_EQUAL(longUri, McpNames::forUris({{"fs", longUri}}, PrefixMode::Never).exposed(0));
    }

    void templatesMatchTheirExpansions() {
        CPPUNIT_ASSERT_EQUAL(21L, McpNames::templateMatch("demo://resource/text/{id}", "demo://resource/text/7"));
        CPPUNIT_ASSERT_EQUAL(-1L, McpNames::templateMatch("demo://resource/text/{id}", "demo://resource/blob/7"));
        CPPUNIT_ASSERT_EQUAL(11L, McpNames::templateMatch("file:///{path}.md", "file:///notes/a.md")); // "file:///" and ".md"
        CPPUNIT_ASSERT_EQUAL(-1L, McpNames::templateMatch("file:///{path}.md", "file:///notes/a.txt"));
        CPPUNIT_ASSERT_EQUAL(-1L, McpNames::templateMatch("a{x}b{y}abc", "aabc")); // no room for the middle "b"
        CPPUNIT_ASSERT_EQUAL(5L, McpNames::templateMatch("a{x}b{y}abc", "axxbyabc"));
        CPPUNIT_ASSERT_EQUAL(-1L, McpNames::templateMatch("a{x}abc", "abc")); // shorter than its literal ends
        CPPUNIT_ASSERT_EQUAL(5L, McpNames::templateMatch("plain", "plain"));
        CPPUNIT_ASSERT_EQUAL(-1L, McpNames::templateMatch("plain", "plainer"));
    }

    void profilesAreReadAndRefusedWithTheKey() {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("mcp.profiles.dev.servers", "github, fs-*");
        config->setString("mcp.profiles.dev.tools", "github__get_*");
        config->setString("mcp.profiles.ops.prefix", "Never");
        const auto profiles = mc::host::readMcpProfiles(*config, PrefixMode::Conditional);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), profiles.size());
        const auto& all = profiles.at("");
        CPPUNIT_ASSERT(all.prefix == PrefixMode::Conditional && all.offersTool("anything", "at_all"));
        const auto& dev = profiles.at("dev");
        CPPUNIT_ASSERT(dev.prefix == PrefixMode::Conditional);
        CPPUNIT_ASSERT(dev.offersServer("fs-home") && !dev.offersServer("gitlab"));
        CPPUNIT_ASSERT(dev.offersTool("github", "get_issue") && !dev.offersTool("github", "create_issue"));
        CPPUNIT_ASSERT(!dev.offersTool("fs-home", "read")); // its tools globs name github's only
        CPPUNIT_ASSERT(profiles.at("ops").prefix == PrefixMode::Never && profiles.at("ops").offersTool("x", "y"));

        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: unknown key mcp.profiles.dev.server (a profile has servers, tools, prefix)"),
                             refusal({{"mcp.profiles.dev.server", "x"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.profiles.dev.prefix = 'sometimes': expected always, conditional or never"),
                             refusal({{"mcp.profiles.dev.prefix", "sometimes"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.profiles.Dev: a profile's name is 1 to 64 of a-z, 0-9, '_' and '-' "
                                         "(it is a path: /mcp/<name>)"),
                             refusal({{"mcp.profiles.Dev.servers", "x"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.profiles.dev = 'x': a profile has servers, tools and prefix "
                                         "(mcp.profiles.dev.servers = ...)"),
                             refusal({{"mcp.profiles.dev", "x"}}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(McpNamesTest);
