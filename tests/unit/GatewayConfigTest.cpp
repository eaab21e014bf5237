// MCP server definitions from REST bodies and host.properties (the gateway's fields and the opaque
// rest), the transport plugin's validate() in front of registration, and the gateway.* keys.
#include "config/HostConfig.h"
#include "gateway/GatewaySettings.h"
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "gateway/McpGateway.h"
#include "gateway/McpServerConfig.h"
#include "plugin/PluginRegistry.h"
#include "TestHttp.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host;

namespace {
Poco::JSON::Object::Ptr body(const std::string& text) { return mc::test::parseObject(text); }

// The field McpConfigError names for `text`, or "" when it is accepted.
std::string refusedField(const std::string& text, std::string* message = nullptr) {
    try {
        parseMcpServerConfig(*body(text));
    } catch (const McpConfigError& e) {
        if (message) *message = e.what();
        return e.field;
    }
    return {};
}

Poco::AutoPtr<Poco::Util::MapConfiguration> properties(const std::map<std::string, std::string>& values) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    for (const auto& [k, v] : values) map->setString(k, v);
    return map;
}
} // namespace

class GatewayConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayConfigTest);
    CPPUNIT_TEST(gatewayKeepsItsFieldsAndTheRestOpaque);
    CPPUNIT_TEST(invalidDefinitionsNameTheField);
    CPPUNIT_TEST(serversFromPropertiesAreTyped);
    CPPUNIT_TEST(inheritEnvNeverNamesMcVariables);
    CPPUNIT_TEST(badPropertiesNameTheFullKey);
    CPPUNIT_TEST(transportPluginValidatesAndGetsItsKeys);
    CPPUNIT_TEST(gatewaySettingsDefaultsAndValidation);
    CPPUNIT_TEST_SUITE_END();

public:
    // The gateway knows {id, transport, log_level}; the transport's fields travel as written.
    void gatewayKeepsItsFieldsAndTheRestOpaque() {
        auto c = parseMcpServerConfig(*body(
            R"({"id":"files","transport":"stdio","command":"node","args":["a.js","--x"],"env":{"K":"V"},"cwd":"/tmp","shutdown_grace_ms":250,"log_level":"debug"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("files"), c.id);
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), c.transport);
        CPPUNIT_ASSERT(c.startsProcess());
        CPPUNIT_ASSERT_EQUAL(std::string("debug"), c.logLevel);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), c.fields.size());
        CPPUNIT_ASSERT_EQUAL(std::string("node"), c.text("command"));
        CPPUNIT_ASSERT_EQUAL(std::string("--x"), c.strings("args").at(1));
        CPPUNIT_ASSERT_EQUAL(std::string("V"), c.stringMap("env").at("K"));
        CPPUNIT_ASSERT_EQUAL(std::string("node a.js --x"), c.endpoint());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"id":"files","transport":"stdio","log_level":"debug","args":["a.js","--x"],)"
                                         R"("command":"node","cwd":"/tmp","env":{"K":"V"},"shutdown_grace_ms":250})"),
                             c.serverJson());

        auto remote = parseMcpServerConfig(*body(
            R"({"id":"remote","transport":"http","url":"http://127.0.0.1:3001/mcp","headers":{"Authorization":"Bearer x"},"tls_verify":false})"));
        CPPUNIT_ASSERT(!remote.startsProcess());
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:3001/mcp"), remote.endpoint());
        auto server = body(remote.serverJson());
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer x"), server->getObject("headers")->getValue<std::string>("Authorization"));
        CPPUNIT_ASSERT_EQUAL(false, server->getValue<bool>("tls_verify"));
        CPPUNIT_ASSERT(!server->has("connect_timeout_ms")); // no defaults added by the host
        // Any transport a plugin serves: the gateway does not list them.
        auto other = parseMcpServerConfig(*body(R"({"id":"pigeon","transport":"carrier-pigeon","loft":"north"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("carrier-pigeon:pigeon"), other.endpoint());
    }

    void invalidDefinitionsNameTheField() {
        std::string message;
        CPPUNIT_ASSERT_EQUAL(std::string("id"), refusedField(R"({"transport":"stdio","command":"x"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"id\" is required"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("id"), refusedField(R"({"id":"Bad Id","transport":"stdio","command":"x"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("transport"), refusedField(R"({"id":"a"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"transport\" is required"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("transport"), refusedField(R"({"id":"a","transport":"Carrier Pigeon"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"transport\" 'Carrier Pigeon' is not a transport name (lower-case letters, digits, '-' or '_')"),
                             message);
        CPPUNIT_ASSERT_EQUAL(std::string("log_level"), refusedField(R"({"id":"a","transport":"http","url":"http://h/","log_level":"loud"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("headers"),
                             refusedField(R"({"id":"a","transport":"http","headers":{"A":"${nope}"}})", &message));
        CPPUNIT_ASSERT(message.rfind("\"headers\".A: a ${...} that is no known placeholder", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("connect_address"),
                             refusedField(R"({"id":"a","transport":"http","connect_address":"10.0.0.1"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"connect_address\" is set by the host (discovery pins the address it judged), "
                                         "never by a definition"),
                             message);
        CPPUNIT_ASSERT_EQUAL(std::string(""), refusedField(R"({"id":"ok-1_a","transport":"stdio","command":"x"})"));
        // The era and the roots are the gateway's.
        CPPUNIT_ASSERT_EQUAL(std::string("protocol"), refusedField(R"({"id":"a","transport":"stdio","command":"x","protocol":"2025-06-18"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"protocol\" must be one of auto, 2026-07-28, 2025-11-25 (got '2025-06-18')"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("roots"), refusedField(R"({"id":"a","transport":"stdio","command":"x","roots":"/srv"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"roots\" must be an array of absolute paths, file:// URIs or {\"uri\",\"name\"} objects, not a string"),
                             message);
        CPPUNIT_ASSERT_EQUAL(std::string("roots"), refusedField(R"({"id":"a","transport":"stdio","command":"x","roots":["srv/data"]})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"roots\"[0] 'srv/data' is neither an absolute path nor a file:// URI (roots are file:// URIs)"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("roots"), refusedField(R"({"id":"a","transport":"stdio","command":"x","roots":[{"name":"n"}]})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"roots\"[0].uri is required (a string)"), message);
        const auto withRoots = parseMcpServerConfig(*Poco::JSON::Parser()
                                                         .parse(R"({"id":"a","transport":"stdio","command":"x","protocol":"2026-07-28",)"
                                                                R"("roots":["/srv/data",{"uri":"file:///home/u/p","name":"p"}]})")
                                                         .extract<Poco::JSON::Object::Ptr>());
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), withRoots.protocol);
        CPPUNIT_ASSERT_EQUAL(std::string(R"([{"uri":"file:///srv/data"},{"uri":"file:///home/u/p","name":"p"}])"), withRoots.rootsJson);
        CPPUNIT_ASSERT(withRoots.serverJson().find("roots") == std::string::npos); // never the transport's
        CPPUNIT_ASSERT(withRoots.serverJson().find("protocol") == std::string::npos);
    }

    void serversFromPropertiesAreTyped() {
        auto config = properties({{"mcp.servers.files.transport", "stdio"},
                                  {"mcp.servers.files.command", "node"},
                                  {"mcp.servers.files.args", R"(["-y","pkg"])"},
                                  {"mcp.servers.files.env", R"({"DEBUG":"1"})"},
                                  {"mcp.servers.files.shutdown_grace_ms", "300"},
                                  {"mcp.servers.remote.transport", "http"},
                                  {"mcp.servers.remote.url", "http://127.0.0.1:9/mcp"},
                                  {"mcp.servers.remote.tls_verify", "false"}});
        const auto ids = configuredMcpServerIds(*config);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), ids.size());
        CPPUNIT_ASSERT_EQUAL(std::string("files"), ids[0]);
        auto files = readMcpServerConfig(*config, "files");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"id":"files","transport":"stdio","args":["-y","pkg"],"command":"node",)"
                                         R"("env":{"DEBUG":"1"},"shutdown_grace_ms":300})"),
                             files.serverJson());
        auto remote = readMcpServerConfig(*config, "remote");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"id":"remote","transport":"http","tls_verify":false,"url":"http://127.0.0.1:9/mcp"})"),
                             remote.serverJson());
    }

    void inheritEnvNeverNamesMcVariables() {
        auto c = parseMcpServerConfig(*body(R"({"id":"gh","transport":"stdio","command":"x","inherit_env":["GH_TOKEN","_X1"]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("GH_TOKEN,_X1"), c.strings("inherit_env").at(0) + "," + c.strings("inherit_env").at(1));
        std::string message;
        CPPUNIT_ASSERT_EQUAL(std::string("inherit_env"),
                             refusedField(R"({"id":"a","transport":"stdio","command":"x","inherit_env":["HOME","MC_AUTH_JWT_SECRET"]})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"inherit_env\"[1] names MC_AUTH_JWT_SECRET: MC_* variables hold the host's own "
                                         "configuration and are never passed to MCP servers"),
                             message);

        // From host.properties: a JSON array, and the full key named when refused.
        auto config = properties({{"mcp.servers.bad.transport", "stdio"},
                                  {"mcp.servers.bad.command", "x"},
                                  {"mcp.servers.bad.inherit_env", R"(["MC_STORE_POSTGRES_URL"])"}});
        try {
            readMcpServerConfig(*config, "bad");
            CPPUNIT_FAIL("an MC_* name in inherit_env must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("mcp.servers.bad.inherit_env"), e.field);
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.servers.bad.inherit_env: \"inherit_env\"[0] names "
                                             "MC_STORE_POSTGRES_URL: MC_* variables hold the host's own configuration and "
                                             "are never passed to MCP servers"),
                                 std::string(e.what()));
        }
    }

    void badPropertiesNameTheFullKey() {
        auto config = properties({{"mcp.servers.files.transport", "stdio"},
                                  {"mcp.servers.files.command", "node"},
                                  {"mcp.servers.files.args", "[-y pkg"}});
        try {
            readMcpServerConfig(*config, "files");
            CPPUNIT_FAIL("args that are not JSON must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("mcp.servers.files.args"), e.field);
            CPPUNIT_ASSERT(std::string(e.what()).find("expected JSON text") != std::string::npos);
        }
        auto missing = properties({{"mcp.servers.web.url", "http://h/"}});
        try {
            readMcpServerConfig(*missing, "web");
            CPPUNIT_FAIL("a server without transport must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("mcp.servers.web.transport"), e.field);
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.servers.web.transport: \"transport\" is required"),
                                 std::string(e.what()));
        }
    }

    // One instance per transport plugin from its keys; validate() before a server is registered or
    // a configured one connects, with the plugin's message and the field it names.
    void transportPluginValidatesAndGetsItsKeys() {
        PluginRegistry plugins;
        CPPUNIT_ASSERT(plugins.loadFile(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-transport.so"));
        Broadcaster broadcaster;
        EventRouter events(broadcaster);
        auto config = properties({{"mcp.fixture.greeting", "hi"},
                                  {"mcp.servers.good.transport", "fixture"},
                                  {"mcp.servers.good.endpoint", "here"}});
        {
            McpGateway gateway(readGatewaySettings(*properties({})), plugins, events);
            gateway.configure(*config);
            gateway.startTransports(*config);
            InstanceStatus row;
            CPPUNIT_ASSERT(plugins.statuses().find("fixture-transport", "default", row));
            CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, row.status);
            CPPUNIT_ASSERT_EQUAL(std::string("transport"), row.kind);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), gateway.transports().names().size());

            std::string field;
            auto bad = parseMcpServerConfig(*body(R"({"id":"x","transport":"fixture"})"));
            CPPUNIT_ASSERT_EQUAL(std::string("endpoint = '': expected a non-empty string"), gateway.validateDefinition(bad, field));
            CPPUNIT_ASSERT_EQUAL(std::string("endpoint"), field);
            try {
                gateway.add(bad, "api");
                CPPUNIT_FAIL("a definition the plugin refuses must not be registered");
            } catch (const GatewayError& e) {
                CPPUNIT_ASSERT(e.refusal == Refusal::InvalidInput);
                CPPUNIT_ASSERT_EQUAL(std::string("invalid_config"), e.code);
                CPPUNIT_ASSERT_EQUAL(std::string("endpoint = '': expected a non-empty string"), std::string(e.what()));
                CPPUNIT_ASSERT_EQUAL(std::string(R"({"field":"endpoint"})"), e.detailsJson);
            }
            auto nobody = parseMcpServerConfig(*body(R"({"id":"y","transport":"stdio","command":"x"})"));
            CPPUNIT_ASSERT_EQUAL(std::string("transport: no transport plugin serves 'stdio' (loaded transports: "
                                             "fixture-transport (fixture))"),
                                 gateway.validateDefinition(nobody, field));
            CPPUNIT_ASSERT_EQUAL(std::string("transport"), field);
            gateway.stop();
            CPPUNIT_ASSERT(plugins.statuses().find("fixture-transport", "default", row));
            CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_STOPPED, row.status);
        }
        {
            // A configured server the plugin refuses stops start-up, naming the key.
            auto refused = properties({{"mcp.servers.bad.transport", "fixture"}});
            McpGateway gateway(readGatewaySettings(*properties({})), plugins, events);
            gateway.configure(*refused);
            try {
                gateway.startTransports(*refused);
                CPPUNIT_FAIL("a configured server the plugin refuses must stop start-up");
            } catch (const ConfigError& e) {
                CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.servers.bad.endpoint: endpoint = '': expected a "
                                                 "non-empty string"),
                                     std::string(e.what()));
            }
        }
        {
            // A misspelt transport key stops start-up too.
            auto misspelt = properties({{"mcp.fixture.greting", "hi"}});
            McpGateway gateway(readGatewaySettings(*properties({})), plugins, events);
            try {
                gateway.startTransports(*misspelt);
                CPPUNIT_FAIL("an undeclared transport key must be refused");
            } catch (const ConfigError& e) {
                CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: mcp.fixture.greting is not a key of fixture-transport "
                                                 "(its keys: greeting, queue, open_delay_ms)"),
                                     std::string(e.what()));
            }
        }
    }

    void gatewaySettingsDefaultsAndValidation() {
        Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(new Poco::Util::LayeredConfiguration);
        auto overrides = properties({});
        config->add(overrides, kPriorityCommandLine, false);
        addConfigurationLayers(*config, "", [](const std::string&) { return std::optional<std::string>(); });
        auto s = readGatewaySettings(*config);
        CPPUNIT_ASSERT(!s.allowApiStdio);
        CPPUNIT_ASSERT_EQUAL(15000LL, static_cast<long long>(s.pingInterval.count()));
        CPPUNIT_ASSERT_EQUAL(500LL, static_cast<long long>(s.reconnectInitial.count()));
        CPPUNIT_ASSERT_EQUAL(std::string("info"), s.logLevel);
        CPPUNIT_ASSERT(s.apiPlaceholders.empty());
        overrides->setString("gateway.api_placeholders", "env:GITHUB_TOKEN, file:/run/secrets/*");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), readGatewaySettings(*config).apiPlaceholders.size());
        overrides->setString("gateway.api_placeholders", "GITHUB_TOKEN");
        CPPUNIT_ASSERT_THROW(readGatewaySettings(*config), ConfigError);
        overrides->setString("gateway.api_placeholders", "");

        overrides->setString("gateway.reconnect.initial_ms", "5000");
        overrides->setString("gateway.reconnect.max_ms", "1000");
        try {
            readGatewaySettings(*config);
            CPPUNIT_FAIL("max below initial must be refused");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("gateway.reconnect.max_ms") != std::string::npos);
        }
        overrides->setString("gateway.reconnect.max_ms", "60000");
        overrides->setString("gateway.allow_api_stdio", "maybe");
        try {
            readGatewaySettings(*config);
            CPPUNIT_FAIL("a non-boolean must be refused");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: gateway.allow_api_stdio = 'maybe': expected true or false"),
                                 std::string(e.what()));
        }
        overrides->setString("gateway.allow_api_stdio", "true");
        overrides->setString("gateway.ping_interval_ms", "50");
        try {
            readGatewaySettings(*config);
            CPPUNIT_FAIL("a ping interval below the minimum must be refused");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("gateway.ping_interval_ms = '50'") != std::string::npos);
        }
        overrides->setString("gateway.ping_interval_ms", "1000");
        CPPUNIT_ASSERT(readGatewaySettings(*config).allowApiStdio);
        CPPUNIT_ASSERT(unknownHostKeys(*config).empty());
        overrides->setString("gateway.ping_intervall_ms", "1000");
        const auto unknown = unknownHostKeys(*config);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), unknown.size());
        CPPUNIT_ASSERT_EQUAL(std::string("gateway.ping_intervall_ms"), unknown[0]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayConfigTest);
