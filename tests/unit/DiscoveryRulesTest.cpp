// The discovery service's pure rules: endpoint normalization (the dedup key), ids derived from
// display names, and the per-source keys the host reads (policy, allow_packages).
#include "app/HostConfig.h"
#include "discovery/DiscoveryService.h"
#include "gateway/McpServerConfig.h"

#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host;

class DiscoveryRulesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DiscoveryRulesTest);
    CPPUNIT_TEST(testEndpointUrlsAreNormalized);
    CPPUNIT_TEST(testIdsAreDerivedFromNames);
    CPPUNIT_TEST(testSourceSettings);
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
        CPPUNIT_ASSERT(defaults.allowedPackages.empty());

        config->setString("discovery.registry.policy", " Auto-Connect ");
        config->setString("discovery.registry.allow_packages", "@a/b, c ,,");
        auto set = readDiscoverySourceSettings(*config, "discovery-registry", "registry");
        CPPUNIT_ASSERT(set.policy == DiscoveryPolicy::AutoConnect);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), set.allowedPackages.size());
        CPPUNIT_ASSERT(set.allowedPackages.count("@a/b") && set.allowedPackages.count("c"));

        config->setString("discovery.registry.policy", "always");
        try {
            readDiscoverySourceSettings(*config, "discovery-registry", "registry");
            CPPUNIT_FAIL("an unknown policy was accepted");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: discovery.registry.policy = 'always': expected "
                                             "auto-connect or list-only"),
                                 std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryRulesTest);
