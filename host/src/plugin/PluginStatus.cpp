#include "plugin/PluginStatus.h"

#include "util/Clock.h"
#include "util/Json.h"

namespace mc::host {
namespace {
int severity(mc_component_status s) {
    switch (s) {
    case MC_COMPONENT_OK: return 0;
    case MC_COMPONENT_STOPPED: return 1;
    case MC_COMPONENT_STOPPING: return 2;
    case MC_COMPONENT_STARTING: return 3;
    case MC_COMPONENT_RECOVERABLE_ERROR: return 4;
    case MC_COMPONENT_PERMANENT_ERROR: return 5;
    case MC_COMPONENT_INVALID: break;
    }
    return 3; // not reported yet: counts as starting
}
} // namespace

const char* componentStatusName(mc_component_status status) {
    switch (status) {
    case MC_COMPONENT_STARTING: return "starting";
    case MC_COMPONENT_OK: return "ok";
    case MC_COMPONENT_RECOVERABLE_ERROR: return "recoverable_error";
    case MC_COMPONENT_PERMANENT_ERROR: return "permanent_error";
    case MC_COMPONENT_STOPPING: return "stopping";
    case MC_COMPONENT_STOPPED: return "stopped";
    case MC_COMPONENT_INVALID: break;
    }
    return "invalid";
}

std::string InstanceStatus::json() const {
    std::string out = "{\"plugin\":" + json::quote(plugin);
    out += ",\"instance\":" + json::quote(instance);
    out += ",\"kind\":" + json::quote(kind);
    out += ",\"status\":" + json::quote(componentStatusName(status));
    out += ",\"message\":" + json::quote(message);
    out += ",\"since\":" + json::timestampOrNull(sinceUnixUs);
    out += "}";
    return out;
}

void PluginStatusTable::add(const std::string& plugin, const std::string& instance, const std::string& kind) {
    std::lock_guard lock(mutex_);
    InstanceStatus row;
    row.plugin = plugin;
    row.instance = instance;
    row.kind = kind;
    rows_[{plugin, instance}] = row;
}

void PluginStatusTable::report(const std::string& plugin, const std::string& instance, int reported,
                               const std::string& message) {
    std::string text = message;
    mc_component_status status = MC_COMPONENT_PERMANENT_ERROR;
    if (reported < MC_COMPONENT_STARTING || reported > MC_COMPONENT_STOPPED) {
        text = "reported the invalid status " + std::to_string(reported) + (message.empty() ? std::string() : ": " + message);
    } else {
        status = static_cast<mc_component_status>(reported);
    }
    InstanceStatus changed;
    Listener listener;
    {
        std::lock_guard lock(mutex_);
        auto& row = rows_[{plugin, instance}];
        row.plugin = plugin;
        row.instance = instance;
        if (row.status == status && row.message == text) return;
        if (row.status != status) row.sinceUnixUs = nowUnixUs();
        row.status = status;
        row.message = text;
        changed = row;
        listener = listener_;
    }
    if (listener) listener(changed);
}

void PluginStatusTable::remove(const std::string& plugin, const std::string& instance) {
    std::lock_guard lock(mutex_);
    rows_.erase({plugin, instance});
}

std::vector<InstanceStatus> PluginStatusTable::snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<InstanceStatus> out;
    for (const auto& [key, row] : rows_) out.push_back(row);
    return out;
}

std::vector<InstanceStatus> PluginStatusTable::ofPlugin(const std::string& plugin) const {
    std::lock_guard lock(mutex_);
    std::vector<InstanceStatus> out;
    for (const auto& [key, row] : rows_)
        if (key.first == plugin) out.push_back(row);
    return out;
}

bool PluginStatusTable::find(const std::string& plugin, const std::string& instance, InstanceStatus& out) const {
    std::lock_guard lock(mutex_);
    auto it = rows_.find({plugin, instance});
    if (it == rows_.end()) return false;
    out = it->second;
    return true;
}

mc_component_status PluginStatusTable::worst() const {
    std::lock_guard lock(mutex_);
    mc_component_status out = MC_COMPONENT_OK;
    for (const auto& [key, row] : rows_) {
        const mc_component_status s = row.status == MC_COMPONENT_INVALID ? MC_COMPONENT_STARTING : row.status;
        if (severity(s) > severity(out)) out = s;
    }
    return out;
}

void PluginStatusTable::setListener(Listener listener) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

} // namespace mc::host
