// The real mission-control binary: exit codes and messages for bad configuration, precedence of
// the environment and the command line over the file, clean SIGTERM shutdown, JSON logs.
#include "HostProcess.h"
#include "NetworkNamespace.h"
#include "TestHttp.h"

#include "config/HostConfig.h"
#include "mc/plugin_abi.h"

#include <Poco/File.h>

#include <cppunit/extensions/HelperMacros.h>

using mc::test::freePort;
using mc::test::HostProcess;
using mc::test::httpGet;
using mc::test::TempDir;

namespace {
std::vector<std::string> baseArgs(const TempDir& dir) {
    // discovery-mdns stays off: tests never multicast on a real network.
    return {"-Dplugins.dir=" MC_TEST_PLUGIN_DIR, "-Dstore.sqlite.path=" + dir.file("mc.db"), "-Ddiscovery.mdns.enabled=false"};
}
bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }
std::string listensOn(unsigned short port) { return "listening on http://127.0.0.1:" + std::to_string(port) + " "; }
} // namespace

class HostProcessTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostProcessTest);
    CPPUNIT_TEST(invalidValueExitsWithConfigErrorNamingTheKey);
    CPPUNIT_TEST(missingConfigFileIsNamed);
    CPPUNIT_TEST(unknownStoreBackendStopsStartup);
    CPPUNIT_TEST(environmentBeatsFileAndCommandLineBeatsEnvironment);
    CPPUNIT_TEST(sigtermStopsCleanly);
    CPPUNIT_TEST(jsonLogLinesAreJson);
    CPPUNIT_TEST(versionNamesTheAbi);
    CPPUNIT_TEST(helpListsEveryHostKeyWithItsDefaultAndVariable);
    CPPUNIT_TEST(helpConfigListsThePluginsOfTheDirectoryNamedAfterIt);
    CPPUNIT_TEST(aDefineWithoutAnEqualsSignIsNamed);
    CPPUNIT_TEST(anUnauthenticatedNetworkBindIsRefusedOrWarnedAbout);
    CPPUNIT_TEST_SUITE_END();

public:
    void invalidValueExitsWithConfigErrorNamingTheKey() {
        TempDir dir;
        auto args = baseArgs(dir);
        args.push_back("-Dhttp.port=abc");
        HostProcess host(args);
        CPPUNIT_ASSERT_EQUAL(78, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "invalid configuration: http.port = 'abc': expected an integer in 0..65535"));
    }

    void missingConfigFileIsNamed() {
        HostProcess host({"--config=/nonexistent/host.properties"});
        CPPUNIT_ASSERT_EQUAL(78, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "configuration file '/nonexistent/host.properties' does not exist"));
    }

    void unknownStoreBackendStopsStartup() {
        TempDir dir;
        auto args = baseArgs(dir);
        args.push_back("-Dstore.backend=nosuch");
        args.push_back("-Dhttp.port=" + std::to_string(freePort()));
        HostProcess host(args);
        CPPUNIT_ASSERT_EQUAL(78, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "no store plugin with config prefix 'store.nosuch' is loaded"));
    }

    void environmentBeatsFileAndCommandLineBeatsEnvironment() {
        TempDir dir;
        const unsigned short filePort = freePort(), envPort = freePort(), cliPort = freePort();
        dir.write("host.properties", "http.port = " + std::to_string(filePort) + "\nplugins.dir = " MC_TEST_PLUGIN_DIR
                                     "\nstore.sqlite.path = " + dir.file("mc.db") + "\ndiscovery.mdns.enabled = false\n");
        {
            HostProcess host({"--config=" + dir.file("host.properties")}, {{"MC_HTTP_PORT", std::to_string(envPort)}});
            CPPUNIT_ASSERT_MESSAGE(host.output(), host.waitHealthy(envPort));
            // The log, not a probe of the other port, says which one won: a parallel test may own that port.
            // Info lines reach the file when the host flushes at exit.
            host.terminate();
            CPPUNIT_ASSERT_EQUAL(0, host.waitExit());
            CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), listensOn(envPort)));
            CPPUNIT_ASSERT_MESSAGE(host.output(), !contains(host.output(), listensOn(filePort)));
        }
        {
            HostProcess host({"--config=" + dir.file("host.properties"), "-Dhttp.port=" + std::to_string(cliPort)},
                             {{"MC_HTTP_PORT", std::to_string(envPort)}});
            CPPUNIT_ASSERT_MESSAGE(host.output(), host.waitHealthy(cliPort));
            host.terminate();
            CPPUNIT_ASSERT_EQUAL(0, host.waitExit());
            CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), listensOn(cliPort)));
            CPPUNIT_ASSERT_MESSAGE(host.output(), !contains(host.output(), listensOn(envPort)));
        }
    }

    void sigtermStopsCleanly() {
        TempDir dir;
        const unsigned short port = freePort();
        auto args = baseArgs(dir);
        args.push_back("-Dhttp.port=" + std::to_string(port));
        HostProcess host(args);
        CPPUNIT_ASSERT_MESSAGE(host.output(), host.waitHealthy(port));
        host.terminate();
        CPPUNIT_ASSERT_EQUAL(0, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "[host] stopped"));
    }

    void jsonLogLinesAreJson() {
        TempDir dir;
        const unsigned short port = freePort();
        auto args = baseArgs(dir);
        args.push_back("-Dhttp.port=" + std::to_string(port));
        args.push_back("-Dlog.format=json");
        HostProcess host(args);
        CPPUNIT_ASSERT_MESSAGE(host.output(), host.waitHealthy(port));
        const std::string out = host.output();
        const std::string firstLine = out.substr(0, out.find('\n'));
        auto line = mc::test::parseObject(firstLine);
        CPPUNIT_ASSERT_EQUAL(std::string("host"), line->getValue<std::string>("logger"));
        CPPUNIT_ASSERT_EQUAL(std::string("info"), line->getValue<std::string>("level"));
        CPPUNIT_ASSERT(line->has("ts"));
        CPPUNIT_ASSERT(contains(line->getValue<std::string>("msg"), "mission-control"));
    }

    void versionNamesTheAbi() {
        HostProcess host({"--version"});
        CPPUNIT_ASSERT_EQUAL(0, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "(plugin ABI " + std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR) + ")"));
        // The allocator the build linked (MC_MALLOC) is the one the process runs on.
#if defined(__SANITIZE_ADDRESS__)
        const bool sanitized = true;
#elif defined(__has_feature)
        const bool sanitized = __has_feature(address_sanitizer);
#else
        const bool sanitized = false;
#endif
        const std::string allocator = MC_MALLOC_TCMALLOC ? "allocator: tcmalloc (gperftools "
                                      : sanitized        ? "allocator: AddressSanitizer's malloc\n"
                                                         : "allocator: the C library's malloc\n";
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), allocator));
    }

    // --help prints the host's key table (config/HostConfig.cpp's hostKeys(), the one table), a key per
    // entry with its default and its environment variable.
    void helpListsEveryHostKeyWithItsDefaultAndVariable() {
        HostProcess host({"--help"});
        CPPUNIT_ASSERT_EQUAL(0, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "usage: mission-control [--config=FILE] [-Dkey=value ...]"));
        CPPUNIT_ASSERT(mc::host::hostKeys().size() > 20);
        for (const auto& key : mc::host::hostKeys()) {
            const std::string name = key.key;
            const std::string line = "  " + name + " = " + key.defaultValue + "  [" + mc::host::environmentVariableFor(name) +
                                     "]\n      " + key.description + "\n";
            CPPUNIT_ASSERT_MESSAGE(line + " in:\n" + host.output(), contains(host.output(), line));
        }
        CPPUNIT_ASSERT_MESSAGE(host.output(), !contains(host.output(), "listening on"));
    }

    // The options after --help-config count: the plugins listed are those of the plugins.dir given
    // after it (it once stopped reading options, and listed the default directory's).
    void helpConfigListsThePluginsOfTheDirectoryNamedAfterIt() {
        TempDir plugins;
        Poco::File(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so").copyTo(plugins.path());
        HostProcess host({"--help-config", "-Dplugins.dir=" + plugins.path(), "-Dlog.level=warn"});
        CPPUNIT_ASSERT_EQUAL(0, host.waitExit());
        const std::string& out = host.output();
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "Host keys (environment variable in brackets):\n  http.host = "));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "\n  http.port = 8000  [MC_HTTP_PORT]\n"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "\nPlugin keys (plugins from " + plugins.path() + "):\nstore-sqlite "));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "  store.sqlite.path = mission-control.db  (a string)\n"));
        CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "mcp.http.")); // mcp-http.so is not in that directory
    }

    void aDefineWithoutAnEqualsSignIsNamed() {
        HostProcess host({"-Dnoequals"});
        CPPUNIT_ASSERT_EQUAL(78, host.waitExit());
        CPPUNIT_ASSERT_MESSAGE(host.output(), contains(host.output(), "-D expects key=value, got 'noequals'"));
        CPPUNIT_ASSERT_MESSAGE(host.output(), !contains(host.output(), "listening on"));
    }

    // On every interface without a secret: refused unless the operator accepts it, then warned about.
    // In a network namespace of its own (lo only): the test host is reachable from nowhere.
    void anUnauthenticatedNetworkBindIsRefusedOrWarnedAbout() {
        mc::test::inNetworkNamespace("HostProcessTest::anUnauthenticatedNetworkBindIsRefusedOrWarnedAbout", [] {
            const unsigned short port = freePort();
            TempDir dir; // the store of its own: a test leaves no database behind in the working directory
            const std::string store = "-Dstore.sqlite.path=" + dir.file("mc.db");
            HostProcess refused({"-Dhttp.host=0.0.0.0", "-Dhttp.port=" + std::to_string(port), store});
            CPPUNIT_ASSERT_EQUAL(78, refused.waitExit());
            CPPUNIT_ASSERT_MESSAGE(refused.output(),
                                   refused.output().find("http.host = '0.0.0.0' is reachable from the network but "
                                                         "auth.jwt.secret is not set") != std::string::npos);
            HostProcess accepted({"-Dhttp.host=0.0.0.0", "-Dhttp.port=" + std::to_string(port),
                                  "-Dhttp.allow_remote_without_auth=true", store});
            const bool healthy = accepted.waitHealthy(port);
            CPPUNIT_ASSERT_MESSAGE("exit " + std::to_string(accepted.waitExit(0)) + ": " + accepted.output(), healthy);
            CPPUNIT_ASSERT_MESSAGE(accepted.output(),
                                   accepted.output().find("http.host 0.0.0.0 is reachable from the network and auth is off") !=
                                       std::string::npos);
        });
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostProcessTest);
