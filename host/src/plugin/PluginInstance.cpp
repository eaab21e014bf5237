#include "plugin/PluginInstance.h"

#include "log/Logging.h"

#include <stdexcept>
#include <utility>

namespace mc::host {

PluginInstance::Hooks PluginInstance::hooksOf(const LoadedPlugin& plugin) {
    Hooks hooks;
    switch (plugin.info.kind) {
    case MC_KIND_STORE: hooks = {plugin.store.create, plugin.store.start, plugin.store.stop, plugin.store.destroy}; break;
    case MC_KIND_TRANSPORT:
        hooks = {plugin.transport.create, plugin.transport.start, plugin.transport.stop, plugin.transport.destroy};
        break;
    case MC_KIND_DISCOVERY:
        hooks = {plugin.discovery.create, plugin.discovery.start, plugin.discovery.stop, plugin.discovery.destroy};
        break;
    case MC_KIND_RECEIVER:
        hooks = {plugin.receiver.create, plugin.receiver.start, plugin.receiver.stop, plugin.receiver.destroy};
        break;
    case MC_KIND_BUS: hooks = {plugin.bus.create, plugin.bus.start, plugin.bus.stop, plugin.bus.destroy}; break;
    default: break;
    }
    return hooks;
}

PluginInstance::PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context,
                               const void* output)
    : plugin_(std::move(plugin)), context_(std::move(context)) {
    if (!plugin_ || !context_) throw std::invalid_argument("PluginInstance needs a plugin and a host context");
    hooks_ = hooksOf(*plugin_);
    if (!hooks_.create || !hooks_.destroy)
        fail("create", MC_ERR_INTERNAL, "plugin '" + plugin_->info.id + "' has no create/destroy hooks");
    const std::string config = context_->configJson();
    std::string reason;
    mc_instance* created = nullptr;
    const mc_status status = HostContext::call(reason, [&] {
        return hooks_.create(HostContext::api(), context_->handle(), mc_str{config.data(), config.size()}, output,
                             &created);
    });
    if (status != MC_OK) {
        // A plugin that failed but still handed out an instance must not leak it.
        if (created) hooks_.destroy(created);
        context_->reportStatus(MC_COMPONENT_PERMANENT_ERROR, std::string("create failed (") + statusName(status) + "): " + reason);
        fail("create", status, reason);
    }
    if (!created) {
        context_->reportStatus(MC_COMPONENT_PERMANENT_ERROR, "create returned MC_OK but no instance");
        fail("create", MC_ERR_INTERNAL, "create returned MC_OK but no instance");
    }
    instance_ = created;
}

PluginInstance::~PluginInstance() {
    try {
        stop();
    } catch (const std::exception& e) {
        context_->logger().warn("{}", e.what());
    }
    if (instance_) hooks_.destroy(instance_);
}

void PluginInstance::start() {
    if (started_) return;
    context_->reportStatus(MC_COMPONENT_STARTING, "");
    if (hooks_.start) {
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] { return hooks_.start(instance_); });
        if (status != MC_OK) {
            context_->reportStatus(MC_COMPONENT_PERMANENT_ERROR, std::string("start failed (") + statusName(status) + "): " + reason);
            fail("start", status, reason);
        }
    } else {
        context_->reportStatus(MC_COMPONENT_OK, ""); // nothing to start: ready
    }
    started_ = true;
}

void PluginInstance::stop() {
    if (!started_) return;
    started_ = false;
    context_->reportStatus(MC_COMPONENT_STOPPING, "");
    if (hooks_.stop) {
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] { return hooks_.stop(instance_); });
        if (status != MC_OK) {
            context_->reportStatus(MC_COMPONENT_STOPPED, std::string("stop failed (") + statusName(status) + "): " + reason);
            fail("stop", status, reason);
        }
    }
    context_->reportStatus(MC_COMPONENT_STOPPED, "");
}

void PluginInstance::stopQuietly(bool retired) noexcept {
    try {
        if (retired) context_->detachStatus();
        stop();
    } catch (const std::exception& e) {
        context_->logger().warn("{}", e.what());
    }
}

void PluginInstance::fail(const char* what, mc_status status, const std::string& reason) const {
    throw std::runtime_error(context_->qualifiedName() + ": " + what + " failed (" + statusName(status) + "): " + reason);
}

} // namespace mc::host
