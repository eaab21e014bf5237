#pragma once
// Which host of a cluster connects which configured MCP server: a lease per server ("mcp:<id>") in the
// shared store, renewed every ttl/3 by its holder. A host takes free or expired leases up to its fair
// share (the servers divided by the members it hears, rounded up) and gives back what it holds above
// it, so servers spread over the hosts and move when hosts come and go; when a host dies its leases
// expire and the others take its servers within ttl + ttl/3. A host that cannot renew (its store is
// down) closes its servers before its leases can have passed to another host, so no server is
// connected twice for longer than the store's clock and this host's disagree. One more lease, "leader",
// goes to whichever host takes it first and keeps renewing it: the leader runs what one host should
// (connecting what discovery finds).
#include "mc/plugin_abi.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mc::host {

class Ownership {
public:
    struct Hooks {
        // The store's lease hook: the holder after the operation ("" free); a status other than MC_OK on failure.
        std::function<mc_status(mc_lease_op op, const std::string& name, std::int64_t ttlMs, std::string& holder, std::string& error)> lease;
        std::function<std::vector<std::string>()> servers; // the configured servers
        std::function<std::size_t()> members;              // hosts heard (this one included)
        std::function<void(const std::string& id)> claim;  // this host connects it now
        std::function<void(const std::string& id)> yield;  // this host must close it now
        std::function<void(const std::string& id, const std::string& holder)> owner; // who has it ("" nobody)
        std::function<void(bool leading)> lead; // this host became (true) or stopped being (false) the leader
    };

    Ownership(std::string self, std::chrono::milliseconds ttl, Hooks hooks);
    ~Ownership();
    Ownership(const Ownership&) = delete;
    Ownership& operator=(const Ownership&) = delete;

    void start();
    // Closes what this host holds and releases the leases (another host takes them at once).
    void stop();
    // One round now (tests, start-up): renew, give back, take.
    void round();

    std::optional<std::string> ownerOf(const std::string& id) const; // the holder seen last round
    // {"ttl_ms","rounds","failed_rounds","last_error","leader":"<host>"|null,"held":[...],"owners":{"<id>":"<host>"|null}}
    std::string healthJson() const;

private:
    void run();
    void loseAll(const std::string& why);

    const std::string self_;
    const std::chrono::milliseconds ttl_;
    Hooks hooks_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::mutex roundMutex_; // one round at a time
    std::set<std::string> held_;
    std::map<std::string, std::string> owners_;
    std::string leader_;   // the holder of "leader" as last read
    bool leading_ = false; // this host is it
    std::chrono::steady_clock::time_point lastRenewed_{};
    std::uint64_t rounds_ = 0, failedRounds_ = 0;
    std::string lastError_;
    std::thread thread_;
};

} // namespace mc::host
