#include "plugin/HostContext.h"

#include "log/Logging.h"
#include "util/Json.h"

#include <chrono>

namespace mc::host {
namespace {
thread_local std::string t_lastPluginError;

std::string_view view(mc_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
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
    static mc_status emit(mc_host* host, mc_str type, mc_str payload) noexcept {
        try {
            auto* ctx = HostContext::from(host);
            if (!ctx->emit_) return MC_ERR_UNSUPPORTED;
            return ctx->emit_(ctx->qualifiedName_, view(type), view(payload));
        } catch (...) {
            return MC_ERR_INTERNAL;
        }
    }
    static mc_status configGet(mc_host* host, mc_str key, mc_sink* out) noexcept {
        try {
            auto* ctx = HostContext::from(host);
            auto it = ctx->config_.find(std::string(view(key)));
            if (it == ctx->config_.end()) return MC_ERR_NOT_FOUND;
            if (!out || !out->write) return MC_ERR_INVALID_ARGUMENT;
            return out->write(out->ctx, mc_str{it->second.data(), it->second.size()});
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
};

HostContext::HostContext(std::string pluginId, std::string instanceName, std::map<std::string, std::string> config,
                         EmitFunction emit)
    : pluginId_(std::move(pluginId)),
      instanceName_(std::move(instanceName)),
      qualifiedName_(pluginId_ + "/" + instanceName_),
      config_(std::move(config)),
      emit_(std::move(emit)),
      logger_(logging::get(qualifiedName_)) {}

const mc_host_api* HostContext::api() {
    static const mc_host_api table{sizeof(mc_host_api),
                                   MC_ABI_MAJOR,
                                   MC_ABI_MINOR,
                                   &HostApiTrampolines::log,
                                   &HostApiTrampolines::emit,
                                   &HostApiTrampolines::configGet,
                                   &HostApiTrampolines::setError,
                                   &HostApiTrampolines::nowUnixUs,
                                   &HostApiTrampolines::monotonicUs};
    return &table;
}

std::string HostContext::configJson() const {
    if (!structuredConfig_.empty()) return structuredConfig_;
    std::string out = "{";
    bool first = true;
    for (const auto& [key, value] : config_) {
        if (!first) out += ',';
        first = false;
        out += json::quote(key);
        out += ':';
        out += json::quote(value);
    }
    out += '}';
    return out;
}

void HostContext::clearError() { t_lastPluginError.clear(); }

std::string HostContext::takeError() {
    std::string out;
    out.swap(t_lastPluginError);
    return out;
}

const char* statusName(mc_status status) {
    switch (status) {
    case MC_STATUS_INVALID: return "invalid";
    case MC_OK: return "ok";
    case MC_ERR_CONFIG: return "config";
    case MC_ERR_IO: return "io";
    case MC_ERR_UNSUPPORTED: return "unsupported";
    case MC_ERR_INTERNAL: return "internal";
    case MC_ERR_NOT_FOUND: return "not_found";
    case MC_ERR_CONFLICT: return "conflict";
    case MC_ERR_UNAVAILABLE: return "unavailable";
    case MC_ERR_TIMEOUT: return "timeout";
    case MC_ERR_INVALID_ARGUMENT: return "invalid_argument";
    }
    return "unknown";
}

} // namespace mc::host
