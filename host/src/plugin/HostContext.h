#pragma once
// The host side of mc_host_api (ABI 2): one HostContext per plugin instance. An `mc_host*` handed to a
// plugin is a HostContext*. Errors a plugin reports with set_error land in a thread-local slot that
// the host reads right after the call that failed (call() below), so concurrent calls never mix
// their reasons. report_status goes to the PluginStatusTable row "<plugin-id>/<instance>".
#include "mc/plugin_abi.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginStatus.h"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>
#include <atomic>
#include <string_view>

namespace mc::host {

class HostContext {
public:
    // `config`: the instance's typed configuration (resolvePluginConfig). `statuses` may be null (tools
    // and tests without a table); otherwise it outlives the context.
    HostContext(std::string pluginId, std::string instanceName, ResolvedPluginConfig config,
                PluginStatusTable* statuses = nullptr, std::string kind = {});

    static const mc_host_api* api();
    mc_host* handle() { return reinterpret_cast<mc_host*>(this); }
    static HostContext* from(mc_host* host) { return reinterpret_cast<HostContext*>(host); }

    const std::string& pluginId() const { return pluginId_; }
    const std::string& instanceName() const { return instanceName_; }
    // "<plugin-id>/<instance>": the logger name.
    const std::string& qualifiedName() const { return qualifiedName_; }
    // The JSON object handed to create() (typed values, defaults applied).
    const std::string& configJson() const { return config_.json; }
    // One key's value as JSON text (what config_get writes); nullptr when unset.
    const std::string* configValue(const std::string& key) const;
    spdlog::logger& logger() const { return *logger_; }

    // The instance's status: what the host sets around start/stop and the plugin reports.
    void reportStatus(int status, const std::string& message); // PluginStatusTable::report checks it
    mc_component_status status() const;
    // From now on the instance reports into a table of its own: a retired instance (a transport whose
    // new version already runs) must not overwrite the row its successor reports into.
    void detachStatus();

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
    std::string kind_;
    ResolvedPluginConfig config_;
    std::atomic<PluginStatusTable*> statuses_; // plugin threads report while detachStatus() may switch it
    std::unique_ptr<PluginStatusTable> ownStatuses_; // when none was given, or detached
    std::shared_ptr<spdlog::logger> logger_;
};

const char* statusName(mc_status status);

} // namespace mc::host
