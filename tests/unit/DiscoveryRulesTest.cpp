// The discovery service's pure rules: endpoint normalization (the dedup key), ids derived from
// display names, and the per-source keys the host reads (enabled, policy, stdio, allow_packages,
// allow_remotes, allow_private_addresses) with the plugin's declared defaults.
#include "config/HostConfig.h"
#include "discovery/DiscoveryService.h"
#include "gateway/McpServerConfig.h"

#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host;
using mc::sdk::package::PackageSpec;

class DiscoveryRulesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DiscoveryRulesTest);
    CPPUNIT_TEST(testEndpointUrlsAreNormalized);
    CPPUNIT_TEST(testIdsAreDerivedFromNames);
    CPPUNIT_TEST(testSourceSettings);
    CPPUNIT_TEST(testMalformedAllowlistEntriesStopStartup);
    CPPUNIT_TEST(testDeclaredDefaults);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEndpointUrlsAreNormalized() {
        CPPUNIT_ASSERT_EQUAL(std::string("http://localhost:80/mcp"), normalizeEndpointUrl("HTTP://LocalHost/mcp/"));
        CPPUNIT_ASSERT_EQUAL(normalizeEndpointUrl("http://127.0.0.1:3001/mcp"), normalizeEndpointUrl("http://127.0.0.1:3001/mcp//"));
        CPPUNIT_ASSERT_EQUAL(std::string("https://example.test:443/"), normalizeEndpointUrl("https://example.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://h:8080/sse?x=1"), normalizeEndpointUrl("http://h:8080/sse?x=1"));
        // The path is case-sensitive: different paths are different servers.
        CPPUNIT_ASSERT(normalizeEndpointUrl("http://h/MCP") != normalizeEndpointUrl("http://h/mcp"));
    }

    void testIdsAreDerivedFromNames() {
        CPPUNIT_ASSERT_EQUAL(std::string("io-example-weather"), mcpIdFromName("io.example/Weather"));
        CPPUNIT_ASSERT_EQUAL(std::string("everything-local"), mcpIdFromName("Everything Local"));
        CPPUNIT_ASSERT_EQUAL(std::string("my_server"), mcpIdFromName("--my_server--"));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp"), mcpIdFromName("!!!"));
        const std::string longId = mcpIdFromName(std::string(100, 'a'));
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), longId.size());
        for (const char* name : {"io.example/Weather", "Everything Local", "--my_server--", "!!!", "ÄÖÜ tools"})
            CPPUNIT_ASSERT_MESSAGE(name, isValidMcpId(mcpIdFromName(name)));
    }

    void testSourceSettings() {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        auto defaults = readDiscoverySourceSettings(*config, "discovery-registry", "registry");
        CPPUNIT_ASSERT(defaults.policy == DiscoveryPolicy::ListOnly);
        CPPUNIT_ASSERT(defaults.stdio == StdioRule::None);
        CPPUNIT_ASSERT(defaults.allowedPackages.empty());
        CPPUNIT_ASSERT(defaults.allowedRemotes.empty());
        CPPUNIT_ASSERT(defaults.allowedAddressClasses.empty());

        config->setString("discovery.registry.policy", " Auto-Connect ");
        config->setString("discovery.registry.stdio", "packages");
        config->setString("discovery.registry.allow_packages", "npm:@a/b@1.2.3, pypi:mcp-server-time@0.6.2 ,,oci:docker.io/mcp/everything@1.0.0-rc.1");
        config->setString("discovery.registry.allow_remotes", "*.example.com, 127.0.0.1:3001");
        config->setString("discovery.registry.allow_private_addresses", "Loopback, lan");
        auto set = readDiscoverySourceSettings(*config, "discovery-registry", "registry");
        CPPUNIT_ASSERT(set.policy == DiscoveryPolicy::AutoConnect);
        CPPUNIT_ASSERT(set.stdio == StdioRule::Packages);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), set.allowedPackages.size());
        CPPUNIT_ASSERT(set.allowedPackages.count(PackageSpec{"npm", "@a/b", "1.2.3"}));
        CPPUNIT_ASSERT(set.allowedPackages.count(PackageSpec{"pypi", "mcp-server-time", "0.6.2"}));
        CPPUNIT_ASSERT(set.allowedPackages.count(PackageSpec{"oci", "docker.io/mcp/everything", "1.0.0-rc.1"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), set.allowedRemotes.size());
        CPPUNIT_ASSERT((set.allowedAddressClasses == std::set<AddressClass>{AddressClass::Loopback, AddressClass::Lan}));

        config->setString("discovery.registry.policy", "always");
        expectConfigError(*config, "invalid configuration: discovery.registry.policy = 'always': expected auto-connect or list-only");
        config->setString("discovery.registry.policy", "list-only");
        config->setString("discovery.registry.stdio", "anything");
        expectConfigError(*config, "invalid configuration: discovery.registry.stdio = 'anything': expected packages, commands or none");
        config->setString("discovery.registry.stdio", "packages");
        config->setString("discovery.registry.allow_private_addresses", "loopback, intranet");
        expectConfigError(*config, "invalid configuration: discovery.registry.allow_private_addresses entry 'intranet': expected a "
                                   "comma list of loopback, link-local, lan, metadata (empty: public addresses only)");
        config->setString("discovery.registry.allow_private_addresses", "");
        config->setString("discovery.registry.allow_remotes", "mcp.example.com:http");
        expectConfigError(*config, "invalid configuration: discovery.registry.allow_remotes entry 'mcp.example.com:http': port "
                                   "'http' is not in 1..65535 (expected *, a host name, *.domain, an IP address, any of these "
                                   "with :port, or a CIDR block such as 10.0.0.0/8)");
        config->setString("discovery.registry.allow_remotes", "");
    }

    // An allowlist entry pins registry type, identifier and exact version; the old bare-identifier
    // form and anything that is not plain semver stop start-up naming the key and the entry.
    void testMalformedAllowlistEntriesStopStartup() {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        const std::string expected = " (expected <registryType>:<identifier>@<version>, e.g. npm:@scope/name@1.2.3)";
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"@modelcontextprotocol/server-everything", "no registry type (npm:, pypi: or oci:) before the identifier"},
            {"npm:@modelcontextprotocol/server-everything", "no @<version> after the identifier"},
            {"npm:left-pad@latest", "version 'latest' is not plain semver (MAJOR.MINOR.PATCH, optionally -prerelease)"},
            {"npm:left-pad@^1.2.3", "version '^1.2.3' is not plain semver (MAJOR.MINOR.PATCH, optionally -prerelease)"},
            {"npm:x@npm:evil@1.0.0", "identifier 'x@npm:evil' is not a plain npm package name"},
            {"npm:--registry=http://evil@1.0.0", "identifier '--registry=http://evil' is not a plain npm package name"},
            {"gem:rails@7.0.0", "registry type 'gem' is not one of npm, pypi, oci"},
            {"oci:localhost:5000/x@1.0.0", "identifier 'localhost:5000/x' is not a plain oci image name (lower-case, no tag, "
                                           "digest or registry port)"},
        };
        for (const auto& [entry, why] : cases) {
            config->setString("discovery.registry.allow_packages", "npm:ok@1.0.0, " + entry);
            expectConfigError(*config, "invalid configuration: discovery.registry.allow_packages entry '" + entry + "': " + why + expected);
        }
    }

    // A key the plugin declares takes its declared default (mDNS: off); undeclared ones the safest.
    void testDeclaredDefaults() {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        auto declared = [](const std::string& name, const std::string& value) {
            ConfigKeyInfo k;
            k.name = name;
            k.type = MC_CONFIG_STRING;
            k.defaultValue = value;
            k.hasDefault = true;
            return k;
        };
        const std::vector<ConfigKeyInfo> mdns = {declared("enabled", "false"), declared("allow_private_addresses", "")};
        const std::vector<ConfigKeyInfo> files = {declared("stdio", "commands"), declared("allow_remotes", "*"),
                                                  declared("allow_private_addresses", "loopback, lan")};
        CPPUNIT_ASSERT(!discoverySourceEnabled(*config, "mdns", mdns));
        CPPUNIT_ASSERT(discoverySourceEnabled(*config, "registry", {}));
        config->setString("discovery.mdns.enabled", "true");
        CPPUNIT_ASSERT(discoverySourceEnabled(*config, "mdns", mdns));
        config->setString("discovery.mdns.enabled", "sometimes");
        try {
            discoverySourceEnabled(*config, "mdns", mdns);
            CPPUNIT_FAIL("enabled = sometimes was accepted");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: discovery.mdns.enabled = 'sometimes': expected true or false"),
                                 std::string(e.what()));
        }
        auto filesSettings = readDiscoverySourceSettings(*config, "discovery-files", "files", files);
        CPPUNIT_ASSERT(filesSettings.stdio == StdioRule::Commands);
        CPPUNIT_ASSERT(matchesHostPattern(filesSettings.allowedRemotes, "anything.example", 443));
        CPPUNIT_ASSERT((filesSettings.allowedAddressClasses == std::set<AddressClass>{AddressClass::Loopback, AddressClass::Lan}));
        config->setString("discovery.files.stdio", "none"); // the operator's value wins over the declared default
        CPPUNIT_ASSERT(readDiscoverySourceSettings(*config, "discovery-files", "files", files).stdio == StdioRule::None);
    }

private:
    static void expectConfigError(const Poco::Util::AbstractConfiguration& config, const std::string& message) {
        try {
            readDiscoverySourceSettings(config, "discovery-registry", "registry");
            CPPUNIT_FAIL("accepted, expected: " + message);
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(message, std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryRulesTest);
