// What an MCP server may learn of the host: the real mission-control binary, started with secrets in
// its environment, against real server-everything (whose get-env tool prints its whole environment)
// and gateway-peer.mjs (which records the credentials it was sent).
#include "GatewayTestSupport.h"
#include "HostProcess.h"
#include "TestHttp.h"
#include "web/Auth.h"

#include <Poco/JSON/Object.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <set>
#include <string>
#include <vector>

using mc::test::eventually;
using mc::test::freePort;
using mc::test::HostProcess;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::TempDir;

namespace {

const std::string kEverything = mc::test::everythingServerScript();
const std::string kJwtSecret = "gateway-secrets-test-jwt-secret-0123456789";

std::string contents(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// The real host on a free port with `properties` as its host.properties and `env` added to its
// environment; logs at debug level, so every line the gateway can write is written.
struct RealHost {
    RealHost(const TempDir& dir, const std::vector<std::string>& properties, const std::map<std::string, std::string>& env)
        : port(freePort()) {
        dir.write("host.properties", contents(properties));
        process = std::make_unique<HostProcess>(
            std::vector<std::string>{"--config=" + dir.file("host.properties"), "-Dplugins.dir=" MC_TEST_PLUGIN_DIR,
                                     "-Dstore.sqlite.path=" + dir.file("mc.db"), "-Ddiscovery.mdns.enabled=false",
                                     "-Dhttp.port=" + std::to_string(port), "-Dlog.level=debug",
                                     "-Dgateway.reconnect.initial_ms=100", "-Dgateway.reconnect.max_ms=500"},
            env);
    }
    unsigned short port;
    std::unique_ptr<HostProcess> process;
};

std::string statusOf(unsigned short port, const std::string& id, const std::map<std::string, std::string>& headers) {
    auto r = httpGet(port, "/api/mcps/" + id, headers);
    return r.status == 200 ? r.json()->getValue<std::string>("status") : "absent";
}

} // namespace

class GatewaySecretsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewaySecretsTest);
    CPPUNIT_TEST(stdioServerSeesOnlyTheMinimalEnvironment);
    CPPUNIT_TEST_SUITE_END();

public:
    // server-everything's get-env, called through the host's gateway, shows the baseline, the
    // server's env and its inherit_env names; never the host's MC_* configuration or anything else.
    void stdioServerSeesOnlyTheMinimalEnvironment() {
        TempDir dir;
        const std::map<std::string, std::string> hostEnv = {
            {"MC_AUTH_JWT_SECRET", kJwtSecret},
            {"MC_SECRETS_TEST_OTHER", "mc-other-value"},
            {"SECRETS_TEST_INHERITED", "inherited-value"},
            {"SECRETS_TEST_PRIVATE", "private-value"},
            {"HOME", dir.path()},
            {"LANG", "C.UTF-8"},
            {"LC_TIME", "C"},
            {"TZ", "UTC"},
            {"TMPDIR", dir.path()},
        };
        RealHost host(dir,
                      {"mcp.servers.everything.transport = stdio", "mcp.servers.everything.command = node",
                       "mcp.servers.everything.args = [\"" + kEverything + "\", \"stdio\"]",
                       "mcp.servers.everything.env = {\"SERVER_OWN\": \"own-value\"}",
                       "mcp.servers.everything.inherit_env = [\"SECRETS_TEST_INHERITED\"]"},
                      hostEnv);
        CPPUNIT_ASSERT_MESSAGE(host.process->output(), host.process->waitHealthy(host.port));
        // The host really runs with the secret: it demands tokens signed with it.
        CPPUNIT_ASSERT_EQUAL(401, httpGet(host.port, "/api/mcps").status);
        const std::map<std::string, std::string> auth = {
            {"Authorization", "Bearer " + mc::host::Authenticator(kJwtSecret).issue("tester", mc::host::Role::Operator)}};
        CPPUNIT_ASSERT_MESSAGE(host.process->output(),
                               eventually([&] { return statusOf(host.port, "everything", auth) == "connected"; }));

        auto call = httpRequest("POST", host.port, "/api/mcps/everything/tools/get-env/call", "{}", auth);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(call.body, 200, call.status);
        CPPUNIT_ASSERT_MESSAGE("the JWT secret reached the MCP server", !contains(call.body, kJwtSecret));
        CPPUNIT_ASSERT_MESSAGE(call.body, !contains(call.body, "mc-other-value"));
        CPPUNIT_ASSERT_MESSAGE(call.body, !contains(call.body, "private-value"));
        auto env = mc::test::parseObject(call.json()->getArray("content")->getObject(0)->getValue<std::string>("text"));
        std::set<std::string> names;
        for (const auto& [name, value] : *env) names.insert(name);
        for (const auto& name : names)
            CPPUNIT_ASSERT_MESSAGE("the server got " + name,
                                   name == "PATH" || name == "HOME" || name == "LANG" || name.rfind("LC_", 0) == 0 ||
                                       name == "TZ" || name == "TMPDIR" || name == "SERVER_OWN" || name == "SECRETS_TEST_INHERITED");
        CPPUNIT_ASSERT(env->has("PATH"));
        CPPUNIT_ASSERT_EQUAL(dir.path(), env->getValue<std::string>("HOME"));
        CPPUNIT_ASSERT_EQUAL(std::string("C.UTF-8"), env->getValue<std::string>("LANG"));
        CPPUNIT_ASSERT_EQUAL(std::string("C"), env->getValue<std::string>("LC_TIME"));
        CPPUNIT_ASSERT_EQUAL(std::string("UTC"), env->getValue<std::string>("TZ"));
        CPPUNIT_ASSERT_EQUAL(dir.path(), env->getValue<std::string>("TMPDIR"));
        CPPUNIT_ASSERT_EQUAL(std::string("own-value"), env->getValue<std::string>("SERVER_OWN"));
        CPPUNIT_ASSERT_EQUAL(std::string("inherited-value"), env->getValue<std::string>("SECRETS_TEST_INHERITED"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewaySecretsTest);
