// mission-control: the host executable. Poco ServerApplication: runs in the foreground (or as a
// daemon with --daemon), stops cleanly on SIGINT/SIGTERM.
#include "bridge/StdioBridge.h"
#include "config/HostConfig.h"
#include "app/Allocator.h"
#include "app/HostRuntime.h"
#include "app/HostSettings.h"
#include "app/Subsystems.h"
#include "plugin/PluginRegistry.h"
#include "log/Logging.h"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <pthread.h>
#include <sys/prctl.h>

#include <csignal>
#include <iostream>
#include <memory>

namespace mc::host {

class MissionControlApp final : public Poco::Util::ServerApplication {
public:
    MissionControlApp() { setUnixOptions(true); }

protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
        ServerApplication::defineOptions(options);
        options.addOption(Poco::Util::Option("config", "c", "Read configuration from FILE (default: ./host.properties if present, or $MC_CONFIG).")
                              .argument("FILE")
                              .binding("mc.config-file"));
        options.addOption(Poco::Util::Option("define", "D", "Set a configuration key; beats the environment and the file.")
                              .argument("key=value")
                              .repeatable(true)
                              .callback(Poco::Util::OptionCallback<MissionControlApp>(this, &MissionControlApp::define)));
        options.addOption(Poco::Util::Option("help", "h", "Show this help and the configuration keys.")
                              .callback(Poco::Util::OptionCallback<MissionControlApp>(this, &MissionControlApp::help)));
        options.addOption(Poco::Util::Option("help-config", "", "Show the host's configuration keys and those of every plugin in plugins.dir (types, defaults, ranges, choices).")
                              .callback(Poco::Util::OptionCallback<MissionControlApp>(this, &MissionControlApp::helpConfig)));
        options.addOption(Poco::Util::Option("help-config-markdown", "", "Print the configuration key table as Markdown (docs/configuration.md).")
                              .callback(Poco::Util::OptionCallback<MissionControlApp>(this, &MissionControlApp::keysMarkdown)));
        options.addOption(Poco::Util::Option("version", "v", "Print the version and the plugin ABI.")
                              .callback(Poco::Util::OptionCallback<MissionControlApp>(this, &MissionControlApp::version)));
    }

    void initialize(Poco::Util::Application& self) override {
        if (helpConfig_) {
            printConfigHelp();
            return;
        }
        if (exitEarly_) return;
        blockTerminationSignals();
        // MCP servers run as this user: without this they could read the host's secrets from
        // /proc/<pid>/environ or its memory. (Core dumps and same-user ptrace go with it.)
        ::prctl(PR_SET_DUMPABLE, 0);
        try {
            std::string file = config().getString("mc.config-file", "");
            if (file.empty()) {
                if (const char* env = std::getenv("MC_CONFIG")) file = env;
                else if (Poco::File("host.properties").exists()) file = "host.properties";
            }
            config().add(defines_, kPriorityCommandLine * 2, false);
            addConfigurationLayers(config(), file, EnvironmentLayer::processEnvironment());
            const std::string binDir = Poco::Path(config().getString("application.path")).parent().toString();
            runtime_ = std::make_unique<HostRuntime>(Poco::AutoPtr<Poco::Util::AbstractConfiguration>(&config(), true), binDir);
            if (!file.empty()) logging::get("host")->info("configuration file: {}", Poco::Path(file).absolute().toString());
            addSubsystem(new PluginsSubsystem(*runtime_));
            addSubsystem(new StoreSubsystem(*runtime_));
            addSubsystem(new WebSubsystem(*runtime_));
            addSubsystem(new GatewaySubsystem(*runtime_));
            ServerApplication::initialize(self);
        } catch (const ConfigError& e) {
            fail(EXIT_CONFIG, e.what());
        } catch (const Poco::Exception& e) {
            fail(EXIT_SOFTWARE, e.displayText());
        } catch (const std::exception& e) {
            fail(EXIT_SOFTWARE, e.what());
        }
    }

    void uninitialize() override {
        try {
            ServerApplication::uninitialize();
        } catch (const std::exception& e) {
            std::cerr << "mission-control: error while stopping: " << e.what() << "\n";
        }
    }

    int main(const ArgVec&) override {
        if (failure_ != EXIT_OK) return failure_;
        if (exitEarly_) return EXIT_OK;
        // SIGINT/SIGQUIT/SIGTERM stop the host; SIGHUP rescans plugins.dir (as POST /api/plugins/rescan).
        sigset_t signals;
        sigemptyset(&signals);
        for (int signal : kHandledSignals) sigaddset(&signals, signal);
        for (;;) {
            int signal = 0;
            if (sigwait(&signals, &signal) != 0) continue;
            if (signal != SIGHUP) break;
            logging::get("host")->info("SIGHUP: rescanning {}", runtime_->settings().pluginsDir);
            runtime_->rescanPlugins();
        }
        logging::get("host")->info("termination requested; shutting down");
        return EXIT_OK;
    }

private:
    static constexpr int kHandledSignals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
    // main() sigwaits for these. Blocked here, before the first thread starts (threads inherit the
    // mask), a signal that arrives during start-up stays pending for it instead of killing the
    // process. Children of mcp-stdio get an empty mask.
    static void blockTerminationSignals() {
        sigset_t handled;
        sigemptyset(&handled);
        for (int signal : kHandledSignals) sigaddset(&handled, signal);
        pthread_sigmask(SIG_BLOCK, &handled, nullptr);
    }

    void define(const std::string&, const std::string& value) {
        auto eq = value.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Poco::InvalidArgumentException("-D expects key=value, got '" + value + "'");
        defines_->setString(value.substr(0, eq), value.substr(eq + 1));
    }

    void help(const std::string&, const std::string&) {
        Poco::Util::HelpFormatter formatter(options());
        formatter.setCommand(commandName());
        formatter.setUsage("[--config=FILE] [-Dkey=value ...]");
        formatter.setHeader("Mission Control: an observability host for MCP servers and the agents that use them.");
        formatter.format(std::cout);
        std::cout << "\nConfiguration keys (environment variable in brackets):\n";
        for (const auto& k : hostKeys())
            std::cout << "  " << k.key << " = " << k.defaultValue << "  [" << environmentVariableFor(k.key) << "]\n      "
                      << k.description << "\n";
        std::cout << "Plugins declare their own keys: --help-config and GET /api/plugins list them.\n";
        std::cout << "\n" << commandName() << " bridge --url URL ...: stdio to a host's /mcp, for MCP clients that start "
                     "commands (bridge --help; docs/mcp-server.md).\n";
        exitEarly_ = true;
        stopOptionsProcessing();
    }

    // The options after it still count: `--help-config -Dplugins.dir=DIR` lists DIR's plugins.
    void helpConfig(const std::string&, const std::string&) {
        helpConfig_ = true;
        exitEarly_ = true;
    }

    // Needs the configuration (plugins.dir), so it runs in initialize, after the options.
    void printConfigHelp() {
        try {
            std::string file = config().getString("mc.config-file", "");
            if (file.empty()) {
                if (const char* env = std::getenv("MC_CONFIG")) file = env;
                else if (Poco::File("host.properties").exists()) file = "host.properties";
            }
            config().add(defines_, kPriorityCommandLine * 2, false);
            addConfigurationLayers(config(), file, EnvironmentLayer::processEnvironment());
            const std::string binDir = Poco::Path(config().getString("application.path")).parent().toString();
            const HostSettings settings = readHostSettings(config(), binDir);
            std::cout << "Host keys (environment variable in brackets):\n";
            for (const auto& k : hostKeys())
                std::cout << "  " << k.key << " = " << k.defaultValue << "  [" << environmentVariableFor(k.key) << "]\n      "
                          << k.description << "\n";
            logging::configure(settings.log);
            PluginRegistry registry;
            registry.loadDirectory(settings.pluginsDir);
            std::cout << "\nPlugin keys (plugins from " << settings.pluginsDir << "):\n" << pluginKeysText(registry);
        } catch (const std::exception& e) {
            std::cerr << "mission-control: " << e.what() << "\n";
            failure_ = EXIT_CONFIG;
        }
    }

    void keysMarkdown(const std::string&, const std::string&) {
        std::cout << hostKeysMarkdown();
        exitEarly_ = true;
        stopOptionsProcessing();
    }

    void version(const std::string&, const std::string&) {
        std::cout << "mission-control " << MC_VERSION << " (plugin ABI " << MC_ABI_MAJOR << "." << MC_ABI_MINOR << ")\n"
                  << "allocator: " << allocatorName() << "\n";
        exitEarly_ = true;
        stopOptionsProcessing();
    }

    void fail(int code, const std::string& message) {
        failure_ = code;
        logging::get("host")->critical("{}", message);
        logging::get("host")->flush();
        std::cerr << "mission-control: " << message << std::endl;
    }

    Poco::AutoPtr<Poco::Util::MapConfiguration> defines_{new Poco::Util::MapConfiguration};
    std::unique_ptr<HostRuntime> runtime_;
    bool exitEarly_ = false;
    bool helpConfig_ = false;
    int failure_ = EXIT_OK;
};

} // namespace mc::host

// `mission-control bridge ...` is the stdio bridge (bridge/StdioBridge.h), not a host: no configuration,
// no plugins, nothing on stdout but MCP.
int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "bridge") {
        bool help = false;
        try {
            const auto options = mc::host::parseBridgeArguments(std::vector<std::string>(argv + 2, argv + argc),
                                                                std::getenv("MC_BRIDGE_TOKEN"), help);
            if (help) {
                std::cout << mc::host::bridgeUsage();
                return 0;
            }
            return mc::host::runBridge(options, 0, 1, std::cerr);
        } catch (const std::invalid_argument& e) {
            std::cerr << "mission-control bridge: " << e.what() << "\n" << mc::host::bridgeUsage();
            return 2;
        }
    }
    try {
        mc::host::MissionControlApp app;
        return app.run(argc, argv);
    } catch (const Poco::Exception& e) {
        std::cerr << e.displayText() << std::endl;
        return Poco::Util::Application::EXIT_SOFTWARE;
    }
}
