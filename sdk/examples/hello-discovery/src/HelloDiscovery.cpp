// hello-discovery: the smallest useful discovery plugin. On start it reports one MCP server, named
// by its configuration, as a "discovery" event; refresh() reports it again.
#include <mc/sdk.hpp>

#include <string>

namespace {

class HelloDiscovery final : public mc::sdk::DiscoveryPlugin {
public:
    HelloDiscovery(mc::sdk::Host host, std::string_view configJson)
        : DiscoveryPlugin(host, configJson),
          serverName_(host.configString("server_name", "hello-server")),
          command_(host.configString("command", "")) {
        if (serverName_.empty()) throw mc::sdk::Error(MC_ERR_CONFIG, "server_name must not be empty");
    }

    void start() override {
        host().info("hello from hello-discovery: announcing '" + serverName_ + "'");
        announce("found");
    }
    void refresh() override { announce("refreshed"); }

private:
    void announce(const char* state) {
        // Names and commands come from configuration: escape the two characters JSON cares about.
        std::string payload = "{\"server\":\"" + escape(serverName_) + "\",\"transport\":\"stdio\",\"command\":\"" +
                              escape(command_) + "\",\"state\":\"" + state + "\"}";
        if (host().emit("discovery", payload) != MC_OK) host().warn("the host refused the discovery event");
    }
    static std::string escape(const std::string& text) {
        std::string out;
        for (char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            if (static_cast<unsigned char>(c) < 0x20) continue; // control characters are dropped
            out += c;
        }
        return out;
    }

    std::string serverName_;
    std::string command_;
};

const mc_config_key kKeys[] = {
    mc::sdk::configKey("server_name", MC_CONFIG_STRING, "hello-server", "Name of the MCP server to announce"),
    mc::sdk::configKey("command", MC_CONFIG_STRING, "", "Command line that starts the server (stdio)"),
};

} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(HelloDiscovery, "hello-discovery", "1.0.0",
                            "Announces one configured MCP server (SDK example)", kKeys)
