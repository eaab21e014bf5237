// What an MCP server may learn of the host: the real mission-control binary, started with secrets in
// its environment, against real server-everything (whose get-env tool prints its whole environment)
// and gateway-peer.mjs (which records the credentials it was sent).
#include "GatewayTestSupport.h"
#include "HostProcess.h"
#include "TestHttp.h"
#include "TestWebSocket.h"
#include "web/Auth.h"

#include <Poco/JSON/Stringifier.h>

#include <Poco/JSON/Object.h>
#include <cppunit/extensions/HelperMacros.h>

#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
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

std::string statusOf(unsigned short port, const std::string& id, const std::map<std::string, std::string>& headers = {}) {
    auto r = httpGet(port, "/api/mcps/" + id, headers);
    return r.status == 200 ? r.json()->getValue<std::string>("status") : "absent";
}

std::string lastErrorOf(unsigned short port, const std::string& id) {
    auto r = httpGet(port, "/api/mcps/" + id);
    if (r.status != 200 || r.json()->isNull("last_error")) return {};
    return r.json()->getValue<std::string>("last_error");
}

std::string errorCode(const mc::test::HttpResult& r) { return r.json()->getObject("error")->getValue<std::string>("code"); }

// gateway-peer.mjs over HTTP, recording the credentials it is sent.
class CredentialPeer : public mc::test::NodeHttpPeer {
public:
    CredentialPeer()
        : NodeHttpPeer({std::string(MC_TEST_MCP_PEERS_DIR) + "/gateway-peer.mjs", "http",
                        "--record-headers=authorization,x-file-token,x-plain"}) {}
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/mcp"; }
    // The distinct values of request header `name` the peer saw.
    std::set<std::string> seen(const std::string& name) const {
        std::set<std::string> out;
        auto values = httpGet(port(), "/debug").json()->getObject("recordedHeaders")->getArray(name);
        for (std::size_t i = 0; i < values->size(); ++i) out.insert(values->getElement<std::string>(static_cast<unsigned>(i)));
        return out;
    }
};

// The messages a WebSocket subscriber got, until none came for 300 ms or for 2 s at most (servers
// that keep failing to connect keep publishing), as one text.
std::string drain(mc::test::TestWebSocket& ws) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    try {
        while (std::chrono::steady_clock::now() < deadline) {
            std::ostringstream text;
            Poco::JSON::Stringifier::stringify(ws.receive(300), text);
            out += text.str() + "\n";
        }
    } catch (const std::exception&) {
    }
    return out;
}

std::string bytesOf(const std::string& path) { return mc::test::readFile(path); }

} // namespace

class GatewaySecretsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewaySecretsTest);
    CPPUNIT_TEST(stdioServerSeesOnlyTheMinimalEnvironment);
    CPPUNIT_TEST(placeholdersResolveAtEachConnectAndNoValueLeaks);
    CPPUNIT_TEST(apiRegistrationsMayUseOnlyAllowedPlaceholders);
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

    // host.properties servers take secrets from the host's environment and files when they connect;
    // a missing one fails that connect (named in last_error) and the next attempt reads it again.
    // No value, plain or resolved, is in any API answer, event, log line or the store.
    void placeholdersResolveAtEachConnectAndNoValueLeaks() {
        TempDir dir;
        CredentialPeer peer;
        CPPUNIT_ASSERT(peer.ready());
        dir.write("token", "file-secret-value\n");
        const std::string lateToken = dir.file("late-token");
        const std::vector<std::string> secrets = {"env-secret-value", "file-secret-value", "plain-header-secret",
                                                  "plain-env-secret", "late-secret-value"};
        RealHost host(dir,
                      {"mcp.servers.remote.transport = http", "mcp.servers.remote.url = " + peer.url(),
                       "mcp.servers.remote.headers = {\"Authorization\": \"Bearer ${env:SECRETS_TEST_TOKEN}\", "
                       "\"X-File-Token\": \"${file:" + dir.file("token") + "}\", \"X-Plain\": \"plain-header-secret\"}",
                       "mcp.servers.local.transport = stdio", "mcp.servers.local.command = node",
                       "mcp.servers.local.args = [\"" + kEverything + "\", \"stdio\"]",
                       "mcp.servers.local.env = {\"FROM_ENV\": \"${env:SECRETS_TEST_TOKEN}\", \"FROM_FILE\": \"${file:" +
                           dir.file("token") + "}\", \"PLAIN\": \"plain-env-secret\", \"LITERAL\": \"$${env:NOT_A_PLACEHOLDER}\"}",
                       "mcp.servers.late.transport = http", "mcp.servers.late.url = " + peer.url(),
                       "mcp.servers.late.headers = {\"X-File-Token\": \"${file:" + lateToken + "}\"}",
                       "mcp.servers.unset.transport = http", "mcp.servers.unset.url = " + peer.url(),
                       "mcp.servers.unset.headers = {\"Authorization\": \"Bearer ${env:SECRETS_TEST_UNSET}\"}"},
                      {{"SECRETS_TEST_TOKEN", "env-secret-value"}});
        CPPUNIT_ASSERT_MESSAGE(host.process->output(), host.process->waitHealthy(host.port));
        mc::test::TestWebSocket events(host.port);
        events.receiveType("welcome");
        events.sendText(R"({"type":"subscribe","channel":"mcps"})");
        events.receiveType("subscribed");

        CPPUNIT_ASSERT_MESSAGE(host.process->output(), eventually([&] {
            return statusOf(host.port, "remote") == "connected" && statusOf(host.port, "local") == "connected";
        }));
        // Resolved into what the servers were sent.
        CPPUNIT_ASSERT(peer.seen("authorization").count("Bearer env-secret-value"));
        CPPUNIT_ASSERT(peer.seen("x-file-token").count("file-secret-value")); // the file's line break trimmed
        CPPUNIT_ASSERT(peer.seen("x-plain").count("plain-header-secret"));
        auto call = httpRequest("POST", host.port, "/api/mcps/local/tools/get-env/call", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(call.body, 200, call.status);
        auto env = mc::test::parseObject(call.json()->getArray("content")->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("env-secret-value"), env->getValue<std::string>("FROM_ENV"));
        CPPUNIT_ASSERT_EQUAL(std::string("file-secret-value"), env->getValue<std::string>("FROM_FILE"));
        CPPUNIT_ASSERT_EQUAL(std::string("plain-env-secret"), env->getValue<std::string>("PLAIN"));
        CPPUNIT_ASSERT_EQUAL(std::string("${env:NOT_A_PLACEHOLDER}"), env->getValue<std::string>("LITERAL"));

        // A file not there yet fails each connect, naming the server, the field and the placeholder...
        const std::string lateError = "cannot resolve headers.X-File-Token of MCP server 'late': ${file:" + lateToken +
                                      "}: cannot read " + lateToken + ": No such file or directory";
        // Status and error are read from one answer: a retry may start between two reads, and while it
        // connects the last attempt's error stays.
        CPPUNIT_ASSERT_MESSAGE(httpGet(host.port, "/api/mcps/late").body, eventually([&] {
            auto late = httpGet(host.port, "/api/mcps/late");
            return late.status == 200 && late.json()->getValue<std::string>("status") == "disconnected" &&
                   !late.json()->isNull("last_error") && late.json()->getValue<std::string>("last_error") == lateError;
        }));
        CPPUNIT_ASSERT_EQUAL(std::string("cannot resolve headers.Authorization of MCP server 'unset': ${env:SECRETS_TEST_UNSET}: "
                                         "the environment variable SECRETS_TEST_UNSET is not set"),
                             lastErrorOf(host.port, "unset"));
        // ... and a reconnect reads it again.
        dir.write("late-token", "late-secret-value");
        CPPUNIT_ASSERT_MESSAGE(lastErrorOf(host.port, "late"), eventually([&] { return statusOf(host.port, "late") == "connected"; }));
        CPPUNIT_ASSERT(peer.seen("x-file-token").count("late-secret-value"));

        // Nothing any client, log or the store holds has a value.
        std::map<std::string, std::string> seen = {{"GET /api/mcps", httpGet(host.port, "/api/mcps").body}};
        for (const std::string id : {"remote", "local", "late", "unset"})
            seen["GET /api/mcps/" + id] = httpGet(host.port, "/api/mcps/" + id).body;
        for (const std::string id : {"remote", "local", "late", "unset"})
            seen["GET /api/mcps/" + id + "/history"] = httpGet(host.port, "/api/mcps/" + id + "/history").body;
        seen["GET /api/logs"] = httpGet(host.port, "/api/logs?limit=1000").body;
        seen["mcps events"] = drain(events);
        CPPUNIT_ASSERT_MESSAGE(seen["mcps events"], contains(seen["mcps events"], "MCP server 'late'")); // the events were seen
        host.process->terminate();
        CPPUNIT_ASSERT_EQUAL(0, host.process->waitExit());
        seen["host log"] = host.process->output();
        seen["store"] = bytesOf(dir.file("mc.db")) + bytesOf(dir.file("mc.db-wal"));
        CPPUNIT_ASSERT_MESSAGE(seen["host log"], contains(seen["host log"], "mcp 'late'"));
        for (const auto& [where, text] : seen)
            for (const auto& secret : secrets) CPPUNIT_ASSERT_MESSAGE(secret + " in " + where, !contains(text, secret));
    }

    // An admin could point a server of their own at the host's secrets: over the API only the
    // placeholders gateway.api_placeholders lists are accepted (and never MC_*), and the registration's
    // values reach no answer, event, audit record or log line.
    void apiRegistrationsMayUseOnlyAllowedPlaceholders() {
        TempDir dir;
        CredentialPeer peer;
        CPPUNIT_ASSERT(peer.ready());
        dir.write("allowed-token", "allowed-file-secret");
        dir.write("other-token", "other-file-secret");
        ::symlink(dir.file("other-token").c_str(), dir.file("allowed-link").c_str());
        RealHost host(dir, {"gateway.api_placeholders = env:SECRETS_TEST_TOKEN, file:" + dir.path() + "/allowed-*"},
                      {{"SECRETS_TEST_TOKEN", "env-secret-value"}, {"MC_AUTH_JWT_SECRET", kJwtSecret}});
        CPPUNIT_ASSERT_MESSAGE(host.process->output(), host.process->waitHealthy(host.port));
        const std::map<std::string, std::string> admin = {
            {"Authorization", "Bearer " + mc::host::Authenticator(kJwtSecret).issue("root", mc::host::Role::Admin)}};
        mc::test::TestWebSocket events(host.port, "/ws", admin);
        events.receiveType("welcome");
        events.sendText(R"({"type":"subscribe","channel":"mcps"})");
        events.receiveType("subscribed");
        auto registration = [&](const std::string& id, const std::string& headers) {
            return httpRequest("POST", host.port, "/api/mcps",
                               R"({"id":")" + id + R"(","transport":"http","url":")" + peer.url() + R"(","headers":)" + headers + "}",
                               admin);
        };

        auto shadow = registration("shadow", R"({"Authorization":"Bearer ${file:/etc/shadow}"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shadow.body, 403, shadow.status);
        CPPUNIT_ASSERT_EQUAL(std::string("placeholder_not_allowed"), errorCode(shadow));
        CPPUNIT_ASSERT_EQUAL(std::string("headers.Authorization: ${file:/etc/shadow} is not allowed in a server registered over "
                                         "the API: gateway.api_placeholders does not allow file:/etc/shadow"),
                             shadow.json()->getObject("error")->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("headers.Authorization"),
                             shadow.json()->getObject("error")->getObject("details")->getValue<std::string>("field"));
        auto home = registration("home", R"({"X-Plain":"${env:HOME}"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(home.body, 403, home.status);
        CPPUNIT_ASSERT(contains(home.body, "does not allow env:HOME"));
        // MC_* is refused whatever the host allows.
        auto jwt = registration("jwt", R"({"Authorization":"Bearer ${env:MC_AUTH_JWT_SECRET}"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(jwt.body, 400, jwt.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_config"), errorCode(jwt));
        CPPUNIT_ASSERT_EQUAL(std::string("\"headers\".Authorization: placeholder ${env:MC_AUTH_JWT_SECRET} names MC_AUTH_JWT_SECRET: "
                                         "MC_* variables hold the host's own configuration and are never passed to MCP servers"),
                             jwt.json()->getObject("error")->getValue<std::string>("message"));
        for (const std::string id : {"shadow", "home", "jwt"}) CPPUNIT_ASSERT_EQUAL(std::string("absent"), statusOf(host.port, id, admin));

        // Allowed ones are accepted and resolved when the server connects.
        auto allowed = registration("allowed", R"({"Authorization":"Bearer ${env:SECRETS_TEST_TOKEN}","X-File-Token":"${file:)" +
                                                   dir.file("allowed-token") + R"(}","X-Plain":"api-plain-secret"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(allowed.body, 201, allowed.status);
        CPPUNIT_ASSERT(eventually([&] { return statusOf(host.port, "allowed", admin) == "connected"; }));
        CPPUNIT_ASSERT(peer.seen("authorization").count("Bearer env-secret-value"));
        CPPUNIT_ASSERT(peer.seen("x-file-token").count("allowed-file-secret"));
        CPPUNIT_ASSERT(peer.seen("x-plain").count("api-plain-secret"));
        // A link with an allowed name that leads elsewhere fails the connect.
        auto link = registration("link", R"({"X-File-Token":"${file:)" + dir.file("allowed-link") + R"(}"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(link.body, 201, link.status);
        const std::string linkError = "cannot resolve headers.X-File-Token of MCP server 'link': ${file:" + dir.file("allowed-link") +
                                      "}: " + dir.file("allowed-link") + " leads to " + dir.file("other-token") +
                                      ", which gateway.api_placeholders does not allow";
        // It keeps retrying (connecting, then disconnected again with the same error): the status is
        // read from the same answer as the error, in a moment between two attempts.
        CPPUNIT_ASSERT(eventually([&] {
            auto r = httpGet(host.port, "/api/mcps/link", admin);
            return r.status == 200 && !r.json()->isNull("last_error") && r.json()->getValue<std::string>("last_error") == linkError &&
                   r.json()->getValue<std::string>("status") == "disconnected";
        }));
        CPPUNIT_ASSERT(!peer.seen("x-file-token").count("other-file-secret"));

        std::map<std::string, std::string> seen = {{"GET /api/mcps", httpGet(host.port, "/api/mcps", admin).body},
                                                   {"GET /api/mcps/allowed", httpGet(host.port, "/api/mcps/allowed", admin).body},
                                                   {"POST /api/mcps", allowed.body}};
        auto audit = httpGet(host.port, "/api/audit?action=mcp.register", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(audit.body, 200, audit.status);
        CPPUNIT_ASSERT_MESSAGE(audit.body, contains(audit.body, "\"target\":\"allowed\""));
        seen["audit"] = audit.body;
        seen["mcps events"] = drain(events);
        CPPUNIT_ASSERT_MESSAGE(seen["mcps events"], contains(seen["mcps events"], "\"id\":\"allowed\""));
        host.process->terminate();
        CPPUNIT_ASSERT_EQUAL(0, host.process->waitExit());
        seen["host log"] = host.process->output();
        seen["store"] = bytesOf(dir.file("mc.db")) + bytesOf(dir.file("mc.db-wal"));
        for (const auto& [where, text] : seen)
            for (const std::string secret : {"env-secret-value", "allowed-file-secret", "api-plain-secret", "other-file-secret"})
                CPPUNIT_ASSERT_MESSAGE(secret + " in " + where, !contains(text, secret));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewaySecretsTest);
