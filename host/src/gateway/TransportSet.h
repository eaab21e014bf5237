#pragma once
// The transport plugins' instances: one per loaded transport plugin, created from its own keys
// (mcp.<transport>.*, the plugin's config_prefix) and started before any MCP server connects. Every
// server is then a connection on the instance of the plugin that serves its transport:
// validate(server_json) before it is registered, open_connection(server_json) per attempt.
//
// A plugin replaced or removed in plugins.dir while the host runs retires its instance: no new lease
// gets it, and it stops (and lets its library go) when the last lease on it ends, so connections
// still open on it drain first.
//
// Threading: add/replace/retire/stop on the thread that rescans (or starts and stops the gateway);
// acquire/validate from any thread; a Lease ends on any thread but a plugin's own callback thread
// (ending the last lease of a retired instance stops it there).
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"

#include <atomic>
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
        std::size_t leases = 0;            // under the set's mutex
        std::atomic<bool> retired{false}; // replaced or removed: no new lease gets it
        const mc_transport_vtable& vtable() const { return plugin->transport; }
        mc_instance* handle() const { return instance ? instance->handle() : nullptr; }
    };

    // A transport in use: while a lease lives, its instance is not stopped. Movable, not copyable.
    class Lease {
    public:
        Lease() = default;
        Lease(Lease&& other) noexcept : set_(other.set_), transport_(other.transport_) {
            other.set_ = nullptr;
            other.transport_ = nullptr;
        }
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { reset(); }
        void reset(); // ends the lease (a retired instance with no lease left stops here)
        const Transport* get() const { return transport_; }
        const Transport* operator->() const { return transport_; }
        explicit operator bool() const { return transport_ != nullptr; }

    private:
        friend class TransportSet;
        Lease(const TransportSet* set, Transport* transport) : set_(set), transport_(transport) {}
        const TransportSet* set_ = nullptr;
        Transport* transport_ = nullptr;
    };

    TransportSet() = default;
    ~TransportSet(); // stop()
    TransportSet(const TransportSet&) = delete;
    TransportSet& operator=(const TransportSet&) = delete;

    // Creates and starts the instance of `plugin` with `context` (its resolved keys). A failure is kept
    // (the plugin's transports then refuse every server with it) and logged; it never throws.
    void add(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);
    // A new version of a loaded plugin (same id): its instance starts first; when it started, it takes
    // the old one's place and the old one is retired. When it did not start, the old one keeps serving,
    // and false is returned with `error` saying why.
    bool replace(std::shared_ptr<const LoadedPlugin> replacement, std::unique_ptr<HostContext> context, std::string& error);
    // The plugin `pluginId` removed: its instance is retired (false when none was active).
    bool retire(const std::string& pluginId);
    bool has(const std::string& pluginId) const; // an active (not retired) instance
    std::size_t retiredCount() const;            // retired instances still leased
    // Stops and destroys every instance, retired ones included (connections must be closed first).
    void stop();

    // A lease on the active transport serving `name` (the first plugin that lists it), or an empty
    // lease; `available` (optional) receives "id (names), ..." of every transport, for error texts.
    Lease acquire(const std::string& name, std::string* available = nullptr) const;

    // Checks a server definition on the plugin serving its transport. MC_OK, or a status and `error`
    // (the plugin's own message, which names the field, or why no plugin can check it).
    mc_status validate(const std::string& transport, const std::string& serverJson, std::string& error) const;

    std::vector<std::string> names() const; // every transport name served, in load order

private:
    void release(Transport* transport) const;
    static void stopInstance(Transport& transport, bool retired);

    mutable std::mutex mutex_; // guards both lists and every lease count
    std::vector<std::unique_ptr<Transport>> transports_;
    mutable std::vector<std::unique_ptr<Transport>> retired_; // still leased; a Transport never moves in memory
};

} // namespace mc::host
