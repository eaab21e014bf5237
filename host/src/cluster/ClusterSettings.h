#pragma once
// The cluster.* keys (declared in config/HostConfig.cpp, read in app/HostSettings.cpp).
#include <chrono>
#include <cstddef>
#include <string>

namespace mc::host {

struct ClusterSettings {
    bool enabled = false;
    std::string name = "mission-control"; // cluster.name: the hosts that share one log (the resume epoch)
    std::string hostId;                   // cluster.host_id, resolved (the machine's name when empty)
    std::string bus = "nats";             // cluster.bus: the bus plugin whose keys live under bus.<bus>
    std::chrono::milliseconds heartbeat{1000}; // cluster.heartbeat_ms
    std::chrono::milliseconds lease{10000};    // cluster.lease_ms: a server's lease; renewed every third of it
    std::size_t earlyEvents = 10000;      // events published before the bus started, kept for it
};

} // namespace mc::host
