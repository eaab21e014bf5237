// hello-discovery: the smallest useful discovery plugin. On start it reports one MCP server, named by
// its configuration, through the typed discovery output; refresh() reports it again and closes the
// scan (a source that lists everything each time needs no lost() then: scan_complete implies it).
#include <mc/json_text.hpp>
#include <mc/sdk.hpp>

#include <string>
#include <vector>

namespace {

// The settings, declared once: the table below is both the descriptor's key list (what the host
// validates, documents and shows) and how config_json becomes this struct. No default is repeated.
struct Settings {
    std::string serverName;
    std::string command;
    std::vector<std::string> args;
};

constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key("server_name", &Settings::serverName).byDefault("hello-server")
        .help("Name of the MCP server to announce"),
    mc::sdk::key("command", &Settings::command)
        .help("Executable that starts the server over stdio; empty: the server is listed, not connectable"),
    mc::sdk::key("args", &Settings::args).help("Its arguments, comma-separated"),
    // Not bound to a field: read by the host's discovery service, declared here with its default.
    mc::sdk::key<Settings>("policy", MC_CONFIG_ENUM).choices("auto-connect,list-only").byDefault("list-only")
        .help("auto-connect: the host connects the announced server; list-only: it only lists it"),
};

class HelloDiscovery final : public mc::sdk::DiscoveryPlugin {
public:
    HelloDiscovery(mc::sdk::Host host, const Settings& settings, mc::sdk::Discovered out)
        : DiscoveryPlugin(host, out), settings_(settings) {
        if (settings_.serverName.empty()) throw mc::sdk::Error(MC_ERR_CONFIG, "server_name = '': expected a name");
    }

    void start() override {
        host().info("hello from hello-discovery: announcing '" + settings_.serverName + "'");
        announce();
    }
    void refresh() override { announce(); }

private:
    void announce() {
        using mc::sdk::json::quote;
        const std::int64_t started = host().nowUnixUs();
        mc::sdk::FoundServer server;
        server.key = "hello#" + settings_.serverName;
        server.name = settings_.serverName;
        std::string args;
        for (const auto& a : settings_.args) args += (args.empty() ? "" : ",") + quote(a);
        server.serverJson = "{\"transport\":\"stdio\",\"command\":" + quote(settings_.command) + ",\"args\":[" + args + "]}";
        if (settings_.command.empty()) {
            server.connectable = false;
            server.reason = "no command configured";
        }
        discovered().found(server);
        discovered().scanComplete(started);
    }

    const Settings settings_;
};

} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(HelloDiscovery, "hello-discovery", "1.0.0",
                            "Announces one configured MCP server (SDK example)", "discovery.hello", kSettings)
