// What a third party does: install the SDK from this build into a scratch prefix, configure and build
// sdk/examples/hello-discovery outside the source tree against it, drop the .so into a plugins
// directory and start the unchanged host binary on it. The host must report the plugin as loaded.
#include "TestHttp.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginRegistry.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using mc::test::readFile;

namespace {

std::string tail(const std::string& text, std::size_t max = 4000) {
    return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

// A child process whose stdout+stderr go to `log`. The shell only sets up the redirection and then
// execs the program, so the handle's pid is the program itself.
class Child {
public:
    Child(const std::string& program, const std::vector<std::string>& args, const fs::path& log) : log_(log) {
        Poco::Process::Args shellArgs{"-c", "exec \"$0\" \"$@\" >\"$MC_CHILD_LOG\" 2>&1", program};
        shellArgs.insert(shellArgs.end(), args.begin(), args.end());
        Poco::Process::Env env{{"MC_CHILD_LOG", log.string()}};
        handle_.emplace(Poco::Process::launch("/bin/sh", shellArgs, fs::current_path().string(), nullptr, nullptr,
                                              nullptr, env));
    }
    ~Child() { terminate(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // The exit code, or nullopt while it runs.
    std::optional<int> exitCode() {
        if (exit_) return exit_;
        const int code = handle_->tryWait();
        if (code != -1) exit_ = code;
        return exit_;
    }
    // Waits up to `timeout`; kills it and throws when it takes longer.
    int waitFor(std::chrono::seconds timeout, const std::string& what) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exitCode()) {
            if (std::chrono::steady_clock::now() > deadline) {
                terminate();
                throw std::runtime_error(what + " did not finish within " + std::to_string(timeout.count()) +
                                         " s; output:\n" + output());
            }
            std::this_thread::sleep_for(50ms);
        }
        return *exit_;
    }
    // SIGTERM, a grace period, then SIGKILL; always reaps.
    void terminate() {
        if (!handle_ || exitCode()) return;
        try {
            Poco::Process::requestTermination(handle_->id());
            const auto deadline = std::chrono::steady_clock::now() + 10s;
            while (!exitCode() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
            if (!exitCode()) {
                Poco::Process::kill(*handle_);
                exit_ = handle_->wait();
            }
        } catch (const std::exception&) {
        }
    }
    std::string output() const { return tail(readFile(log_)); }
    std::string wholeOutput() const { return readFile(log_); }
    int pid() const { return static_cast<int>(handle_->id()); }

private:
    fs::path log_;
    std::optional<Poco::ProcessHandle> handle_;
    std::optional<int> exit_;
};

void run(const std::string& what, const std::vector<std::string>& args, const fs::path& log,
         std::chrono::seconds timeout = std::chrono::seconds(600)) {
    Child child(MC_TEST_CMAKE, args, log);
    const int code = child.waitFor(timeout, what);
    if (code != 0)
        throw std::runtime_error(what + " failed with exit code " + std::to_string(code) + "; output:\n" + child.output());
}

unsigned short freeLoopbackPort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const unsigned short port = socket.address().port();
    socket.close();
    return port;
}

// Installs the SDK and builds the example once for the whole suite.
struct ExampleBuild {
    fs::path root;
    fs::path prefix;
    fs::path pluginsDir;
    fs::path plugin;
    std::string error; // set when the build failed

    ExampleBuild() {
        std::random_device random;
        root = fs::temp_directory_path() / ("mc-out-of-tree-" + std::to_string(random()));
        prefix = root / "sdk-prefix";
        pluginsDir = root / "plugins";
        const fs::path build = root / "example-build";
        fs::create_directories(pluginsDir);
        try {
            run("installing the SDK", {"--install", MC_TEST_BUILD_DIR, "--prefix", prefix.string(), "--component", "sdk"},
                root / "install.log");
            run("configuring the example",
                {"-S", std::string(MC_TEST_SOURCE_DIR) + "/sdk/examples/hello-discovery", "-B", build.string(),
                 "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_BUILD_TYPE=RelWithDebInfo"},
                root / "configure.log");
            run("building the example", {"--build", build.string()}, root / "build.log");
            plugin = pluginsDir / "hello-discovery.so";
            fs::copy_file(build / "hello-discovery.so", plugin);
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    ~ExampleBuild() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

ExampleBuild& example() {
    static ExampleBuild build;
    return build;
}

std::optional<std::string> httpGet(unsigned short port, const std::string& path, int& status) {
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        session.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& body = session.receiveResponse(response);
        std::string text;
        Poco::StreamCopier::copyToString(body, text);
        status = response.getStatus();
        return text;
    } catch (const std::exception&) {
        return std::nullopt; // not listening yet
    }
}

} // namespace

class OutOfTreePluginTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutOfTreePluginTest);
    CPPUNIT_TEST(installedSdkHasPackageConfigAndHeaders);
    CPPUNIT_TEST(exampleBuiltOutOfTreeLoadsInRegistry);
    CPPUNIT_TEST(hostReportsExampleAsLoaded);
    CPPUNIT_TEST(droppedIntoARunningHostItIsLoadedReloadedAndRemoved);
    CPPUNIT_TEST(withoutTheWatchRescanAndSighupPickItUp);
    CPPUNIT_TEST_SUITE_END();

public:
    void installedSdkHasPackageConfigAndHeaders() {
        auto& build = example();
        CPPUNIT_ASSERT_MESSAGE(build.error, build.error.empty());
        const fs::path cmakeDir = build.prefix / "lib" / "cmake" / "MissionControlSDK";
        for (const char* file : {"MissionControlSDKConfig.cmake", "MissionControlSDKConfigVersion.cmake",
                                 "MissionControlSDKTargets.cmake", "McPlugin.cmake"})
            CPPUNIT_ASSERT_MESSAGE(file, fs::exists(cmakeDir / file));
        CPPUNIT_ASSERT(fs::exists(build.prefix / "include" / "mc" / "plugin_abi.h"));
        CPPUNIT_ASSERT(fs::exists(build.prefix / "include" / "mc" / "sdk.hpp"));
        // Only the SDK: the host binary is not part of the sdk component.
        CPPUNIT_ASSERT(!fs::exists(build.prefix / "bin" / "mission-control"));
        CPPUNIT_ASSERT(readFile(cmakeDir / "MissionControlSDKTargets.cmake").find("MissionControl::sdk") != std::string::npos);
    }

    void exampleBuiltOutOfTreeLoadsInRegistry() {
        auto& build = example();
        CPPUNIT_ASSERT_MESSAGE(build.error, build.error.empty());
        mc::host::PluginRegistry registry;
        registry.loadDirectory(build.pluginsDir.string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), registry.loadedCount());
        auto plugin = registry.find("hello-discovery");
        CPPUNIT_ASSERT(plugin != nullptr);
        CPPUNIT_ASSERT_EQUAL(MC_KIND_DISCOVERY, plugin->info.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), plugin->info.version);
        CPPUNIT_ASSERT_EQUAL(std::string("discovery.hello"), plugin->info.configPrefix);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), plugin->info.configKeys.size());
        CPPUNIT_ASSERT_EQUAL(std::string("server_name"), plugin->info.configKeys[0].name);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_ENUM, plugin->info.configKeys[3].type);

        // And it works: start announces the configured server through the typed discovery output.
        struct Found {
            std::vector<std::string> lines;
            mc_discovery_output output{sizeof(mc_discovery_output), this, &found, &lost, &scan};
            static std::string text(mc_str s) { return s.len ? std::string(s.ptr, s.len) : std::string(); }
            static void found(void* ctx, const mc_found_server* s) {
                static_cast<Found*>(ctx)->lines.push_back("found " + text(s->key) + " " + text(s->server_json) + " " +
                                                          std::to_string(s->connectable) + " " + text(s->reason));
            }
            static void lost(void* ctx, mc_str key) { static_cast<Found*>(ctx)->lines.push_back("lost " + text(key)); }
            static void scan(void* ctx, int64_t) { static_cast<Found*>(ctx)->lines.push_back("scan"); }
        } found;
        mc::host::PluginInstance instance(
            plugin,
            std::make_unique<mc::host::HostContext>(
                "hello-discovery", "test",
                mc::host::resolvePluginConfig({{"server_name", "alpha"}, {"args", "--stdio, -v"}}, plugin->info)),
            &found.output);
        instance.start();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), found.lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"(found hello#alpha {"transport":"stdio","command":"","args":["--stdio","-v"]} 0 no command configured)"),
                             found.lines[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("scan"), found.lines[1]);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, instance.context().status());
    }

    void hostReportsExampleAsLoaded() {
        auto& build = example();
        CPPUNIT_ASSERT_MESSAGE(build.error, build.error.empty());
        const unsigned short port = freeLoopbackPort();
        const fs::path config = build.root / "host.properties";
        // What an operator does: drop the new .so beside the plugins the host ships with.
        const fs::path hostPlugins = build.root / "host-plugins";
        fs::create_directories(hostPlugins);
        fs::copy_file(fs::path(MC_TEST_PLUGIN_DIR) / "store-sqlite.so", hostPlugins / "store-sqlite.so",
                      fs::copy_options::overwrite_existing);
        const fs::path dropped = hostPlugins / build.plugin.filename();
        fs::copy_file(build.plugin, dropped, fs::copy_options::overwrite_existing);
        {
            std::ofstream out(config);
            out << "http.port = " << port << "\n"
                << "plugins.dir = " << hostPlugins.string() << "\n"
                << "store.sqlite.path = " << (build.root / "mission-control.db").string() << "\n";
        }
        Child host(MC_TEST_HOST_BINARY, {"--config=" + config.string()}, build.root / "host.log");

        std::string body;
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (true) {
            if (auto code = host.exitCode())
                CPPUNIT_FAIL("the host exited with code " + std::to_string(*code) + " before serving; output:\n" +
                             host.output());
            if (auto text = httpGet(port, "/api/plugins", status)) {
                body = *text;
                break;
            }
            if (std::chrono::steady_clock::now() > deadline)
                CPPUNIT_FAIL("the host did not answer on port " + std::to_string(port) + " within 60 s; output:\n" +
                             host.output());
            std::this_thread::sleep_for(100ms);
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(body, 200, status);

        Poco::JSON::Parser parser;
        auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        auto plugins = root->getArray("plugins");
        CPPUNIT_ASSERT_MESSAGE(body, plugins);
        Poco::JSON::Object::Ptr hello;
        for (std::size_t i = 0; i < plugins->size(); ++i) {
            auto entry = plugins->getObject(static_cast<unsigned>(i));
            if (!entry->isNull("id") && entry->getValue<std::string>("id") == "hello-discovery") hello = entry;
        }
        CPPUNIT_ASSERT_MESSAGE("hello-discovery missing from " + body, hello);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(body, std::string("loaded"), hello->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("discovery"), hello->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), hello->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR), hello->getValue<std::string>("abi"));
        CPPUNIT_ASSERT_EQUAL(dropped.string(), hello->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), hello->getArray("config_keys")->size()); // server_name, command, args, policy (the 2.0 example)
        CPPUNIT_ASSERT_EQUAL(2, root->getValue<int>("loaded"));
        CPPUNIT_ASSERT_EQUAL(0, root->getValue<int>("refused"));

        // The plugin instance logs under its own name: "<plugin-id>/<instance>".
        // (The whole log: the start-up's lines, a migration's each, push it out of output()'s tail.)
        CPPUNIT_ASSERT_MESSAGE(host.output(), host.wholeOutput().find("[hello-discovery/default] hello from hello-discovery") !=
                                                  std::string::npos);

        host.terminate();
        CPPUNIT_ASSERT(host.exitCode().has_value());
    }

    // What an operator does with a host that runs: copy the example into plugins.dir, copy it again
    // (an upgrade), overwrite it with something broken, delete it.
    void droppedIntoARunningHostItIsLoadedReloadedAndRemoved() {
        auto& build = example();
        CPPUNIT_ASSERT_MESSAGE(build.error, build.error.empty());
        RunningHost host(build, "watched", {});
        const fs::path dropped = host.plugins / build.plugin.filename();
        CPPUNIT_ASSERT(!host.pluginEntry("hello-discovery"));

        fs::copy_file(build.plugin, dropped);
        host.waitFor("the dropped plugin loaded and announcing", [&] {
            auto entry = host.pluginEntry("hello-discovery");
            return entry && entry->getValue<std::string>("status") == "loaded" && host.foundKeys("hello") == "hello#watched";
        });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), host.count("hello from hello-discovery: announcing 'watched'"));

        // Copied over (in place: the host runs a private copy, so the running code is not touched).
        fs::copy_file(build.plugin, dropped, fs::copy_options::overwrite_existing);
        fs::last_write_time(dropped, fs::last_write_time(dropped) + 2s);
        host.waitFor("the replaced plugin reloaded", [&] {
            return host.count("hello from hello-discovery: announcing 'watched'") == 2 &&
                   host.count("reloaded plugin 'hello-discovery' 1.0.0") == 1;
        });
        CPPUNIT_ASSERT_EQUAL(std::string("hello#watched"), host.foundKeys("hello"));

        // Overwritten with something that is not a plugin: refused, the loaded version runs on.
        {
            std::ofstream(dropped, std::ios::trunc) << "not a library";
        }
        host.waitFor("the broken replacement refused", [&] {
            auto entry = host.pluginEntry("hello-discovery");
            return entry && !entry->isNull("reason") &&
                   entry->getValue<std::string>("reason").find("the version loaded before keeps running") != std::string::npos;
        });
        CPPUNIT_ASSERT_EQUAL(std::string("loaded"), host.pluginEntry("hello-discovery")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("hello#watched"), host.foundKeys("hello"));

        // Deleted: stopped, its source and what it found gone.
        fs::remove(dropped);
        host.waitFor("the removed plugin dropped", [&] {
            return !host.pluginEntry("hello-discovery") && host.foundKeys("hello") == "(no source)";
        });
        CPPUNIT_ASSERT_EQUAL(1, host.pluginReport()->getValue<int>("loaded"));
        CPPUNIT_ASSERT_EQUAL(0, host.pluginReport()->getValue<int>("refused"));
    }

    // plugins.watch = false: nothing happens until asked, by POST /api/plugins/rescan or SIGHUP.
    void withoutTheWatchRescanAndSighupPickItUp() {
        auto& build = example();
        CPPUNIT_ASSERT_MESSAGE(build.error, build.error.empty());
        RunningHost host(build, "asked", {{"plugins.watch", "false"}});
        const fs::path dropped = host.plugins / build.plugin.filename();
        fs::copy_file(build.plugin, dropped);
        std::this_thread::sleep_for(1s); // what a watch would need to notice (300 ms quiet)
        CPPUNIT_ASSERT(!host.pluginEntry("hello-discovery"));

        auto answer = mc::test::httpRequest("POST", host.port, "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":["hello-discovery"],"removed":[],"replaced":[],"refused":[]})"), answer.body);
        host.waitFor("the rescanned plugin announcing", [&] { return host.foundKeys("hello") == "hello#asked"; });
        answer = mc::test::httpRequest("POST", host.port, "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":[],"replaced":[],"refused":[]})"), answer.body);

        fs::remove(dropped);
        CPPUNIT_ASSERT_EQUAL(0, ::kill(host.child.pid(), SIGHUP));
        host.waitFor("SIGHUP's rescan dropping the plugin", [&] { return !host.pluginEntry("hello-discovery"); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), host.count("SIGHUP: rescanning " + host.plugins.string()));
        CPPUNIT_ASSERT(!host.child.exitCode()); // SIGHUP does not stop the host
    }

private:
    // The host binary on the example build's scratch directory, with store-sqlite only and
    // discovery.hello.server_name = `serverName`.
    struct RunningHost {
        fs::path plugins;
        unsigned short port;
        Child child;

        RunningHost(const ExampleBuild& build, const std::string& serverName,
                    const std::map<std::string, std::string>& extra)
            : plugins(build.root / ("plugins-" + serverName)), port(freeLoopbackPort()),
              child((prepare(build, serverName, extra), MC_TEST_HOST_BINARY),
                    {"--config=" + (build.root / (serverName + ".properties")).string()},
                    build.root / (serverName + ".log")) {
            waitFor("the host serving", [&] { return static_cast<bool>(this->pluginsOrNull()); });
        }
        ~RunningHost() { child.terminate(); }

        void prepare(const ExampleBuild& build, const std::string& serverName,
                     const std::map<std::string, std::string>& extra) {
            fs::remove_all(plugins);
            fs::create_directories(plugins);
            fs::copy_file(fs::path(MC_TEST_PLUGIN_DIR) / "store-sqlite.so", plugins / "store-sqlite.so");
            std::ofstream out(build.root / (serverName + ".properties"));
            out << "http.port = " << port << "\n"
                << "plugins.dir = " << plugins.string() << "\n"
                << "store.sqlite.path = " << (build.root / (serverName + ".db")).string() << "\n"
                << "discovery.hello.server_name = " << serverName << "\n";
            for (const auto& [k, v] : extra) out << k << " = " << v << "\n";
        }

        Poco::JSON::Object::Ptr pluginsOrNull() {
            int status = 0;
            if (auto text = httpGet(port, "/api/plugins", status); text && status == 200)
                return Poco::JSON::Parser().parse(*text).extract<Poco::JSON::Object::Ptr>();
            return nullptr;
        }
        Poco::JSON::Object::Ptr pluginReport() {
            auto root = pluginsOrNull();
            if (!root) throw std::runtime_error("GET /api/plugins failed; output:\n" + child.output());
            return root;
        }
        Poco::JSON::Object::Ptr pluginEntry(const std::string& id) {
            auto list = pluginReport()->getArray("plugins");
            for (std::size_t i = 0; i < list->size(); ++i) {
                auto entry = list->getObject(static_cast<unsigned>(i));
                if (!entry->isNull("id") && entry->getValue<std::string>("id") == id) return entry;
            }
            return nullptr;
        }
        // The keys the source found, comma-separated; "(no source)" when it is not listed.
        std::string foundKeys(const std::string& source) {
            int status = 0;
            auto text = httpGet(port, "/api/discovery", status);
            if (!text || status != 200) return "(no answer)";
            auto sources = Poco::JSON::Parser().parse(*text).extract<Poco::JSON::Object::Ptr>()->getArray("sources");
            for (std::size_t i = 0; i < sources->size(); ++i) {
                auto s = sources->getObject(static_cast<unsigned>(i));
                if (s->getValue<std::string>("source") != source) continue;
                std::string keys;
                auto found = s->getArray("found");
                for (std::size_t j = 0; j < found->size(); ++j)
                    keys += (j ? "," : "") + found->getObject(static_cast<unsigned>(j))->getValue<std::string>("key");
                return keys;
            }
            return "(no source)";
        }
        std::size_t count(const std::string& text) const {
            const std::string all = child.wholeOutput();
            std::size_t n = 0;
            for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + text.size())) ++n;
            return n;
        }
        template <class Condition>
        void waitFor(const std::string& what, Condition condition) {
            const auto deadline = std::chrono::steady_clock::now() + 30s;
            while (!condition()) {
                if (auto code = child.exitCode())
                    CPPUNIT_FAIL("the host exited with code " + std::to_string(*code) + " while waiting for " + what +
                                 "; output:\n" + child.output());
                if (std::chrono::steady_clock::now() > deadline)
                    CPPUNIT_FAIL("no " + what + " within 30 s; output:\n" + child.output());
                std::this_thread::sleep_for(100ms);
            }
        }
    };
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutOfTreePluginTest);
