// MCP server definitions from REST bodies and host.properties, and the gateway.* keys.
#include "config/HostConfig.h"
#include "gateway/GatewaySettings.h"
#include "gateway/McpServerConfig.h"
#include "TestHttp.h"

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
    CPPUNIT_TEST(stdioServerFromJson);
    CPPUNIT_TEST(httpServerFromJson);
    CPPUNIT_TEST(invalidDefinitionsNameTheField);
    CPPUNIT_TEST(serversFromProperties);
    CPPUNIT_TEST(inheritEnvNamesHostVariablesButNeverMcOnes);
    CPPUNIT_TEST(badPropertiesNameTheFullKey);
    CPPUNIT_TEST(gatewaySettingsDefaultsAndValidation);
    CPPUNIT_TEST_SUITE_END();

public:
    void stdioServerFromJson() {
        auto c = parseMcpServerConfig(*body(
            R"({"id":"files","transport":"stdio","command":"node","args":["a.js","--x"],"env":{"K":"V"},"cwd":"/tmp","shutdown_grace_ms":250})"));
        CPPUNIT_ASSERT_EQUAL(std::string("files"), c.id);
        CPPUNIT_ASSERT(c.transport == McpTransportKind::Stdio);
        CPPUNIT_ASSERT_EQUAL(std::string("node"), c.command);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.args.size());
        CPPUNIT_ASSERT_EQUAL(std::string("--x"), c.args[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("V"), c.env.at("K"));
        CPPUNIT_ASSERT_EQUAL(250LL, c.shutdownGraceMs);
        CPPUNIT_ASSERT_EQUAL(std::string("node a.js --x"), c.endpoint());
        auto transport = body(c.serverJson());
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), transport->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("a.js"), transport->getArray("args")->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::string("V"), transport->getObject("env")->getValue<std::string>("K"));
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp"), transport->getValue<std::string>("cwd"));
        CPPUNIT_ASSERT_EQUAL(250, transport->getValue<int>("shutdown_grace_ms"));
    }

    void httpServerFromJson() {
        auto c = parseMcpServerConfig(*body(
            R"({"id":"remote","transport":"http","url":"http://127.0.0.1:3001/mcp","headers":{"Authorization":"Bearer x"},"read_timeout_ms":1000,"log_level":"debug"})"));
        CPPUNIT_ASSERT(c.transport == McpTransportKind::Http);
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:3001/mcp"), c.endpoint());
        CPPUNIT_ASSERT_EQUAL(std::string("debug"), c.logLevel);
        auto transport = body(c.serverJson());
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer x"), transport->getObject("headers")->getValue<std::string>("Authorization"));
        CPPUNIT_ASSERT_EQUAL(1000, transport->getValue<int>("read_timeout_ms"));
        CPPUNIT_ASSERT_EQUAL(5000, transport->getValue<int>("connect_timeout_ms"));
        CPPUNIT_ASSERT(!transport->has("command"));
        auto sse = parseMcpServerConfig(*body(R"({"id":"legacy","transport":"sse","url":"https://example.org/sse"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("sse"), body(sse.serverJson())->getValue<std::string>("transport"));
    }

    void invalidDefinitionsNameTheField() {
        std::string message;
        CPPUNIT_ASSERT_EQUAL(std::string("id"), refusedField(R"({"transport":"stdio","command":"x"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"id\" is required"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("id"), refusedField(R"({"id":"Bad Id","transport":"stdio","command":"x"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("transport"), refusedField(R"({"id":"a","transport":"carrier-pigeon"})", &message));
        CPPUNIT_ASSERT(message.find("stdio, http or sse") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("command"), refusedField(R"({"id":"a","transport":"stdio"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("args"), refusedField(R"({"id":"a","transport":"stdio","command":"x","args":"-y"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("args"), refusedField(R"({"id":"a","transport":"stdio","command":"x","args":["ok",3]})", &message));
        CPPUNIT_ASSERT(message.find("[1]") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("env"), refusedField(R"({"id":"a","transport":"stdio","command":"x","env":{"K":1}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("url"), refusedField(R"({"id":"a","transport":"stdio","command":"x","url":"http://h/"})", &message));
        CPPUNIT_ASSERT(message.find("http/sse servers only") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("url"), refusedField(R"({"id":"a","transport":"http"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("url"), refusedField(R"({"id":"a","transport":"http","url":"ftp://h/x"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("headers"), refusedField(R"({"id":"a","transport":"http","url":"http://h/","headers":{"Bad Name":"x"}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("read_timeout_ms"), refusedField(R"({"id":"a","transport":"http","url":"http://h/","read_timeout_ms":0})"));
        CPPUNIT_ASSERT_EQUAL(std::string("log_level"), refusedField(R"({"id":"a","transport":"http","url":"http://h/","log_level":"loud"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("comand"), refusedField(R"({"id":"a","transport":"stdio","command":"x","comand":"y"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown field \"comand\""), message);
        CPPUNIT_ASSERT_EQUAL(std::string(""), refusedField(R"({"id":"ok-1_a","transport":"stdio","command":"x"})"));
    }

    void serversFromProperties() {
        auto config = properties({{"mcp.servers.files.transport", "stdio"},
                                  {"mcp.servers.files.command", "node"},
                                  {"mcp.servers.files.args", R"(["-y","pkg"])"},
                                  {"mcp.servers.files.env", R"({"DEBUG":"1"})"},
                                  {"mcp.servers.files.shutdown_grace_ms", "300"},
                                  {"mcp.servers.remote.transport", "http"},
                                  {"mcp.servers.remote.url", "http://127.0.0.1:9/mcp"}});
        const auto ids = configuredMcpServerIds(*config);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), ids.size());
        CPPUNIT_ASSERT_EQUAL(std::string("files"), ids[0]);
        auto files = readMcpServerConfig(*config, "files");
        CPPUNIT_ASSERT_EQUAL(std::string("pkg"), files.args.at(1));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), files.env.at("DEBUG"));
        CPPUNIT_ASSERT_EQUAL(300LL, files.shutdownGraceMs);
        auto remote = readMcpServerConfig(*config, "remote");
        CPPUNIT_ASSERT(remote.transport == McpTransportKind::Http);
    }

    void inheritEnvNamesHostVariablesButNeverMcOnes() {
        auto c = parseMcpServerConfig(*body(R"({"id":"gh","transport":"stdio","command":"x","inherit_env":["GH_TOKEN","_X1"]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("GH_TOKEN,_X1"), c.inheritEnv.at(0) + "," + c.inheritEnv.at(1));
        auto names = body(c.serverJson())->getArray("inherit_env");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), names->size());
        CPPUNIT_ASSERT_EQUAL(std::string("_X1"), names->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             body(parseMcpServerConfig(*body(R"({"id":"a","transport":"stdio","command":"x"})")).serverJson())
                                 ->getArray("inherit_env")
                                 ->size());

        std::string message;
        CPPUNIT_ASSERT_EQUAL(std::string("inherit_env"),
                             refusedField(R"({"id":"a","transport":"stdio","command":"x","inherit_env":["HOME","MC_AUTH_JWT_SECRET"]})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"inherit_env\"[1] names MC_AUTH_JWT_SECRET: MC_* variables hold the host's own "
                                         "configuration and are never passed to MCP servers"),
                             message);
        CPPUNIT_ASSERT_EQUAL(std::string("inherit_env"), refusedField(R"({"id":"a","transport":"stdio","command":"x","inherit_env":"HOME"})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"inherit_env\" must be an array of variable names, not a string"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("inherit_env"), refusedField(R"({"id":"a","transport":"stdio","command":"x","inherit_env":["A=B"]})", &message));
        CPPUNIT_ASSERT_EQUAL(std::string("\"inherit_env\"[0] 'A=B' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)"), message);
        CPPUNIT_ASSERT_EQUAL(std::string("inherit_env"), refusedField(R"({"id":"a","transport":"http","url":"http://h/","inherit_env":["X"]})"));

        // From host.properties: a JSON array, and the full key named when refused.
        auto config = properties({{"mcp.servers.gh.transport", "stdio"},
                                  {"mcp.servers.gh.command", "x"},
                                  {"mcp.servers.gh.inherit_env", R"(["GH_TOKEN"])"},
                                  {"mcp.servers.bad.transport", "stdio"},
                                  {"mcp.servers.bad.command", "x"},
                                  {"mcp.servers.bad.inherit_env", R"(["MC_STORE_POSTGRES_URL"])"}});
        CPPUNIT_ASSERT_EQUAL(std::string("GH_TOKEN"), readMcpServerConfig(*config, "gh").inheritEnv.at(0));
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
                                  {"mcp.servers.files.args", "-y pkg"}});
        try {
            readMcpServerConfig(*config, "files");
            CPPUNIT_FAIL("args that are not JSON must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("mcp.servers.files.args"), e.field);
            CPPUNIT_ASSERT(std::string(e.what()).find("expected JSON text") != std::string::npos);
        }
        auto missing = properties({{"mcp.servers.web.transport", "http"}});
        try {
            readMcpServerConfig(*missing, "web");
            CPPUNIT_FAIL("an http server without url must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("mcp.servers.web.url"), e.field);
            CPPUNIT_ASSERT(std::string(e.what()).find("\"url\" is required") != std::string::npos);
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
