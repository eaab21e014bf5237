#pragma once
// The host side of mc_host_api: one HostContext per plugin instance. An `mc_host*` handed to a
// plugin is a HostContext*. Errors a plugin reports with set_error land in a thread-local slot that
// the host reads right after the call that failed (callPlugin below), so concurrent calls never mix
// their reasons.
#include "mc/plugin_abi.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace mc::host {

// Publishes a plugin event; returns MC_OK or why it was refused.
using EmitFunction = std::function<mc_status(std::string_view source, std::string_view type, std::string_view payloadJson)>;

class HostContext {
public:
    // `config`: the instance's keys, prefix stripped, defaults applied.
    HostContext(std::string pluginId, std::string instanceName, std::map<std::string, std::string> config,
                EmitFunction emit);

    static const mc_host_api* api();
    mc_host* handle() { return reinterpret_cast<mc_host*>(this); }
    static HostContext* from(mc_host* host) { return reinterpret_cast<HostContext*>(host); }

    const std::string& pluginId() const { return pluginId_; }
    const std::string& instanceName() const { return instanceName_; }
    // "<plugin-id>/<instance>": the logger name and the `source` of emitted events.
    const std::string& qualifiedName() const { return qualifiedName_; }
    const std::map<std::string, std::string>& config() const { return config_; }
    // The JSON object handed to the plugin's create(): by default the flat config as strings; a
    // caller with structured configuration (an MCP server's args array, env object) sets its own.
    std::string configJson() const;
    void setConfigJson(std::string json) { structuredConfig_ = std::move(json); }
    spdlog::logger& logger() const { return *logger_; }

    // Error reporting across the boundary (thread-local).
    static void clearError();
    static std::string takeError(); // the reason set during the last call on this thread, or ""

    // Calls into a plugin and turns its outcome into (status, reason). A status of 0 (invalid) or a
    // missing reason is reported as such, never trusted to mean success.
    template <class F>
    static mc_status call(std::string& reason, F&& fn) {
        clearError();
        mc_status status = fn();
        reason = takeError();
        if (status == MC_STATUS_INVALID) {
            if (reason.empty()) reason = "plugin returned the invalid status 0";
            return MC_ERR_INTERNAL;
        }
        if (status != MC_OK && reason.empty()) reason = "plugin gave no reason";
        return status;
    }

private:
    friend struct HostApiTrampolines;
    std::string pluginId_;
    std::string instanceName_;
    std::string qualifiedName_;
    std::map<std::string, std::string> config_;
    std::string structuredConfig_;
    EmitFunction emit_;
    std::shared_ptr<spdlog::logger> logger_;
};

const char* statusName(mc_status status);

} // namespace mc::host
