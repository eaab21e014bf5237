// Discovery in the whole host: the real discovery-registry and discovery-files plugins, a registry
// fixture over loopback, real server-everything instances (Streamable HTTP and stdio). Probing,
// auto-connect, allowlisted packages, removal when every source lost a server, deduplication of one
// endpoint found by two sources, list-only sources, GET /api/discovery and refresh.
#include "DiscoveryApi.h"
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "NetworkNamespace.h"
#include "RegistryFixture.h"
#include "TestHttp.h"
#include "TestTcp.h"

#include "config/HostConfig.h"
#include "core/Broadcaster.h"
#include "discovery/DiscoveryService.h"
#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <mutex>

using mc::test::discovery;
using mc::test::eventually;
using mc::test::foundWithKey;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::InProcessHost;
using mc::test::merge;
using mc::test::RegistryFixture;
using mc::test::sourceNamed;
using mc::test::TempDir;

namespace {

const std::string kEverything = mc::test::everythingServerScript();

using Overrides = std::map<std::string, std::string>;

// Every test server is on loopback: the registry source is allowed to probe and connect there.
Overrides registryOnly(const RegistryFixture& registry, const std::string& policy) {
    return {{"discovery.registry.url", registry.url()},
            {"discovery.registry.policy", policy},
            {"discovery.registry.allow_private_addresses", "loopback"},
            {"discovery.registry.allow_remotes", "127.0.0.1"},
            {"discovery.registry.interval", "3600"},
            {"discovery.registry.timeout_ms", "2000"},
            {"discovery.files.enabled", "false"},
            {"discovery.probe_timeout_ms", "5000"},
            {"discovery.probe_retry_ms", "200"}};
}

Overrides filesOnly(const std::string& paths) {
    return {{"discovery.files.paths", paths},
            {"discovery.files.policy", "auto-connect"},
            {"discovery.files.poll_interval_ms", "100"},
            {"discovery.registry.enabled", "false"}};
}

std::string everythingRemote(unsigned short port, const std::string& path = "/mcp") {
    return "{\"title\":\"Everything\",\"remotes\":[" +
           RegistryFixture::remote("streamable-http", "http://127.0.0.1:" + std::to_string(port) + path) + "]}";
}

int mcpCount(unsigned short port) { return httpGet(port, "/api/mcps").json()->getValue<int>("count"); }

bool connectedWithTools(unsigned short port, const std::string& id) {
    auto m = mc::test::mcp(port, id);
    return m && m->getValue<std::string>("status") == "connected" && m->getValue<int>("tool_count") > 0;
}

} // namespace

class DiscoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DiscoveryTest);
    CPPUNIT_TEST(testRegistryServerIsProbedConnectedAndRemovedWhenDeleted);
    CPPUNIT_TEST(testConfigFileStdioServerIsStartedAndRemovedWhenEdited);
    CPPUNIT_TEST(testOneEndpointFromTwoSourcesIsOneMcp);
    CPPUNIT_TEST(testListOnlySourceProbesButDoesNotConnect);
    CPPUNIT_TEST(testInvalidPolicyStopsStartupNamingTheKey);
    CPPUNIT_TEST(testBrokenAndUnknownSources);
    CPPUNIT_TEST(testUnconfiguredSourcesAreListedNotStarted);
    CPPUNIT_TEST(testAllowlistPinsTypeIdentifierAndVersion);
    CPPUNIT_TEST(testStdioReportsThatAreNotExactlyAPackageAreRefused);
    CPPUNIT_TEST(testFilesStdioRuleIsConfigurable);
    CPPUNIT_TEST(testRemotesAreAutoConnectedOnlyWhenAllowed);
    CPPUNIT_TEST(testPrivateAddressesAreNotProbedUnlessAllowed);
    CPPUNIT_TEST(testRolesOfTheDiscoveryRoutes);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRegistryServerIsProbedConnectedAndRemovedWhenDeleted() {
        mc::test::NodeHttpPeer peer({kEverything, "streamableHttp"});
        CPPUNIT_ASSERT(peer.ready());
        // A server of the 2026-07-28 era only: the probe speaks to it with server/discover.
        mc::test::NodeHttpPeer modern({std::string(MC_TEST_MCP_PEERS_DIR) + "/modern-peer.mjs", "--legacy=reject"});
        CPPUNIT_ASSERT(modern.ready());
        RegistryFixture registry;
        registry.put("io.example/everything", everythingRemote(peer.port()));
        registry.put("io.example/modern", "{\"remotes\":[" +
                                              RegistryFixture::remote("streamable-http", "http://127.0.0.1:" + std::to_string(modern.port()) + "/mcp") +
                                              "]}");
        registry.put("io.example/pkg", "{\"packages\":[" + RegistryFixture::npmPackage("@example/not-allowed", "1.0.0") + "]}");
        mc::test::RefusingPort downHeld; // held: the host under test cannot be given it
        const unsigned short downPort = downHeld.port();
        registry.put("io.example/down", "{\"remotes\":[" +
                                            RegistryFixture::remote("streamable-http", "http://127.0.0.1:" +
                                                                                           std::to_string(downPort) + "/mcp") +
                                            "]}");
        InProcessHost host(registryOnly(registry, "auto-connect"));

        const bool connected = eventually([&] { return connectedWithTools(host.port(), "everything"); });
        CPPUNIT_ASSERT_MESSAGE(httpGet(host.port(), "/api/discovery").body, connected);
        auto detail = mc::test::mcp(host.port(), "everything");
        CPPUNIT_ASSERT_EQUAL(std::string("discovery:registry"), detail->getValue<std::string>("origin"));
        CPPUNIT_ASSERT(detail->getArray("tools")->size() >= 3);

        // The unreachable one is listed with its failed probe; the package is listed, never started.
        // (A snapshot taken while its probe is failed, and while the others' are done: every probe is
        // run again in the background, so a snapshot can catch one "running".)
        Poco::JSON::Object::Ptr report;
        CPPUNIT_ASSERT(eventually([&] {
            report = discovery(host.port());
            const auto source = sourceNamed(report, "registry");
            const auto probeStatus = [&](const char* key) {
                auto found = foundWithKey(source, key);
                return found ? found->getObject("probe")->getValue<std::string>("status") : std::string();
            };
            return probeStatus("io.example/down") == "failed" && probeStatus("io.example/everything") == "ok" &&
                   probeStatus("io.example/modern") == "ok";
        }));
        auto registrySource = sourceNamed(report, "registry");
        CPPUNIT_ASSERT_EQUAL(std::string("discovery-registry"), registrySource->getValue<std::string>("plugin"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), registrySource->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("auto-connect"), registrySource->getValue<std::string>("policy"));
        CPPUNIT_ASSERT(!registrySource->isNull("last_scan"));
        auto everything = foundWithKey(registrySource, "io.example/everything");
        CPPUNIT_ASSERT_EQUAL(std::string("everything"), everything->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), everything->getObject("probe")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), everything->getObject("probe")->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(true, everything->getValue<bool>("connectable"));
        const auto modernFound = foundWithKey(registrySource, "io.example/modern");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), modernFound->getObject("probe")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), modernFound->getObject("probe")->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT(eventually([&] { return connectedWithTools(host.port(), modernFound->getValue<std::string>("mcp_id")); }));
        auto pkg = foundWithKey(registrySource, "io.example/pkg");
        CPPUNIT_ASSERT(pkg->isNull("mcp_id"));
        CPPUNIT_ASSERT_MESSAGE(pkg->getValue<std::string>("reason"),
                               pkg->getValue<std::string>("reason").find("not in discovery.registry.allow_packages") != std::string::npos);
        auto down = foundWithKey(registrySource, "io.example/down");
        CPPUNIT_ASSERT(down->isNull("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(false, down->getValue<bool>("connectable"));
        CPPUNIT_ASSERT(down->getValue<std::string>("reason").find("probe failed") == 0);
        CPPUNIT_ASSERT_EQUAL(2, mcpCount(host.port())); // everything and modern

        // Deleted in the registry: lost by its only source, so the gateway lets it go.
        registry.put("io.example/everything", everythingRemote(peer.port()), "deleted");
        auto refreshed = httpRequest("POST", host.port(), "/api/discovery/registry/refresh");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refreshed.body, 202, refreshed.status);
        CPPUNIT_ASSERT(eventually([&] { return httpGet(host.port(), "/api/mcps/everything").status == 404; }));
        CPPUNIT_ASSERT(!foundWithKey(sourceNamed(discovery(host.port()), "registry"), "io.example/everything"));

        // The unreachable one comes up: the probe is retried (with backoff) and it gets connected.
        downHeld.release();
        mc::test::NodeHttpPeer late({kEverything, "streamableHttp"}, downPort);
        CPPUNIT_ASSERT(late.ready());
        CPPUNIT_ASSERT(eventually([&] { return connectedWithTools(host.port(), "io-example-down"); }));
    }

    void testConfigFileStdioServerIsStartedAndRemovedWhenEdited() {
        TempDir dir;
        const std::string claude = dir.file("claude_desktop_config.json");
        dir.write("claude_desktop_config.json",
                  "{\"mcpServers\":{\"Everything Local\":{\"command\":\"node\",\"args\":[\"" + kEverything + "\",\"stdio\"]}}}");
        InProcessHost host(filesOnly(claude));
        CPPUNIT_ASSERT(eventually([&] { return connectedWithTools(host.port(), "everything-local"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("discovery:files"),
                             mc::test::mcp(host.port(), "everything-local")->getValue<std::string>("origin"));
        auto entry = foundWithKey(sourceNamed(discovery(host.port()), "files"), claude + "#Everything Local");
        CPPUNIT_ASSERT_EQUAL(std::string("skipped"), entry->getObject("probe")->getValue<std::string>("status"));

        // A malformed edit: the source reports recoverable_error naming the file and position; the server stays.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        dir.write("claude_desktop_config.json", "{\"mcpServers\": {\"x\": }}");
        CPPUNIT_ASSERT(eventually([&] { return sourceNamed(discovery(host.port()), "files")->getValue<std::string>("status") == "recoverable_error"; }));
        const std::string message = sourceNamed(discovery(host.port()), "files")->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find(claude + ": invalid JSON at line 1, column 22: an unexpected character '}' at byte 21") != std::string::npos);
        CPPUNIT_ASSERT(connectedWithTools(host.port(), "everything-local"));

        // Removed from the file: the gateway stops it.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        dir.write("claude_desktop_config.json", "{\"mcpServers\":{}}");
        CPPUNIT_ASSERT(eventually([&] { return httpGet(host.port(), "/api/mcps/everything-local").status == 404; }));
        CPPUNIT_ASSERT(eventually([&] { return sourceNamed(discovery(host.port()), "files")->getValue<std::string>("status") == "ok"; }));
    }

    void testOneEndpointFromTwoSourcesIsOneMcp() {
        mc::test::NodeHttpPeer peer({kEverything, "streamableHttp"});
        CPPUNIT_ASSERT(peer.ready());
        RegistryFixture registry;
        registry.put("io.example/everything", everythingRemote(peer.port()));
        TempDir dir;
        const std::string mcpJson = dir.file("mcp.json");
        // The same endpoint, spelled differently (host case, trailing slash).
        dir.write("mcp.json", "{\"servers\":{\"mine\":{\"type\":\"http\",\"url\":\"http://127.0.0.1:" +
                                  std::to_string(peer.port()) + "/mcp/\"}}}");
        auto overrides = merge({registryOnly(registry, "auto-connect"), filesOnly(mcpJson)});
        overrides["discovery.registry.enabled"] = "true";
        overrides["discovery.files.enabled"] = "true";
        InProcessHost host(overrides);

        CPPUNIT_ASSERT(eventually([&] {
            auto endpoints = discovery(host.port())->getArray("endpoints");
            return endpoints->size() == 1 && endpoints->getObject(0)->getArray("sources")->size() == 2 &&
                   !endpoints->getObject(0)->isNull("mcp_id");
        }));
        auto endpoint = discovery(host.port())->getArray("endpoints")->getObject(0);
        const std::string id = endpoint->getValue<std::string>("mcp_id");
        CPPUNIT_ASSERT(eventually([&] { return connectedWithTools(host.port(), id); }));
        CPPUNIT_ASSERT_EQUAL(1, mcpCount(host.port()));
        auto sources = endpoint->getArray("sources");
        CPPUNIT_ASSERT_EQUAL(std::string("files"), sources->getObject(0)->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(mcpJson + "#mine", sources->getObject(0)->getValue<std::string>("key"));
        CPPUNIT_ASSERT_EQUAL(std::string("registry"), sources->getObject(1)->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(std::string("io.example/everything"), sources->getObject(1)->getValue<std::string>("key"));
        // Both sources' entries point at the same MCP.
        CPPUNIT_ASSERT_EQUAL(id, foundWithKey(sourceNamed(discovery(host.port()), "files"), mcpJson + "#mine")->getValue<std::string>("mcp_id"));

        // One source loses it: still connected (the other still lists it).
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        dir.write("mcp.json", "{\"servers\":{}}");
        CPPUNIT_ASSERT(eventually([&] {
            auto endpoints = discovery(host.port())->getArray("endpoints");
            return endpoints->size() == 1 && endpoints->getObject(0)->getArray("sources")->size() == 1;
        }));
        CPPUNIT_ASSERT(connectedWithTools(host.port(), id));
    }

    void testListOnlySourceProbesButDoesNotConnect() {
        mc::test::NodeHttpPeer peer({kEverything, "streamableHttp"});
        mc::test::NodeHttpPeer legacy({kEverything, "sse"});
        CPPUNIT_ASSERT(peer.ready() && legacy.ready());
        RegistryFixture registry;
        registry.put("io.example/everything", everythingRemote(peer.port()));
        registry.put("io.example/legacy",
                     "{\"remotes\":[" + RegistryFixture::remote("sse", "http://127.0.0.1:" + std::to_string(legacy.port()) + "/sse") + "]}");
        // Subscribed before start-up: every report and host discovery event on mcps is seen.
        InProcessHost host(registryOnly(registry, "list-only"), InProcessHost::Until::Constructed);
        struct Capture : mc::host::BroadcastSubscriber {
            std::mutex mutex;
            std::vector<std::string> events;
            void deliver(std::uint64_t, const mc::host::SharedFrame& frame) override {
                std::lock_guard lock(mutex);
                events.emplace_back(mc::host::Broadcaster::eventJson(frame));
            }
            bool has(const std::string& a, const std::string& b) {
                std::lock_guard lock(mutex);
                for (const auto& e : events)
                    if (e.find(a) != std::string::npos && e.find(b) != std::string::npos) return true;
                return false;
            }
        } capture;
        host.runtime->broadcaster().subscribe("mcps", &capture);
        host.runtime->start();
        for (const char* key : {"io.example/everything", "io.example/legacy"}) {
            CPPUNIT_ASSERT_MESSAGE(key, eventually([&] {
                auto e = foundWithKey(sourceNamed(discovery(host.port()), "registry"), key);
                return e && e->getObject("probe")->getValue<std::string>("status") == "ok";
            }));
            auto e = foundWithKey(sourceNamed(discovery(host.port()), "registry"), key);
            CPPUNIT_ASSERT_EQUAL(true, e->getValue<bool>("connectable"));
            CPPUNIT_ASSERT(e->isNull("mcp_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("source 'registry' is list-only"), e->getValue<std::string>("reason"));
            CPPUNIT_ASSERT_EQUAL(std::string("mcp-servers/everything"),
                                 e->getObject("probe")->getObject("server_info")->getValue<std::string>("name"));
        }
        CPPUNIT_ASSERT_EQUAL(0, mcpCount(host.port()));
        // On mcps: the host's endpoint events only (ABI 2.0: the plugin's typed reports are not
        // republished; its health is a plugin_status event on `plugins`).
        CPPUNIT_ASSERT(!capture.has("\"source\":\"discovery-registry/default\"", "\"action\":\"found\""));
        CPPUNIT_ASSERT(eventually([&] { return capture.has("\"source\":\"discovery\"", "\"change\":\"probed\""); }, 10000));
        CPPUNIT_ASSERT(capture.has("\"source\":\"discovery\"", "\"change\":\"found\""));
        host.runtime->broadcaster().unsubscribeAll(&capture);
    }

    void testInvalidPolicyStopsStartupNamingTheKey() {
        RegistryFixture registry;
        auto overrides = registryOnly(registry, "sometimes");
        InProcessHost host(overrides, InProcessHost::Until::Constructed);
        try {
            host.runtime->loadPlugins();
            CPPUNIT_FAIL("an invalid policy was accepted");
        } catch (const mc::host::ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(
                std::string("invalid configuration: discovery.registry.policy = 'sometimes': expected auto-connect or list-only"),
                std::string(e.what()));
        }
    }

    // Sources nobody configured are listed as such and not started; no error state, nothing to refresh.
    void testUnconfiguredSourcesAreListedNotStarted() {
        InProcessHost host(Overrides{});
        auto registry = sourceNamed(discovery(host.port()), "registry");
        CPPUNIT_ASSERT_EQUAL(std::string("unconfigured"), registry->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("discovery.registry.url is not set"), registry->getValue<std::string>("message"));
        auto files = sourceNamed(discovery(host.port()), "files");
        CPPUNIT_ASSERT_EQUAL(std::string("unconfigured"), files->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("discovery.files.paths is not set"), files->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(404, httpRequest("POST", host.port(), "/api/discovery/registry/refresh").status);
    }

    // A source whose plugin did not start is listed with why; it cannot be refreshed, nor can an unknown one.
    void testBrokenAndUnknownSources() {
        RegistryFixture registry;
        auto overrides = registryOnly(registry, "list-only");
        overrides["discovery.files.enabled"] = "true"; // without paths: create fails
        InProcessHost host(overrides);
        auto files = sourceNamed(discovery(host.port()), "files");
        CPPUNIT_ASSERT_EQUAL(std::string("permanent_error"), files->getValue<std::string>("status"));
        const std::string message = files->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find("did not start: ") == 0);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("discovery.files.paths is required and not set") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, httpRequest("POST", host.port(), "/api/discovery/files/refresh").status);
        CPPUNIT_ASSERT(eventually([&] { return sourceNamed(discovery(host.port()), "registry")->getValue<std::string>("status") == "ok"; }));

        auto r = httpRequest("POST", host.port(), "/api/discovery/nosuch/refresh");
        CPPUNIT_ASSERT_EQUAL(404, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_source"), r.json()->getObject("error")->getValue<std::string>("code"));
        CPPUNIT_ASSERT(r.json()->getObject("error")->getValue<std::string>("message").find("'nosuch'") != std::string::npos);
    }

    // An allowlist entry pins registry type, identifier and exact version: only that package is
    // handed to the gateway, as the one command line it runs as. The same identifier at another
    // version, under another registry type, or with a version npm would read as another package is
    // listed with the reason. npx runs offline against a loopback registry, so nothing leaves the
    // machine (it fails to fetch).
    void testAllowlistPinsTypeIdentifierAndVersion() {
        ::setenv("npm_config_offline", "true", 1);
        ::setenv("npm_config_registry", "http://127.0.0.1:9/", 1);
        RegistryFixture registry;
        auto npm = [](const std::string& version) { return "{\"packages\":[" + RegistryFixture::npmPackage("@example/allowed", version) + "]}"; };
        registry.put("io.example/allowed", npm("1.0.0"));
        registry.put("io.example/other-version", npm("1.0.1"));
        registry.put("io.example/alias", npm("npm:evil-package@6.6.6"));
        registry.put("io.example/git", npm("github:evil/repo"));
        registry.put("io.example/docker", "{\"packages\":[{\"registryType\":\"oci\",\"identifier\":\"example/allowed\","
                                          "\"version\":\"1.0.0\",\"transport\":{\"type\":\"stdio\"}}]}");
        registry.put("io.example/other", "{\"packages\":[" + RegistryFixture::npmPackage("@example/other", "1.0.0") + "]}");
        auto overrides = registryOnly(registry, "auto-connect");
        overrides["discovery.registry.allow_packages"] = "npm:@example/allowed@1.0.0";
        {
            InProcessHost host(overrides);
            CPPUNIT_ASSERT(eventually([&] { return mc::test::mcp(host.port(), "io-example-allowed") != nullptr; }));
            auto m = mc::test::mcp(host.port(), "io-example-allowed");
            CPPUNIT_ASSERT_EQUAL(std::string("stdio"), m->getValue<std::string>("transport"));
            CPPUNIT_ASSERT_EQUAL(std::string("npx -y @example/allowed@1.0.0"), m->getValue<std::string>("endpoint"));
            CPPUNIT_ASSERT_EQUAL(std::string("discovery:registry"), m->getValue<std::string>("origin"));
            Poco::JSON::Object::Ptr source;
            CPPUNIT_ASSERT(eventually([&] {
                source = sourceNamed(discovery(host.port()), "registry");
                return source->getArray("found")->size() == 6;
            }));
            const std::vector<std::pair<std::string, std::string>> refused = {
                {"io.example/other-version", "package 'npm:@example/allowed@1.0.1' is not in discovery.registry.allow_packages "
                                             "(packages are never started unless pinned there as <registryType>:<identifier>@<version>)"},
                {"io.example/alias", "package npm '@example/allowed' cannot be run safely: version 'npm:evil-package@6.6.6' is not "
                                     "plain semver (MAJOR.MINOR.PATCH, optionally -prerelease); it is listed, never started"},
                {"io.example/git", "package npm '@example/allowed' cannot be run safely: version 'github:evil/repo' is not plain "
                                   "semver (MAJOR.MINOR.PATCH, optionally -prerelease); it is listed, never started"},
                {"io.example/docker", "package 'oci:example/allowed@1.0.0' is not in discovery.registry.allow_packages (packages "
                                      "are never started unless pinned there as <registryType>:<identifier>@<version>)"},
                {"io.example/other", "package 'npm:@example/other@1.0.0' is not in discovery.registry.allow_packages (packages are "
                                     "never started unless pinned there as <registryType>:<identifier>@<version>)"},
            };
            for (const auto& [key, reason] : refused) {
                auto entry = foundWithKey(source, key);
                CPPUNIT_ASSERT_MESSAGE(key, entry && entry->isNull("mcp_id"));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(key, reason, entry->getValue<std::string>("reason"));
            }
            auto rules = source->getObject("rules");
            CPPUNIT_ASSERT_EQUAL(std::string("packages"), rules->getValue<std::string>("stdio"));
            CPPUNIT_ASSERT_EQUAL(std::string("npm:@example/allowed@1.0.0"), rules->getArray("allow_packages")->getElement<std::string>(0));
            CPPUNIT_ASSERT_EQUAL(1, mcpCount(host.port()));
        }
        ::unsetenv("npm_config_offline");
        ::unsetenv("npm_config_registry");
    }

    // A source that starts only packages refuses a stdio report without one, and one whose command
    // line, environment or working directory is not exactly its package's. (Reports are submitted as
    // the registry plugin's own: the plugin itself never builds these.)
    void testStdioReportsThatAreNotExactlyAPackageAreRefused() {
        RegistryFixture registry;
        auto overrides = registryOnly(registry, "auto-connect");
        overrides["discovery.registry.allow_packages"] = "npm:@example/allowed@1.0.0";
        InProcessHost host(overrides);
        const std::string package = R"({"package":{"registryType":"npm","identifier":"@example/allowed","version":"1.0.0"}})";
        auto& service = host.runtime->discovery();
        const auto found = [&service](const std::string& key, const std::string& name, const std::string& serverJson,
                                      const std::string& detailsJson) {
            mc::host::DiscoveryService::Report report;
            report.key = key;
            report.name = name;
            report.serverJson = serverJson;
            report.detailsJson = detailsJson;
            service.submit("discovery-registry", report);
        };
        found("io.example/bare", "Bare",
              R"({"transport":"stdio","command":"node","args":[)" + mc::host::json::quote(kEverything) + R"(,"stdio"]})", "");
        found("io.example/swapped", "Swapped",
              R"({"transport":"stdio","command":"node","args":[)" + mc::host::json::quote(kEverything) + R"(,"stdio"]})", package);
        found("io.example/env", "Env",
              R"({"transport":"stdio","command":"npx","args":["-y","@example/allowed@1.0.0"],"env":{"NODE_OPTIONS":"--require /tmp/x.js"}})",
              package);
        CPPUNIT_ASSERT(service.idle(std::chrono::seconds(10)));
        auto source = sourceNamed(discovery(host.port()), "registry");
        CPPUNIT_ASSERT_EQUAL(std::string("a stdio server without a package: source 'registry' starts only allowlisted packages "
                                         "(discovery.registry.stdio = packages)"),
                             foundWithKey(source, "io.example/bare")->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL("the reported command line 'node " + kEverything + " stdio' is not the one package "
                             "'npm:@example/allowed@1.0.0' runs as ('npx -y @example/allowed@1.0.0')",
                             foundWithKey(source, "io.example/swapped")->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("package 'npm:@example/allowed@1.0.0' is reported with an environment or working "
                                         "directory; a package is started only as its plain command line"),
                             foundWithKey(source, "io.example/env")->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(0, mcpCount(host.port()));
    }

    // The files source starts its commands (the operator's own configuration) unless told otherwise.
    void testFilesStdioRuleIsConfigurable() {
        TempDir dir;
        const std::string claude = dir.file("claude_desktop_config.json");
        dir.write("claude_desktop_config.json",
                  "{\"mcpServers\":{\"Everything Local\":{\"command\":\"node\",\"args\":[\"" + kEverything + "\",\"stdio\"]}}}");
        for (const std::string rule : {"none", "packages"}) {
            auto overrides = filesOnly(claude);
            overrides["discovery.files.stdio"] = rule;
            InProcessHost host(overrides);
            Poco::JSON::Object::Ptr entry;
            CPPUNIT_ASSERT(eventually([&] {
                entry = foundWithKey(sourceNamed(discovery(host.port()), "files"), claude + "#Everything Local");
                return entry && !entry->isNull("reason");
            }));
            CPPUNIT_ASSERT_EQUAL(rule == "none" ? std::string("source 'files' does not start commands (discovery.files.stdio = none)")
                                                : std::string("a stdio server without a package: source 'files' starts only "
                                                              "allowlisted packages (discovery.files.stdio = packages)"),
                                 entry->getValue<std::string>("reason"));
            CPPUNIT_ASSERT_EQUAL(0, mcpCount(host.port()));
        }
    }

    // Under auto-connect a remote is connected only when it matches allow_remotes (default: none);
    // it is still probed and listed. A registry entry that is not an object is skipped and listed.
    void testRemotesAreAutoConnectedOnlyWhenAllowed() {
        mc::test::NodeHttpPeer peer({kEverything, "streamableHttp"});
        CPPUNIT_ASSERT(peer.ready());
        RegistryFixture registry;
        registry.put("io.example/everything", everythingRemote(peer.port()));
        registry.putRaw("io.example/broken", "[\"not\", \"an object\"]");
        auto overrides = registryOnly(registry, "auto-connect");
        overrides.erase("discovery.registry.allow_remotes");
        {
            InProcessHost host(overrides);
            Poco::JSON::Object::Ptr entry;
            CPPUNIT_ASSERT(eventually([&] {
                entry = foundWithKey(sourceNamed(discovery(host.port()), "registry"), "io.example/everything");
                return entry && entry->getObject("probe")->getValue<std::string>("status") == "ok";
            }));
            CPPUNIT_ASSERT(entry->isNull("mcp_id"));
            CPPUNIT_ASSERT_EQUAL("remote '127.0.0.1:" + std::to_string(peer.port()) + "' is not in discovery.registry.allow_remotes "
                                 "(remote servers are connected automatically only when allowed there)",
                                 entry->getValue<std::string>("reason"));
            CPPUNIT_ASSERT_EQUAL(0, mcpCount(host.port()));
            // The source's health is its instance's status (report_status); what it skipped is its own
            // to report (ABI 2 has no free-form "problems" any more).
            auto source = sourceNamed(discovery(host.port()), "registry");
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), source->getValue<std::string>("status"));
        }
        overrides["discovery.registry.allow_remotes"] = "127.0.0.1:" + std::to_string(peer.port());
        InProcessHost host(overrides);
        CPPUNIT_ASSERT(eventually([&] { return connectedWithTools(host.port(), "everything"); }));
    }

    // Found servers on loopback, link-local or cloud-metadata addresses are not probed (not one
    // request reaches them) unless discovery.<source>.allow_private_addresses allows that class; a
    // name is judged by what it resolves to. In a network namespace: had a probe gone out to the
    // metadata address, it could not have left the machine.
    void testPrivateAddressesAreNotProbedUnlessAllowed() {
        mc::test::inNetworkNamespace("DiscoveryTest::testPrivateAddressesAreNotProbedUnlessAllowed", [] {
            RegistryFixture registry; // it records every request: a probe would be a POST to it
            const std::string self = std::to_string(registry.port());
            registry.put("io.example/loopback", "{\"remotes\":[" + RegistryFixture::remote("streamable-http", "http://127.0.0.1:" + self + "/mcp") + "]}");
            registry.put("io.example/named", "{\"remotes\":[" + RegistryFixture::remote("streamable-http", "http://localhost:" + self + "/named") + "]}");
            registry.put("io.example/imds", "{\"remotes\":[" + RegistryFixture::remote("streamable-http", "http://169.254.169.254/latest/mcp") + "]}");
            registry.put("io.example/gcp", "{\"remotes\":[" + RegistryFixture::remote("sse", "http://metadata.google.internal/sse") + "]}");
            registry.put("io.example/v6", "{\"remotes\":[" + RegistryFixture::remote("streamable-http", "http://[fe80::1]:3001/mcp") + "]}");
            auto overrides = registryOnly(registry, "list-only");
            overrides.erase("discovery.registry.allow_private_addresses");
            const std::vector<std::pair<std::string, std::string>> refused = {
                {"io.example/loopback", "127.0.0.1 (loopback) is not allowed by discovery.registry.allow_private_addresses"},
                {"io.example/named", "localhost (loopback) is not allowed by discovery.registry.allow_private_addresses"},
                {"io.example/imds", "169.254.169.254 (metadata) is not allowed by discovery.registry.allow_private_addresses"},
                {"io.example/gcp", "metadata.google.internal (metadata) is not allowed by discovery.registry.allow_private_addresses"},
                {"io.example/v6", "fe80::1 (link-local) is not allowed by discovery.registry.allow_private_addresses"},
            };
            {
                InProcessHost host(overrides);
                for (const auto& item : refused) {
                    const std::string& key = item.first; // not a structured binding: lambdas may not capture those (C++17)
                    const std::string& error = item.second;
                    Poco::JSON::Object::Ptr entry;
                    CPPUNIT_ASSERT_MESSAGE(key, eventually([&] {
                        entry = foundWithKey(sourceNamed(discovery(host.port()), "registry"), key);
                        return entry && entry->getObject("probe")->getValue<std::string>("status") == "refused";
                    }));
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(key, error, entry->getObject("probe")->getValue<std::string>("error"));
                    CPPUNIT_ASSERT(entry->getObject("probe")->isNull("connect_address"));
                }
                for (const auto& r : registry.requests()) CPPUNIT_ASSERT_MESSAGE(r, r.rfind("GET /v0.1/servers", 0) == 0);
            }

            // Loopback allowed: the loopback server is probed, at the address judged (the fixture
            // answers 404, so the probe fails); metadata and link-local stay refused.
            overrides["discovery.registry.allow_private_addresses"] = "loopback";
            registry.clearRequests();
            InProcessHost host(overrides);
            Poco::JSON::Object::Ptr loopback;
            CPPUNIT_ASSERT(eventually([&] {
                loopback = foundWithKey(sourceNamed(discovery(host.port()), "registry"), "io.example/loopback");
                return loopback && loopback->getObject("probe")->getValue<std::string>("status") == "failed";
            }));
            CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), loopback->getObject("probe")->getValue<std::string>("connect_address"));
            CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), loopback->getObject("probe")->getArray("addresses")->getElement<std::string>(0));
            bool posted = false;
            for (const auto& r : registry.requests()) posted |= r == "POST /mcp";
            CPPUNIT_ASSERT(posted);
            auto imds = foundWithKey(sourceNamed(discovery(host.port()), "registry"), "io.example/imds");
            CPPUNIT_ASSERT_EQUAL(std::string("refused"), imds->getObject("probe")->getValue<std::string>("status"));
        });
    }

    void testRolesOfTheDiscoveryRoutes() {
        RegistryFixture registry;
        auto overrides = registryOnly(registry, "list-only");
        overrides["auth.jwt.secret"] = "discovery-test-secret-0123456789";
        InProcessHost host(overrides);
        const auto& auth = host.runtime->auth();
        const std::string viewer = "Bearer " + auth.issue("v", mc::host::Role::Viewer);
        const std::string operatorToken = "Bearer " + auth.issue("o", mc::host::Role::Operator);
        CPPUNIT_ASSERT_EQUAL(401, httpGet(host.port(), "/api/discovery").status);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/api/discovery", {{"Authorization", viewer}}).status);
        CPPUNIT_ASSERT_EQUAL(403, httpRequest("POST", host.port(), "/api/discovery/registry/refresh", "", {{"Authorization", viewer}}).status);
        CPPUNIT_ASSERT_EQUAL(202, httpRequest("POST", host.port(), "/api/discovery/registry/refresh", "", {{"Authorization", operatorToken}}).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryTest);
