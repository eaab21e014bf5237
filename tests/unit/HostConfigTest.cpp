// Configuration: precedence (CLI > environment > file > defaults), validation naming the key,
// plugin instance configuration, and the docs staying in step with the key table.
#include "TestHttp.h"
#include "config/HostConfig.h"
#include "app/HostSettings.h"
#include "plugin/PluginConfig.h"

#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <sstream>

using namespace mc::host;

namespace {

struct Layers {
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config{new Poco::Util::LayeredConfiguration};
    Poco::AutoPtr<Poco::Util::MapConfiguration> cli{new Poco::Util::MapConfiguration};
    std::map<std::string, std::string> env;

    explicit Layers(const std::string& file = {}) {
        config->add(cli, kPriorityCommandLine * 2, false);
        addConfigurationLayers(*config, file, [this](const std::string& name) -> std::optional<std::string> {
            auto it = env.find(name);
            if (it == env.end()) return std::nullopt;
            return it->second;
        });
    }
    HostSettings read() const { return readHostSettings(*config, "/opt/mc/bin"); }
};

std::string errorOf(const Layers& layers) {
    try {
        layers.read();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

class HostConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostConfigTest);
    CPPUNIT_TEST(defaultsAreTheDocumentedOnes);
    CPPUNIT_TEST(commandLineBeatsEnvironmentBeatsFileBeatsDefaults);
    CPPUNIT_TEST(environmentNamesAreUpperCaseWithPrefix);
    CPPUNIT_TEST(invalidValuesNameTheKeyAndTheExpectation);
    CPPUNIT_TEST(missingFileIsAClearError);
    CPPUNIT_TEST(autoDirectoriesResolveBesideTheExecutable);
    CPPUNIT_TEST(unknownHostKeysAreReported);
    CPPUNIT_TEST(pluginConfigAppliesDefaultsAndChecksTypes);
    CPPUNIT_TEST(docsListEveryKey);
    CPPUNIT_TEST(aNetworkAddressWithoutAuthIsRefusedUnlessAccepted);
    CPPUNIT_TEST(tlsNeedsBothFilesAndListsAreTrimmed);
    CPPUNIT_TEST(ingestKeysAreOnePerSourceAndLongEnough);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaultsAreTheDocumentedOnes() {
        Layers layers;
        auto s = layers.read();
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), s.httpHost);
        CPPUNIT_ASSERT_EQUAL(8000, static_cast<int>(s.httpPort));
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), s.storeBackend);
        CPPUNIT_ASSERT_EQUAL(std::string("text"), s.log.format);
        CPPUNIT_ASSERT_EQUAL(std::string("info"), s.log.level);
        CPPUNIT_ASSERT(s.jwtSecret.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.ws.ioThreads);
        CPPUNIT_ASSERT(s.ws.overflowPolicy == WebSocketSettings::OverflowPolicy::Disconnect);
    }

    void commandLineBeatsEnvironmentBeatsFileBeatsDefaults() {
        mc::test::TempDir dir;
        dir.write("host.properties", "http.port = 9001\nhttp.host = 127.0.0.2\nlog.level = debug\n");
        Layers layers(dir.file("host.properties"));
        CPPUNIT_ASSERT_EQUAL(9001, static_cast<int>(layers.read().httpPort));
        layers.env["MC_HTTP_PORT"] = "9002";
        CPPUNIT_ASSERT_EQUAL(9002, static_cast<int>(layers.read().httpPort));
        layers.cli->setString("http.port", "9003");
        auto s = layers.read();
        CPPUNIT_ASSERT_EQUAL(9003, static_cast<int>(s.httpPort));
        // Keys set only in the file still come from the file; untouched keys keep their defaults.
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.2"), s.httpHost);
        CPPUNIT_ASSERT_EQUAL(std::string("debug"), s.log.level);
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), s.storeBackend);
        layers.cli->remove("http.port");
        layers.env.erase("MC_HTTP_PORT");
        CPPUNIT_ASSERT_EQUAL(9001, static_cast<int>(layers.read().httpPort));
    }

    void environmentNamesAreUpperCaseWithPrefix() {
        CPPUNIT_ASSERT_EQUAL(std::string("MC_HTTP_PORT"), environmentVariableFor("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("MC_STORE_SQLITE_BUSY_TIMEOUT_MS"),
                             environmentVariableFor("store.sqlite.busy_timeout_ms"));
        Layers layers;
        layers.env["MC_WS_OVERFLOW_POLICY"] = "drop";
        layers.env["MC_LOG_FORMAT"] = "json";
        auto s = layers.read();
        CPPUNIT_ASSERT(s.ws.overflowPolicy == WebSocketSettings::OverflowPolicy::Drop);
        CPPUNIT_ASSERT_EQUAL(std::string("json"), s.log.format);
    }

    // Anyone who reaches an unauthenticated host is admin: binding beyond loopback without a secret
    // must be the operator's explicit choice.
    void aNetworkAddressWithoutAuthIsRefusedUnlessAccepted() {
        for (const std::string host : {"0.0.0.0", "::", "192.168.1.5", "myhost.example"}) {
            Layers open;
            open.cli->setString("http.host", host);
            CPPUNIT_ASSERT_EQUAL("invalid configuration: http.host = '" + host +
                                     "' is reachable from the network but auth.jwt.secret is not set, so anyone who can reach "
                                     "it would be admin. Set auth.jwt.secret (at least 16 random bytes), bind to 127.0.0.1, "
                                     "or set http.allow_remote_without_auth = true to accept that",
                                 errorOf(open));
        }
        Layers accepted;
        accepted.cli->setString("http.host", "0.0.0.0");
        accepted.cli->setString("http.allow_remote_without_auth", "true");
        CPPUNIT_ASSERT(accepted.read().allowRemoteWithoutAuth);
        Layers secured;
        secured.cli->setString("http.host", "0.0.0.0");
        secured.cli->setString("auth.jwt.secret", "0123456789abcdef0123");
        CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.0"), secured.read().http.host);
        for (const std::string host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
            Layers loopback;
            loopback.cli->setString("http.host", host);
            CPPUNIT_ASSERT_EQUAL(host, loopback.read().httpHost);
        }
    }

    void tlsNeedsBothFilesAndListsAreTrimmed() {
        Layers half;
        half.cli->setString("http.tls.cert", "/etc/mc/cert.pem");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: http.tls.cert is set but http.tls.key is not: TLS needs both"),
                             errorOf(half));
        Layers lists;
        lists.cli->setString("http.allowed_hosts", " mc.example.com, ,*.corp.example ");
        lists.cli->setString("http.allowed_origins", "https://console.example.com");
        const auto s = lists.read();
        CPPUNIT_ASSERT(s.guard.allowedHosts == std::vector<std::string>({"mc.example.com", "*.corp.example"}));
        CPPUNIT_ASSERT(s.guard.allowedOrigins == std::vector<std::string>({"https://console.example.com"}));
    }

    void ingestKeysAreOnePerSourceAndLongEnough() {
        Layers good;
        good.cli->setString("auth.ingest_keys.laptop-fleet", "k-0123456789abcdef");
        good.cli->setString("auth.ingest_keys.ci_agents", "k-fedcba9876543210");
        const auto keys = good.read().ingestKeys;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), keys.size());
        CPPUNIT_ASSERT_EQUAL(std::string("k-0123456789abcdef"), keys.at("laptop-fleet"));
        CPPUNIT_ASSERT(unknownHostKeys(*good.config).empty()); // any source name is one
        Layers shortKey;
        shortKey.cli->setString("auth.ingest_keys.a", "short");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: auth.ingest_keys.a is too short (5 bytes): use at least 16 random bytes"),
                             errorOf(shortKey));
        Layers shared;
        shared.cli->setString("auth.ingest_keys.a", "k-0123456789abcdef");
        shared.cli->setString("auth.ingest_keys.b", "k-0123456789abcdef");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: auth.ingest_keys.b has the same key as auth.ingest_keys.a: each "
                                         "source needs its own (so one can be revoked alone)"),
                             errorOf(shared));
        Layers badName;
        badName.cli->setString("auth.ingest_keys.a.b", "k-0123456789abcdef");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: auth.ingest_keys.a.b: a source name is letters, digits, '_' and '-'"),
                             errorOf(badName));
    }

    void invalidValuesNameTheKeyAndTheExpectation() {
        Layers a;
        a.cli->setString("http.port", "abc");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: http.port = 'abc': expected an integer in 0..65535"), errorOf(a));
        Layers b;
        b.env["MC_HTTP_PORT"] = "70000";
        CPPUNIT_ASSERT(errorOf(b).find("http.port = '70000'") != std::string::npos);
        Layers c;
        c.cli->setString("ws.overflow_policy", "explode");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: ws.overflow_policy = 'explode': expected one of disconnect, drop"),
                             errorOf(c));
        Layers d;
        d.cli->setString("log.level.ws", "loud");
        CPPUNIT_ASSERT(errorOf(d).find("log.level.ws = 'loud'") != std::string::npos);
        Layers e;
        e.cli->setString("auth.jwt.secret", "short");
        CPPUNIT_ASSERT(errorOf(e).find("auth.jwt.secret is too short") != std::string::npos);
        Layers f;
        f.cli->setString("store.backend", "no such/thing");
        CPPUNIT_ASSERT(errorOf(f).find("store.backend = 'no such/thing'") != std::string::npos);
        Layers g;
        g.cli->setString("ws.io_threads", "0");
        CPPUNIT_ASSERT(errorOf(g).find("ws.io_threads = '0': expected an integer in 1..64") != std::string::npos);
    }

    void missingFileIsAClearError() {
        try {
            Layers layers("/nonexistent/dir/host.properties");
            CPPUNIT_FAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("configuration file '/nonexistent/dir/host.properties' does not exist"),
                                 std::string(e.what()));
        }
    }

    void autoDirectoriesResolveBesideTheExecutable() {
        Layers layers;
        auto s = layers.read();
        CPPUNIT_ASSERT_EQUAL(std::string("/opt/mc/plugins"), s.pluginsDir);
        CPPUNIT_ASSERT_EQUAL(std::string("/opt/mc/share/mission-control/migrations"), s.migrationsDir);
        layers.cli->setString("plugins.dir", "/srv/plugins");
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/plugins"), layers.read().pluginsDir);
    }

    void unknownHostKeysAreReported() {
        Layers layers;
        layers.cli->setString("http.prot", "1");
        layers.cli->setString("log.level.ws", "debug");
        layers.cli->setString("store.sqlite.path", "x.db");
        layers.cli->setString("store.bakend", "sqlite");
        layers.cli->setString("ingest.batch_max", "10");
        layers.cli->setString("permissions.rules.readers.effect", "allow"); // checked by the policy itself
        auto unknown = unknownHostKeys(*layers.config);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), unknown.size());
        CPPUNIT_ASSERT_EQUAL(std::string("http.prot"), unknown[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("ingest.batch_max"), unknown[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("store.bakend"), unknown[2]);
    }

    // Plugin keys through the host's layers (the environment layer cannot enumerate; a declared key
    // is still found), typed and checked as declared.
    void pluginConfigAppliesDefaultsAndChecksTypes() {
        const auto key = [](const std::string& name, mc_config_type type, const std::string& def, bool required,
                            const std::string& description) {
            ConfigKeyInfo k;
            k.name = name;
            k.type = type;
            k.defaultValue = def;
            k.hasDefault = !def.empty();
            k.required = required;
            k.description = description;
            return k;
        };
        PluginInfo plugin;
        plugin.id = "store-sqlite";
        plugin.configPrefix = "store.sqlite";
        plugin.configKeys = {key("path", MC_CONFIG_STRING, "mission-control.db", false, "file"),
                             key("busy_timeout_ms", MC_CONFIG_INT, "5000", false, "ms"),
                             key("token", MC_CONFIG_STRING, "", true, "the token")};
        Layers layers;
        layers.cli->setString("store.sqlite.token", "t");
        auto cfg = resolvePluginConfig(*layers.config, plugin);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"path":"mission-control.db","busy_timeout_ms":5000,"token":"t"})"), cfg.json);
        layers.env["MC_STORE_SQLITE_BUSY_TIMEOUT_MS"] = "250";
        CPPUNIT_ASSERT_EQUAL(std::string("250"), resolvePluginConfig(*layers.config, plugin).values.at("busy_timeout_ms"));
        layers.env["MC_STORE_SQLITE_BUSY_TIMEOUT_MS"] = "soon";
        try {
            resolvePluginConfig(*layers.config, plugin);
            CPPUNIT_FAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: store.sqlite.busy_timeout_ms = 'soon': expected an integer"),
                                 std::string(e.what()));
        }
        layers.env.clear();
        layers.cli->setString("store.sqlite.extra", "x");
        try {
            resolvePluginConfig(*layers.config, plugin);
            CPPUNIT_FAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: store.sqlite.extra is not a key of store-sqlite (its keys: "
                                             "path, busy_timeout_ms, token)"),
                                 std::string(e.what()));
        }
        layers.cli->remove("store.sqlite.extra");
        layers.cli->remove("store.sqlite.token");
        try {
            resolvePluginConfig(*layers.config, plugin);
            CPPUNIT_FAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: store.sqlite.token is required and not set (the token)"),
                                 std::string(e.what()));
        }
    }

    void docsListEveryKey() {
        std::ifstream in(std::string(MC_TEST_SOURCE_DIR) + "/docs/configuration.md");
        CPPUNIT_ASSERT_MESSAGE("docs/configuration.md is missing", in.good());
        std::stringstream text;
        text << in.rdbuf();
        CPPUNIT_ASSERT_MESSAGE("docs/configuration.md does not contain the current key table (regenerate it with "
                               "`mission-control --help-config-markdown`)",
                               text.str().find(hostKeysMarkdown()) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostConfigTest);
