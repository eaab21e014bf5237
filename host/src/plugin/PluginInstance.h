#pragma once
// One live instance of a loaded plugin: create on construction, start/stop on request, stop (if
// started) and destroy on destruction. Keeps the plugin library mapped for as long as it lives.
// Not thread-safe for start/stop; the kind-specific calls through handle() follow the ABI's rules.
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"

#include <memory>

namespace mc::host {

class PluginInstance {
public:
    // Throws std::runtime_error("<plugin-id>/<instance>: create failed (<status>): <reason>").
    PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);
    ~PluginInstance();
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    // Throws std::runtime_error("<plugin-id>/<instance>: start failed (<status>): <reason>").
    void start();
    // No-op unless started. Throws like start() ("stop failed"); the instance counts as stopped anyway.
    void stop();
    bool started() const { return started_; }

    mc_instance* handle() const { return instance_; }
    HostContext& context() { return *context_; }
    const LoadedPlugin& plugin() const { return *plugin_; }

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
