#pragma once
// The health of every plugin instance in one vocabulary (mc_component_status): what the host sets
// around start/stop and what the plugin reports through mc_host_api.report_status. Shown per
// instance in GET /api/plugins and GET /api/health, and published on the `plugins` channel through
// the listener. Thread-safe; report() never blocks on anything but the table's own short lock (the
// listener runs outside it).
#include "mc/plugin_abi.h"

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mc::host {

// "starting", "ok", "recoverable_error", "permanent_error", "stopping", "stopped", "invalid".
const char* componentStatusName(mc_component_status status);

struct InstanceStatus {
    std::string plugin;   // plugin id, e.g. "store-sqlite"
    std::string instance; // instance name, e.g. "default"
    std::string kind;     // "store", "discovery", "transport"
    mc_component_status status = MC_COMPONENT_INVALID;
    std::string message;
    long long sinceUnixUs = 0; // when the status (not the message) last changed

    // {"plugin","instance","kind","status","message","since"}
    std::string json() const;
};

class PluginStatusTable {
public:
    using Listener = std::function<void(const InstanceStatus&)>;

    // Adds (or resets) a row; status INVALID until the first report.
    void add(const std::string& plugin, const std::string& instance, const std::string& kind);
    // Sets the status and message of a row (added when unknown, kind ""); a value that is not a
    // status (INVALID, or any other int a plugin passed) is recorded as PERMANENT_ERROR naming the
    // mistake. An int, as it crossed the ABI: holding an out-of-range value in the enum type would be
    // undefined. Calls the listener when anything changed.
    void report(const std::string& plugin, const std::string& instance, int status, const std::string& message);
    void remove(const std::string& plugin, const std::string& instance);

    std::vector<InstanceStatus> snapshot() const;          // ordered by plugin, then instance
    std::vector<InstanceStatus> ofPlugin(const std::string& plugin) const;
    bool find(const std::string& plugin, const std::string& instance, InstanceStatus& out) const;
    // The worst status of all rows by severity (permanent_error > recoverable_error > starting >
    // stopping > stopped > ok); OK for an empty table.
    mc_component_status worst() const;

    // At most one listener; set before instances start.
    void setListener(Listener listener);

private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, InstanceStatus> rows_;
    Listener listener_;
};

} // namespace mc::host
