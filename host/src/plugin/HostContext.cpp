#include "plugin/HostContext.h"

#include "log/Logging.h"
#include "net/EventLoop.h"
#include "mc/sdk.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace mc::host {
namespace {
thread_local std::string t_lastPluginError;

using mc::sdk::view;
} // namespace

// Every callback is an exception barrier too: nothing thrown in the host may unwind into a plugin.
struct HostApiTrampolines {
    static void log(mc_host* host, mc_log_level level, mc_str message) noexcept {
        try {
            auto& logger = HostContext::from(host)->logger();
            spdlog::level::level_enum lv = spdlog::level::info;
            switch (level) {
            case MC_LOG_TRACE: lv = spdlog::level::trace; break;
            case MC_LOG_DEBUG: lv = spdlog::level::debug; break;
            case MC_LOG_INFO: lv = spdlog::level::info; break;
            case MC_LOG_WARN: lv = spdlog::level::warn; break;
            case MC_LOG_ERROR: lv = spdlog::level::err; break;
            default: lv = spdlog::level::warn; break; // an invalid level still gets through, visibly
            }
            logger.log(lv, "{}", view(message));
        } catch (...) {
        }
    }
    static void reportStatus(mc_host* host, mc_component_status status, mc_str message) noexcept {
        try {
            // Read as the int it is: a plugin may pass any value, and loading one outside the enum is undefined.
            static_assert(sizeof status == sizeof(int), "mc_component_status crosses the ABI as an int");
            int raw = 0;
            std::memcpy(&raw, &status, sizeof raw);
            HostContext::from(host)->reportStatus(raw, std::string(view(message)));
        } catch (...) {
        }
    }
    static mc_status configGet(mc_host* host, mc_str key, mc_sink* out) noexcept {
        try {
            auto* ctx = HostContext::from(host);
            const std::string* value = ctx->configValue(std::string(view(key)));
            if (!value) return MC_ERR_NOT_FOUND;
            if (!out || !out->write) return MC_ERR_INVALID_ARGUMENT;
            return out->write(out->ctx, mc_str{value->data(), value->size()});
        } catch (...) {
            return MC_ERR_INTERNAL;
        }
    }
    static void setError(mc_host*, mc_str message) noexcept {
        try {
            t_lastPluginError.assign(view(message));
        } catch (...) {
        }
    }
    static int64_t nowUnixUs(mc_host*) noexcept {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    static int64_t monotonicUs(mc_host*) noexcept {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    static mc_status watchReadable(mc_host*, int fd, int64_t timeoutUs, void (*ready)(void*, int), void* ctx) noexcept {
        try {
            if (fd < 0 || !ready) return MC_ERR_INVALID_ARGUMENT;
            net::EventLoop* loop = net::EventLoop::current();
            if (!loop) return MC_ERR_UNSUPPORTED;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(std::max<int64_t>(timeoutUs, 0));
            return loop->watchReadable(fd, deadline, [ready, ctx](bool readable) { ready(ctx, readable ? 1 : 0); }) ? MC_OK
                                                                                                                     : MC_ERR_UNAVAILABLE;
        } catch (...) {
            return MC_ERR_INTERNAL;
        }
    }
};

HostContext::HostContext(std::string pluginId, std::string instanceName, ResolvedPluginConfig config,
                         PluginStatusTable* statuses, std::string kind)
    : pluginId_(std::move(pluginId)),
      instanceName_(std::move(instanceName)),
      qualifiedName_(pluginId_ + "/" + instanceName_),
      kind_(std::move(kind)),
      config_(std::move(config)),
      statuses_(statuses),
      logger_(logging::get(qualifiedName_)) {
    if (!statuses_.load()) {
        ownStatuses_ = std::make_unique<PluginStatusTable>();
        statuses_.store(ownStatuses_.get());
    }
    statuses_.load()->add(pluginId_, instanceName_, kind_);
}

const mc_host_api* HostContext::api() {
    static const mc_host_api table{sizeof(mc_host_api),
                                   MC_ABI_MAJOR,
                                   MC_ABI_MINOR,
                                   &HostApiTrampolines::log,
                                   &HostApiTrampolines::setError,
                                   &HostApiTrampolines::reportStatus,
                                   &HostApiTrampolines::configGet,
                                   &HostApiTrampolines::nowUnixUs,
                                   &HostApiTrampolines::monotonicUs,
                                   &HostApiTrampolines::watchReadable};
    return &table;
}

const std::string* HostContext::configValue(const std::string& key) const {
    auto it = config_.values.find(key);
    return it == config_.values.end() ? nullptr : &it->second;
}

void HostContext::reportStatus(int status, const std::string& message) {
    statuses_.load()->report(pluginId_, instanceName_, status, message);
}

void HostContext::detachStatus() {
    if (ownStatuses_) return;
    ownStatuses_ = std::make_unique<PluginStatusTable>();
    ownStatuses_->add(pluginId_, instanceName_, kind_);
    statuses_.store(ownStatuses_.get());
}

mc_component_status HostContext::status() const {
    InstanceStatus row;
    return statuses_.load()->find(pluginId_, instanceName_, row) ? row.status : MC_COMPONENT_INVALID;
}

void HostContext::clearError() { t_lastPluginError.clear(); }

std::string HostContext::takeError() {
    std::string out;
    out.swap(t_lastPluginError);
    return out;
}

const char* statusName(mc_status status) { return mc::sdk::statusName(status); }

} // namespace mc::host
