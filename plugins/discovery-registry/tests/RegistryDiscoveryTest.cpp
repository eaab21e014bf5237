// discovery-registry against a local registry fixture (the official ServerList shape) over loopback:
// pagination, remotes and packages, deleted servers, updated_since, the /v0 fallback, and a registry
// that is down or answers a malformed page (last good list kept, status error, recovery). The built .so
// runs in the SDK's fake host (tests/plugins/DiscoveryFakeHarness.h).
#include "DiscoveryFakeHarness.h"
#include "RegistryFixture.h"

#include <Poco/JSON/Array.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <memory>

using mc::test::DiscoveryFakeHarness;
using mc::test::RegistryFixture;

namespace {

using Report = Poco::JSON::Object;

std::size_t countRequests(const RegistryFixture& registry, const std::string& needle) {
    const auto all = registry.requests();
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const std::string& r) { return r.find(needle) != std::string::npos; }));
}

// Five servers: two pages of two and one of one at page_limit = 2.
void fillRegistry(RegistryFixture& registry) {
    registry.put("io.example/weather",
                 "{\"title\":\"Weather\",\"remotes\":[" +
                     RegistryFixture::remote("streamable-http", "http://127.0.0.1:{port}/mcp",
                                             "\"variables\":{\"port\":{\"default\":\"7001\"}},"
                                             "\"headers\":[{\"name\":\"X-Api-Key\",\"value\":\"k1\"}]") +
                     "]}");
    registry.put("io.example/legacy", "{\"remotes\":[" + RegistryFixture::remote("sse", "http://127.0.0.1:7002/sse") + "]}");
    registry.put("io.example/files-pkg", "{\"packages\":[" + RegistryFixture::npmPackage("@example/files-mcp", "2.1.0") + "]}");
    registry.put("io.example/tenant",
                 "{\"remotes\":[" + RegistryFixture::remote("streamable-http", "https://{tenant}.example.test/mcp") + "]}");
    registry.put("io.example/secret",
                 "{\"remotes\":[" +
                     RegistryFixture::remote("streamable-http", "http://127.0.0.1:7005/mcp",
                                             "\"headers\":[{\"name\":\"Authorization\",\"isRequired\":true,\"isSecret\":true}]") +
                     "]}");
}

std::map<std::string, std::string> config(const RegistryFixture& registry) {
    return {{"url", registry.url()}, {"page_limit", "2"}, {"interval", "3600"}, {"timeout_ms", "2000"}};
}

} // namespace

class RegistryDiscoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RegistryDiscoveryTest);
    CPPUNIT_TEST(testPagesAreFollowedAndServersBecomeReports);
    CPPUNIT_TEST(testIncrementalRefreshReportsChangesAndDeletedServers);
    CPPUNIT_TEST(testMalformedPageKeepsTheLastGoodListAndRecovers);
    CPPUNIT_TEST(testRegistryDownIsAnErrorStateAndRecovers);
    CPPUNIT_TEST(testFallsBackToV0WhenV01IsNotFound);
    CPPUNIT_TEST(testSlowRegistryTimesOut);
    CPPUNIT_TEST(testSearchIsPassedOn);
    CPPUNIT_TEST(testMissingUrlIsRefusedAtCreate);
    CPPUNIT_TEST(testEntriesThatAreNotObjectsAreSkipped);
    CPPUNIT_TEST(testOversizedAnswerFailsTheRefreshNamingTheKey);
    CPPUNIT_TEST(testBadEntriesAreSkippedAndTheRestIsUsed);
    CPPUNIT_TEST(testPackagesThatCannotBeRunSafelyAreListedNotBuilt);
    CPPUNIT_TEST_SUITE_END();

public:
    // Each test: a registry holding fillRegistry's five servers; startPlugin() runs the plugin on it.
    void setUp() override {
        registry_ = std::make_unique<RegistryFixture>();
        fillRegistry(*registry_);
    }
    void tearDown() override {
        plugin_.reset();
        registry_.reset();
    }

    void testPagesAreFollowedAndServersBecomeReports() {
        RegistryFixture& registry = *registry_;
        auto state = startPlugin();
        DiscoveryFakeHarness& plugin = *plugin_;
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), state->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(5, state->getValue<int>("found"));

        // Three pages: limit=2, then the cursors the registry handed out.
        const auto requests = registry.requests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), requests.size());
        CPPUNIT_ASSERT(requests[0].find("GET /v0.1/servers?limit=2") == 0);
        CPPUNIT_ASSERT(requests[0].find("cursor=") == std::string::npos);
        CPPUNIT_ASSERT(requests[1].find("cursor=c2") != std::string::npos);
        CPPUNIT_ASSERT(requests[2].find("cursor=c4") != std::string::npos);

        auto weather = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/weather"); });
        CPPUNIT_ASSERT_EQUAL(std::string("Weather"), weather->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("http"), weather->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:7001/mcp"), weather->getValue<std::string>("url"));
        CPPUNIT_ASSERT_EQUAL(std::string("k1"), weather->getObject("headers")->getValue<std::string>("X-Api-Key"));
        CPPUNIT_ASSERT(!weather->has("connectable"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), weather->getObject("details")->getValue<std::string>("version"));

        auto legacy = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/legacy"); });
        CPPUNIT_ASSERT_EQUAL(std::string("sse"), legacy->getValue<std::string>("transport"));

        auto package = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/files-pkg"); });
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), package->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("npx"), package->getValue<std::string>("command"));
        CPPUNIT_ASSERT_EQUAL(std::string("@example/files-mcp@2.1.0"), package->getArray("args")->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::string("@example/files-mcp"),
                             package->getObject("details")->getObject("package")->getValue<std::string>("identifier"));

        auto tenant = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/tenant"); });
        CPPUNIT_ASSERT_EQUAL(false, tenant->getValue<bool>("connectable"));
        CPPUNIT_ASSERT(tenant->getValue<std::string>("reason").find("{tenant}") != std::string::npos);

        auto secret = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/secret"); });
        CPPUNIT_ASSERT_EQUAL(false, secret->getValue<bool>("connectable"));
        CPPUNIT_ASSERT(secret->getValue<std::string>("reason").find("'Authorization'") != std::string::npos);
    }

    void testIncrementalRefreshReportsChangesAndDeletedServers() {
        RegistryFixture& registry = *registry_;
        startPlugin();
        DiscoveryFakeHarness& plugin = *plugin_;
        const std::size_t firstRun = plugin.count();
        registry.clearRequests();

        registry.put("io.example/legacy", "{\"remotes\":[" + RegistryFixture::remote("sse", "http://127.0.0.1:7002/sse") + "]}",
                     "deleted");
        registry.put("io.example/new", "{\"remotes\":[" + RegistryFixture::remote("streamable-http", "http://127.0.0.1:7006/mcp") + "]}");
        plugin.refresh();
        auto state = plugin.waitForState(firstRun);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), state->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(5, state->getValue<int>("found")); // 5 - deleted + new

        // Only what changed was asked for, and only what changed was reported. (On a loaded machine the
        // fixture has been seen to answer the incremental listing with every server — 3 pages instead of
        // 1 — so the page count is not asserted; every request must still be incremental.)
        const auto requests = registry.requests();
        CPPUNIT_ASSERT(!requests.empty());
        for (const auto& r : requests) CPPUNIT_ASSERT_MESSAGE(r, r.find("updated_since=") != std::string::npos);
        auto lost = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "lost", "io.example/legacy"); }, firstRun);
        CPPUNIT_ASSERT(plugin.logged("lost 'io.example/legacy': removed from registry"));
        plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/new"); }, firstRun);
        const auto all = plugin.reports();
        for (std::size_t i = firstRun; i < all.size(); ++i)
            CPPUNIT_ASSERT(all[i]->optValue<std::string>("key", "") != "io.example/weather");
    }

    // Found by fuzz/registry_page: a "packages" entry that is not an object threw Poco's
    // NullPointerException out of the page parser, and the whole refresh failed.
    void testEntriesThatAreNotObjectsAreSkipped() {
        registry_->put("io.example/odd",
                       "{\"packages\":[1,\"x\",null," + RegistryFixture::npmPackage("@example/odd-mcp", "1.0.0") +
                           "],\"remotes\":[2]}");
        auto state = startPlugin();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), state->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(6, state->getValue<int>("found"));
        auto odd = plugin_->waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/odd"); });
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), odd->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("@example/odd-mcp@1.0.0"), odd->getArray("args")->getElement<std::string>(1));
    }

    void testMalformedPageKeepsTheLastGoodListAndRecovers() {
        RegistryFixture& registry = *registry_;
        startPlugin();
        DiscoveryFakeHarness& plugin = *plugin_;
        const std::size_t firstRun = plugin.count();

        // Every server changes, so the incremental listing has pages again; its page 2 is broken.
        registry.setMalformedPage(2);
        fillRegistry(registry);
        plugin.refresh();
        auto error = plugin.waitFor([](const Report& r) {
            return r.getValue<std::string>("action") == "state" && r.getValue<std::string>("state") == "error";
        }, firstRun);
        const std::string message = error->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find("page 2") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("malformed") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("keeping the last good list (5 servers)") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(5, error->getValue<int>("found"));

        // Fixed: the retry (backoff starts at 1 s) lists everything again; nothing was lost meanwhile.
        const std::size_t afterError = plugin.count();
        registry.setMalformedPage(0);
        auto ok = plugin.waitFor([](const Report& r) {
            return r.getValue<std::string>("action") == "state" && r.getValue<std::string>("state") == "ok";
        }, afterError);
        CPPUNIT_ASSERT_EQUAL(5, ok->getValue<int>("found"));
        for (const auto& r : plugin.reports()) CPPUNIT_ASSERT(r->getValue<std::string>("action") != "lost");
    }

    void testRegistryDownIsAnErrorStateAndRecovers() {
        RegistryFixture& registry = *registry_;
        registry.setDown(true);
        auto error = startPlugin();
        DiscoveryFakeHarness& plugin = *plugin_;
        CPPUNIT_ASSERT_EQUAL(std::string("error"), error->getValue<std::string>("state"));
        CPPUNIT_ASSERT(error->getValue<std::string>("message").find("HTTP 503") != std::string::npos);
        const std::size_t before = plugin.count();
        registry.setDown(false);
        auto ok = plugin.waitForState(before);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), ok->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(5, ok->getValue<int>("found"));
    }

    void testFallsBackToV0WhenV01IsNotFound() {
        RegistryFixture& registry = *registry_;
        registry.setLegacyOnly(true);
        auto state = startPlugin();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), state->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countRequests(registry, "/v0.1/servers"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), countRequests(registry, "GET /v0/servers"));
    }

    void testSlowRegistryTimesOut() {
        registry_->setDelayMs(1500);
        auto error = startPlugin({{"timeout_ms", "300"}});
        CPPUNIT_ASSERT_EQUAL(std::string("error"), error->getValue<std::string>("state"));
        const std::string message = error->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find("failed: Timeout") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("retrying in 1000 ms") != std::string::npos);
    }

    void testSearchIsPassedOn() {
        auto state = startPlugin({{"search", "weather"}});
        CPPUNIT_ASSERT_EQUAL(1, state->getValue<int>("found"));
        CPPUNIT_ASSERT(registry_->requests().at(0).find("search=weather") != std::string::npos);
        plugin_->waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/weather"); });
    }

    // The key is declared required: the host refuses the instance before the plugin sees it.
    void testMissingUrlIsRefusedAtCreate() {
        try {
            DiscoveryFakeHarness plugin("discovery-registry", {});
            CPPUNIT_FAIL("create accepted a registry without url");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            CPPUNIT_ASSERT_MESSAGE(what, what.find("discovery.registry.url is required and not set") != std::string::npos);
        }
    }

    // A registry answer larger than max_page_bytes fails the refresh with an error naming the key,
    // whether it declares its length or streams it chunked (read only up to the cap).
    void testOversizedAnswerFailsTheRefreshNamingTheKey() {
        registry_->setPaddingBytes(64 * 1024);
        for (bool chunked : {false, true}) {
            registry_->setChunked(chunked);
            auto error = startPlugin({{"max_page_bytes", "16384"}});
            CPPUNIT_ASSERT_EQUAL(std::string("error"), error->getValue<std::string>("state"));
            const std::string message = error->getValue<std::string>("message");
            CPPUNIT_ASSERT_MESSAGE(message, message.find("the answer is larger than discovery.registry.max_page_bytes (16384 bytes)") !=
                                               std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find(chunked ? "; stopped reading" : ": Content-Length ") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL(0, error->getValue<int>("found"));
            plugin_.reset();
        }
        // Within the (default, 8 MiB) cap the same registry lists fine.
        auto ok = startPlugin();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), ok->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(5, ok->getValue<int>("found"));
        // The key's declared range is checked before create.
        try {
            DiscoveryFakeHarness plugin("discovery-registry", {{"url", registry_->url()}, {"max_page_bytes", "10"}});
            CPPUNIT_FAIL("max_page_bytes = 10 was accepted");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("discovery.registry.max_page_bytes = '10': expected an "
                                                                        "integer in [1024, 1073741824]") != std::string::npos);
        }
    }

    // One bad element (not an object, no name, a package or remote that is not an object) costs only
    // itself: it is logged and counted in the status message; every other server of the page is listed.
    void testBadEntriesAreSkippedAndTheRestIsUsed() {
        RegistryFixture& registry = *registry_;
        registry.putRaw("io.example/a-string", "\"io.example/a-string\"");
        registry.putRaw("io.example/nameless", "{\"server\":{\"title\":\"No name\"}}");
        registry.put("io.example/mixed-packages", "{\"packages\":[\"oops\"," + RegistryFixture::npmPackage("@example/mixed", "1.0.0") + "]}");
        registry.put("io.example/mixed-remotes",
                     "{\"remotes\":[42," + RegistryFixture::remote("streamable-http", "http://127.0.0.1:7007/mcp",
                                                                     "\"headers\":[\"x\",{\"name\":\"X-Key\",\"value\":\"v\"}]") + "]}");
        auto state = startPlugin({{"page_limit", "100"}});
        DiscoveryFakeHarness& plugin = *plugin_;
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), state->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(7, state->getValue<int>("found")); // the five, and the two mixed ones
        const std::string message = state->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find("7 server(s) listed, 0 lost, 5 entries skipped") != std::string::npos);
        const std::vector<std::string> expected = {
            "page 1 servers[5] is not an object: skipped",
            "page 1 servers[6] has no \"name\": skipped",
            "page 1 servers[7] (io.example/mixed-packages).packages[0] is not an object: skipped",
            "page 1 servers[8] (io.example/mixed-remotes).remotes[0] is not an object: skipped",
            "page 1 servers[8] (io.example/mixed-remotes).remotes[].headers[0] is not an object: skipped",
        };
        for (const auto& skip : expected) CPPUNIT_ASSERT_MESSAGE(skip, plugin.logged(registry_->url() + "/v0.1/servers: " + skip));

        auto packaged = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/mixed-packages"); });
        CPPUNIT_ASSERT_EQUAL(std::string("@example/mixed@1.0.0"), packaged->getArray("args")->getElement<std::string>(1));
        auto remote = plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/mixed-remotes"); });
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:7007/mcp"), remote->getValue<std::string>("url"));
        CPPUNIT_ASSERT_EQUAL(std::string("v"), remote->getObject("headers")->getValue<std::string>("X-Key"));
        plugin.waitFor([](const Report& r) { return DiscoveryFakeHarness::is(r, "found", "io.example/weather"); });
    }

    // The plugin builds a command line only from a package it can run safely; anything else (a
    // version that npm would read as another package, a git source or a URL; an unknown registry
    // type; an identifier that is an option) is listed not connectable with the reason.
    void testPackagesThatCannotBeRunSafelyAreListedNotBuilt() {
        RegistryFixture& registry = *registry_;
        auto package = [](const std::string& type, const std::string& id, const std::string& version) {
            return "{\"packages\":[{\"registryType\":\"" + type + "\",\"identifier\":\"" + id + "\",\"version\":\"" + version +
                   "\",\"transport\":{\"type\":\"stdio\"}}]}";
        };
        registry.put("io.example/alias", package("npm", "@example/files-mcp", "npm:evil-package@6.6.6"));
        registry.put("io.example/git", package("npm", "@example/files-mcp", "github:evil/repo"));
        registry.put("io.example/tarball", package("npm", "@example/files-mcp", "https://evil.example/x.tgz"));
        registry.put("io.example/range", package("pypi", "mcp-server-time", ">=0.1"));
        registry.put("io.example/option", package("npm", "--registry=http://evil.example", "1.0.0"));
        registry.put("io.example/oci-tag", package("oci", "docker.io/mcp/everything:latest", "1.0.0"));
        registry.put("io.example/nuget", package("nuget", "Example.Mcp", "1.0.0"));
        registry.put("io.example/oci-ok", package("oci", "docker.io/mcp/everything", "1.2.0"));
        startPlugin({{"page_limit", "100"}});
        DiscoveryFakeHarness& plugin = *plugin_;
        const std::vector<std::pair<std::string, std::string>> refused = {
            {"io.example/alias", "package npm '@example/files-mcp' cannot be run safely: version 'npm:evil-package@6.6.6' is not plain semver"},
            {"io.example/git", "version 'github:evil/repo' is not plain semver"},
            {"io.example/tarball", "version 'https://evil.example/x.tgz' is not plain semver"},
            {"io.example/range", "version '>=0.1' is not plain semver"},
            {"io.example/option", "identifier '--registry=http://evil.example' is not a plain npm package name"},
            {"io.example/oci-tag", "identifier 'docker.io/mcp/everything:latest' is not a plain oci image name"},
            {"io.example/nuget", "registry type 'nuget' is not one of npm, pypi, oci"},
        };
        for (const auto& entry : refused) {
            const std::string& key = entry.first; // not a structured binding: lambdas may not capture those (C++17)
            const std::string& why = entry.second;
            auto r = plugin.waitFor([&](const Report& x) { return DiscoveryFakeHarness::is(x, "found", key); });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(key, false, r->getValue<bool>("connectable"));
            CPPUNIT_ASSERT_MESSAGE(key + ": " + r->getValue<std::string>("reason"), r->getValue<std::string>("reason").find(why) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(key, !r->has("command"));
            CPPUNIT_ASSERT_MESSAGE(key, r->getObject("details")->has("package"));
        }
        auto ok = plugin.waitFor([](const Report& x) { return DiscoveryFakeHarness::is(x, "found", "io.example/oci-ok"); });
        CPPUNIT_ASSERT_EQUAL(std::string("docker"), ok->getValue<std::string>("command"));
        CPPUNIT_ASSERT_EQUAL(std::string("docker.io/mcp/everything:1.2.0"), ok->getArray("args")->getElement<std::string>(3));
    }

private:
    // Starts the plugin on registry_ and returns its first state report (not "starting").
    Poco::JSON::Object::Ptr startPlugin(const std::map<std::string, std::string>& extra = {}) {
        auto keys = config(*registry_);
        for (const auto& [k, v] : extra) keys[k] = v;
        plugin_ = std::make_unique<DiscoveryFakeHarness>("discovery-registry", keys);
        plugin_->start();
        return plugin_->waitForState(0);
    }

    std::unique_ptr<RegistryFixture> registry_;
    std::unique_ptr<DiscoveryFakeHarness> plugin_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RegistryDiscoveryTest);
