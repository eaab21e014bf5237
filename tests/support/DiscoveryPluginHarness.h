#pragma once
// Runs one real discovery plugin (.so from the build) through the host's loader and plugin instance,
// with its keys resolved as the host does, and records every "discovery" report it emits.
#include "config/HostConfig.h"
#include "plugin/PluginConfig.h"
#include "plugin/HostContext.h"
#include "plugin/PluginInstance.h"
#include "plugin/PluginRegistry.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::test {

class DiscoveryPluginHarness {
public:
    // `id`: "discovery-registry"; `config`: keys relative to discovery.<name>.
    DiscoveryPluginHarness(const std::string& id, const std::map<std::string, std::string>& config) {
        const std::string path = std::string(MC_TEST_PLUGIN_DIR) + "/" + id + ".so";
        if (!registry_.loadFile(path)) throw std::runtime_error(id + ".so refused: " + registry_.report().back().reason);
        auto plugin = registry_.find(id);
        const std::string prefix = "discovery." + id.substr(std::string("discovery-").size());
        auto resolved = host::pluginInstanceConfig(config, prefix, plugin->info.configKeys);
        auto context = std::make_unique<host::HostContext>(
            id, "test", resolved, [this](std::string_view, std::string_view type, std::string_view payload) {
                if (type == "discovery") record(std::string(payload));
                return MC_OK;
            });
        instance_ = std::make_unique<host::PluginInstance>(plugin, std::move(context));
    }
    ~DiscoveryPluginHarness() { instance_.reset(); }

    void start() { instance_->start(); }
    void stop() { instance_->stop(); }
    void refresh() {
        std::string reason;
        const auto& vt = instance_->plugin().discovery;
        if (host::HostContext::call(reason, [&] { return vt.refresh(instance_->handle()); }) != MC_OK)
            throw std::runtime_error("refresh failed: " + reason);
    }

    std::vector<Poco::JSON::Object::Ptr> reports() const {
        std::lock_guard lock(mutex_);
        return reports_;
    }
    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return reports_.size();
    }
    // Waits for a report at index >= `from` that `match` accepts; throws with every report on timeout.
    Poco::JSON::Object::Ptr waitFor(const std::function<bool(const Poco::JSON::Object&)>& match, std::size_t from = 0,
                                    int timeoutMs = 15000) {
        std::unique_lock lock(mutex_);
        Poco::JSON::Object::Ptr found;
        changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] {
            for (std::size_t i = from; i < reports_.size(); ++i)
                if (match(*reports_[i])) {
                    found = reports_[i];
                    return true;
                }
            return false;
        });
        if (!found) {
            std::string all;
            for (const auto& r : raw_) all += "\n  " + r;
            throw std::runtime_error("timed out waiting for a discovery report; got:" + all);
        }
        return found;
    }
    // The next "state" report at or after `from`.
    Poco::JSON::Object::Ptr waitForState(std::size_t from, int timeoutMs = 15000) {
        return waitFor([](const Poco::JSON::Object& r) { return r.getValue<std::string>("action") == "state" &&
                                                                r.getValue<std::string>("state") != "starting"; },
                       from, timeoutMs);
    }

    static bool is(const Poco::JSON::Object& r, const std::string& action, const std::string& key) {
        return r.getValue<std::string>("action") == action && r.optValue<std::string>("key", "") == key;
    }

private:
    void record(const std::string& payload) {
        Poco::JSON::Parser parser;
        auto object = parser.parse(payload).extract<Poco::JSON::Object::Ptr>();
        std::lock_guard lock(mutex_);
        reports_.push_back(object);
        raw_.push_back(payload);
        changed_.notify_all();
    }

    host::PluginRegistry registry_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Poco::JSON::Object::Ptr> reports_;
    std::vector<std::string> raw_;
    std::unique_ptr<host::PluginInstance> instance_;
};

} // namespace mc::test
