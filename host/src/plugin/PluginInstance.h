#pragma once
// One live instance of a loaded plugin: create on construction, start/stop on request, stop (if
// started) and destroy on destruction. Keeps the plugin library mapped for as long as it lives.
// Not thread-safe for start/stop; the kind-specific calls through handle() follow the ABI's rules.
// Status (the context's row of the status table): STARTING before start, OK after a start hook-less
// instance starts, PERMANENT_ERROR with the reason when create or start fails, STOPPING before stop and
// STOPPED after it; everything else is the plugin's own report_status.
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"

#include <memory>

namespace mc::host {

class PluginInstance {
public:
    // `output`: the kind's typed output handed to create (a discovery instance's mc_discovery_output;
    // NULL for stores and transports); it must stay valid until the instance is destroyed.
    // Throws std::runtime_error("<plugin-id>/<instance>: create failed (<status>): <reason>").
    PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context,
                   const void* output = nullptr);
    ~PluginInstance();
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    // Throws std::runtime_error("<plugin-id>/<instance>: start failed (<status>): <reason>").
    void start();
    // No-op unless started. Throws like start() ("stop failed"); the instance counts as stopped anyway.
    void stop();
    // stop() that never throws: a failure is logged on the instance's logger. `retired`: a newer
    // version of the plugin already runs, so this one's reports first leave the plugin's status row
    // (its successor's).
    void stopQuietly(bool retired = false) noexcept;
    bool started() const { return started_; }

    mc_instance* handle() const { return instance_; }
    HostContext& context() { return *context_; }
    const LoadedPlugin& plugin() const { return *plugin_; }
    std::shared_ptr<const LoadedPlugin> pluginPtr() const { return plugin_; }

private:
    struct Hooks {
        mc_create_fn create = nullptr;
        mc_start_fn start = nullptr;
        mc_stop_fn stop = nullptr;
        mc_destroy_fn destroy = nullptr;
    };
    static Hooks hooksOf(const LoadedPlugin& plugin);
    [[noreturn]] void fail(const char* what, mc_status status, const std::string& reason) const;

    std::shared_ptr<const LoadedPlugin> plugin_;
    std::unique_ptr<HostContext> context_;
    Hooks hooks_;
    mc_instance* instance_ = nullptr;
    bool started_ = false;
};

} // namespace mc::host
