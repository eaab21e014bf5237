#include "cluster/Ownership.h"

#include "log/Logging.h"
#include "util/Json.h"
#include "mc/thread_name.hpp"

#include <algorithm>
#include <functional>

namespace mc::host {

Ownership::Ownership(std::string self, std::chrono::milliseconds ttl, Hooks hooks)
    : self_(std::move(self)), ttl_(ttl), hooks_(std::move(hooks)) {}

Ownership::~Ownership() { stop(); }

void Ownership::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-ownership");
        run();
    });
}

void Ownership::run() {
    std::unique_lock lock(mutex_);
    // The first round waits one period, so the members heartbeats announce are counted in the share.
    while (!wake_.wait_for(lock, ttl_ / 3, [&] { return stopping_; })) {
        lock.unlock();
        round();
        lock.lock();
    }
}

void Ownership::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard round(roundMutex_);
    std::set<std::string> held;
    {
        std::lock_guard lock(mutex_);
        held.swap(held_);
    }
    for (const auto& id : held) {
        hooks_.yield(id);
        std::string holder, error;
        if (hooks_.lease(MC_LEASE_RELEASE, "mcp:" + id, 0, holder, error) != MC_OK)
            logging::get("cluster")->warn("releasing the lease of mcp '{}' failed: {} (it expires by itself)", id, error);
    }
    bool leading = false;
    {
        std::lock_guard lock(mutex_);
        std::swap(leading, leading_);
    }
    if (leading) {
        if (hooks_.lead) hooks_.lead(false);
        std::string holder, error;
        hooks_.lease(MC_LEASE_RELEASE, "leader", 0, holder, error);
    }
}

void Ownership::loseAll(const std::string& why) {
    std::set<std::string> held;
    bool leading = false;
    {
        std::lock_guard lock(mutex_);
        held.swap(held_);
        std::swap(leading, leading_);
    }
    if (leading && hooks_.lead) hooks_.lead(false);
    for (const auto& id : held) {
        logging::get("cluster")->warn("closing mcp '{}': {}", id, why);
        hooks_.yield(id);
    }
}

void Ownership::round() {
    std::lock_guard one(roundMutex_);
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
    }
    auto servers = hooks_.servers();
    std::sort(servers.begin(), servers.end());
    const std::size_t members = std::max<std::size_t>(1, hooks_.members());
    const std::size_t share = (servers.size() + members - 1) / members;
    // Hosts start their scan at different servers, so they do not all race for the same one first.
    const std::size_t offset = servers.empty() ? 0 : std::hash<std::string>{}(self_) % servers.size();
    std::set<std::string> held;
    {
        std::lock_guard lock(mutex_);
        held = held_;
    }
    bool failed = false;
    std::string error;
    std::map<std::string, std::string> owners;
    // Renew what is held; give back what is above the share (the last ones in scan order).
    std::vector<std::string> ordered;
    for (std::size_t k = 0; k < servers.size(); ++k) ordered.push_back(servers[(k + offset) % servers.size()]);
    std::size_t kept = 0;
    for (const auto& id : ordered) {
        if (!held.count(id)) continue;
        std::string holder;
        const bool giveBack = kept >= share;
        const mc_status s = hooks_.lease(giveBack ? MC_LEASE_RELEASE : MC_LEASE_ACQUIRE, "mcp:" + id, ttl_.count(), holder, error);
        if (s != MC_OK) {
            failed = true;
            continue;
        }
        owners[id] = holder;
        if (holder != self_) {
            held.erase(id);
            hooks_.yield(id);
            if (giveBack) logging::get("cluster")->info("mcp '{}' given back: this host holds more than its share ({})", id, share);
            else logging::get("cluster")->warn("mcp '{}' lost its lease to {}", id, holder.empty() ? "nobody" : holder);
        } else {
            ++kept;
        }
    }
    // Take free or expired ones up to the share; read the rest.
    for (const auto& id : ordered) {
        if (held.count(id)) continue;
        std::string holder;
        const bool take = held.size() < share;
        const mc_status s = hooks_.lease(take ? MC_LEASE_ACQUIRE : MC_LEASE_READ, "mcp:" + id, ttl_.count(), holder, error);
        if (s != MC_OK) {
            failed = true;
            continue;
        }
        owners[id] = holder;
        if (holder == self_) {
            held.insert(id);
            hooks_.claim(id);
        }
    }
    // The leader: whoever holds the lease keeps it; anyone takes it when it is free.
    std::string leader;
    const bool leaderRead = hooks_.lease(MC_LEASE_ACQUIRE, "leader", ttl_.count(), leader, error) == MC_OK;
    if (!leaderRead) failed = true;
    const auto now = std::chrono::steady_clock::now();
    std::map<std::string, std::string> changed;
    std::optional<bool> leadingNow;
    bool stale = false;
    {
        std::lock_guard lock(mutex_);
        ++rounds_;
        if (failed) {
            ++failedRounds_;
            lastError_ = error;
            // Unable to renew for most of a lease: another host may take them soon; close them first.
            stale = lastRenewed_ != std::chrono::steady_clock::time_point{} && now - lastRenewed_ > ttl_ - ttl_ / 3;
        } else {
            lastRenewed_ = now;
        }
        held_ = held;
        if (leaderRead) {
            leader_ = leader;
            if ((leader == self_) != leading_) {
                leading_ = leader == self_;
                leadingNow = leading_;
            }
        }
        for (const auto& [id, holder] : owners) {
            auto it = owners_.find(id);
            if (it == owners_.end() || it->second != holder) changed[id] = holder;
            owners_[id] = holder;
        }
    }
    for (const auto& [id, holder] : changed) hooks_.owner(id, holder);
    if (leadingNow) {
        logging::get("cluster")->info(*leadingNow ? "this host ({}) leads the cluster now" : "this host ({}) no longer leads the cluster",
                                      self_);
        if (hooks_.lead) hooks_.lead(*leadingNow);
    }
    if (stale) loseAll("its lease could not be renewed (" + error + ")");
}

std::optional<std::string> Ownership::ownerOf(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(id);
    if (it == owners_.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

std::string Ownership::healthJson() const {
    std::lock_guard lock(mutex_);
    std::string out = "{\"ttl_ms\":" + std::to_string(ttl_.count()) + ",\"rounds\":" + std::to_string(rounds_) +
                      ",\"failed_rounds\":" + std::to_string(failedRounds_) + ",\"last_error\":" +
                      (lastError_.empty() ? std::string("null") : json::quote(lastError_)) +
                      ",\"leader\":" + (leader_.empty() ? std::string("null") : json::quote(leader_)) + ",\"held\":[";
    bool first = true;
    for (const auto& id : held_) {
        out += (first ? "" : ",") + json::quote(id);
        first = false;
    }
    out += "],\"owners\":{";
    first = true;
    for (const auto& [id, holder] : owners_) {
        out += (first ? "" : ",") + json::quote(id) + ":" + (holder.empty() ? std::string("null") : json::quote(holder));
        first = false;
    }
    return out + "}}";
}

} // namespace mc::host
