#pragma once
// The transport plugins' instances: one per loaded transport plugin, created from its own keys
// (mcp.<transport>.*, the plugin's config_prefix) and started before any MCP server connects. Every
// server is then a connection on the instance of the plugin that serves its transport:
// validate(server_json) before it is registered, open_connection(server_json) per attempt.
//
// Threading: add/stop on the main thread; find/validate from any thread between them.
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mc::host {

class TransportSet {
public:
    struct Transport {
        std::shared_ptr<const LoadedPlugin> plugin;
        std::unique_ptr<PluginInstance> instance; // null when it did not start (`error` says why)
        std::string error;
        const mc_transport_vtable& vtable() const { return plugin->transport; }
        mc_instance* handle() const { return instance ? instance->handle() : nullptr; }
    };

    TransportSet() = default;
    ~TransportSet(); // stop()
    TransportSet(const TransportSet&) = delete;
    TransportSet& operator=(const TransportSet&) = delete;

    // Creates and starts the instance of `plugin` with `context` (its resolved keys). A failure is kept
    // (the plugin's transports then refuse every server with it) and logged; it never throws. Also
    // while the gateway runs (a plugin dropped into plugins.dir): a Transport, once added, stays at
    // its address until stop(), so connections may keep the pointer find() gave them.
    void add(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);
    bool has(const std::string& pluginId) const;
    // Stops and destroys every instance (connections must be closed first).
    void stop();

    // The transport serving `name` (the first plugin that lists it), or nullptr; `available` (optional)
    // receives "id (names), ..." of every transport, for error texts.
    const Transport* find(const std::string& name, std::string* available = nullptr) const;

    // Checks a server definition on the plugin serving its transport. MC_OK, or a status and `error`
    // (the plugin's own message, which names the field, or why no plugin can check it).
    mc_status validate(const std::string& transport, const std::string& serverJson, std::string& error) const;

    std::vector<std::string> names() const; // every transport name served, in load order

private:
    mutable std::mutex mutex_; // guards the list; a Transport itself is immutable once added
    std::vector<std::unique_ptr<Transport>> transports_;
};

} // namespace mc::host
