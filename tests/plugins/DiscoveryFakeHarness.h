#pragma once
// Runs one real discovery plugin (.so from the build) in the SDK's fake host (mc/sdk_test.hpp), with
// its keys resolved against the plugin's declaration as the host does, and shows what it reports as
// one ordered list of report objects, so the plugins' tests read as before ABI 2.0:
//   found  -> {"action": "found", "key", "name", ...the server definition's members ("transport",
//              "url", "command", ...), "details": {...}, "connectable": false + "reason" when not}
//   lost   -> {"action": "lost", "key"}
//   status -> {"action": "state", "state": "starting" | "ok" | "error" | "stopping" | "stopped",
//              "message", "found": servers found and not lost at that point}
// Only mc/ headers and Poco: no host internals.
#include <mc/sdk_test.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mc::test {

class DiscoveryFakeHarness {
public:
    // `id`: "discovery-registry"; `config`: keys relative to the plugin's prefix. Throws
    // std::runtime_error with the reason when the configuration or create is refused.
    DiscoveryFakeHarness(const std::string& id, const std::map<std::string, std::string>& config)
        : host_(std::string(MC_TEST_PLUGIN_DIR) + "/" + id + ".so") {
        const auto problems = host_.problems();
        if (!problems.empty()) throw std::runtime_error(id + ".so refused: " + problems.front());
        instance_ = host_.create(config);
        if (!instance_->created().ok()) throw std::runtime_error(instance_->created().error);
    }

    void start() {
        const auto call = instance_->start();
        if (!call.ok()) throw std::runtime_error("start failed: " + call.error);
    }
    void stop() { instance_->stop(); }
    void refresh() {
        const auto call = instance_->refresh();
        if (!call.ok()) throw std::runtime_error("refresh failed: " + call.error);
    }

    mc::sdk::test::Instance& instance() { return *instance_; }
    bool logged(const std::string& part) const { return instance_->logged(part); }

    std::vector<Poco::JSON::Object::Ptr> reports() const {
        std::lock_guard lock(mutex_);
        poll();
        return reports_;
    }
    std::size_t count() const { return reports().size(); }

    // Waits for a report at index >= `from` that `match` accepts; throws with every report on timeout.
    Poco::JSON::Object::Ptr waitFor(const std::function<bool(const Poco::JSON::Object&)>& match, std::size_t from = 0,
                                    int timeoutMs = 15000) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                poll();
                for (std::size_t i = from; i < reports_.size(); ++i)
                    if (match(*reports_[i])) return reports_[i];
                if (std::chrono::steady_clock::now() >= deadline) {
                    std::string all;
                    for (const auto& r : reports_) all += "\n  " + dump(*r);
                    throw std::runtime_error("timed out waiting for a discovery report; got:" + all);
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    // The next status report at or after `from` that is not "starting".
    Poco::JSON::Object::Ptr waitForState(std::size_t from, int timeoutMs = 15000) const {
        return waitFor([](const Poco::JSON::Object& r) { return r.getValue<std::string>("action") == "state" &&
                                                                r.getValue<std::string>("state") != "starting"; },
                       from, timeoutMs);
    }

    static bool is(const Poco::JSON::Object& r, const std::string& action, const std::string& key) {
        return r.getValue<std::string>("action") == action && r.optValue<std::string>("key", "") == key;
    }

    static std::string dump(const Poco::JSON::Object& o) {
        std::ostringstream out;
        o.stringify(out);
        return out.str();
    }

private:
    static Poco::JSON::Object::Ptr parseObject(const std::string& json) {
        if (json.empty()) return new Poco::JSON::Object;
        return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    }
    static const char* stateName(mc_component_status s) {
        switch (s) {
        case MC_COMPONENT_STARTING: return "starting";
        case MC_COMPONENT_OK: return "ok";
        case MC_COMPONENT_RECOVERABLE_ERROR:
        case MC_COMPONENT_PERMANENT_ERROR: return "error";
        case MC_COMPONENT_STOPPING: return "stopping";
        case MC_COMPONENT_STOPPED: return "stopped";
        default: return "invalid";
        }
    }

    // Appends what arrived since the last poll in the order it was reported: each status after the
    // discovery events reported before it (its "found" counts exactly those), the later events last.
    void poll() const {
        const auto statuses = instance_->statuses(); // first: the events below include all theirs
        const auto events = instance_->discoveryEvents();
        for (; statusesSeen_ < statuses.size(); ++statusesSeen_) {
            const auto& s = statuses[statusesSeen_];
            pollEvents(events, s.discoveryEventsBefore);
            if (s.byHost) continue;
            Poco::JSON::Object::Ptr r = new Poco::JSON::Object;
            r->set("action", "state");
            r->set("state", std::string(stateName(s.status)));
            r->set("message", s.message);
            r->set("found", static_cast<int>(current_.size()));
            reports_.push_back(r);
        }
        pollEvents(events, events.size());
    }

    void pollEvents(const std::vector<mc::sdk::test::DiscoveryEvent>& events, std::size_t upTo) const {
        for (; eventsSeen_ < upTo && eventsSeen_ < events.size(); ++eventsSeen_) {
            const auto& e = events[eventsSeen_];
            Poco::JSON::Object::Ptr r;
            if (e.kind == mc::sdk::test::DiscoveryEvent::Found) {
                r = parseObject(e.server.serverJson);
                r->set("action", "found");
                r->set("key", e.server.key);
                r->set("name", e.server.name);
                r->set("details", parseObject(e.server.detailsJson));
                if (!e.server.connectable) {
                    r->set("connectable", false);
                    r->set("reason", e.server.reason);
                }
                current_.insert(e.server.key);
            } else if (e.kind == mc::sdk::test::DiscoveryEvent::Lost) {
                r = new Poco::JSON::Object;
                r->set("action", "lost");
                r->set("key", e.key);
                current_.erase(e.key);
            } else {
                r = new Poco::JSON::Object;
                r->set("action", "scan_complete");
            }
            reports_.push_back(r);
        }
    }

    mc::sdk::test::FakeHost host_;
    std::unique_ptr<mc::sdk::test::Instance> instance_;
    mutable std::mutex mutex_;
    mutable std::vector<Poco::JSON::Object::Ptr> reports_;
    mutable std::size_t eventsSeen_ = 0, statusesSeen_ = 0;
    mutable std::set<std::string> current_;
};

} // namespace mc::test
