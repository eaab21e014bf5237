#pragma once
// The discovery-mdns plugin: one worker thread owns a multicast socket on 224.0.0.251:5353 and a
// ServiceBrowser, and turns what the browser decides into typed found / lost reports and its status
// (see README.md). No system daemon: it queries and parses by itself.
#include "MdnsSettings.h"
#include "ServiceBrowser.h"

#include "mc/sdk.hpp"

#include <Poco/Net/MulticastSocket.h>
#include <Poco/Net/NetworkInterface.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mc::mdns {

class MdnsDiscovery : public sdk::DiscoveryPlugin {
public:
    // Throws mc::sdk::Error(MC_ERR_CONFIG) for invalid keys.
    MdnsDiscovery(sdk::Host host, const Settings& settings, sdk::Discovered out);
    ~MdnsDiscovery() override;

    // Throws MC_ERR_CONFIG when the configured interface does not exist. A socket that cannot be
    // opened yet (port, interface down) is reported as RECOVERABLE_ERROR and retried.
    void start() override;
    void stop() override;
    void refresh() override;

private:
    void run();
    bool openSocket(std::string& error);
    void closeSocket();
    void send(const Query& query);
    void receive(std::int64_t nowUs);
    void publish();
    void reportState(mc_component_status status, const std::string& message);

    MdnsSettings settings_;
    ServiceBrowser browser_; // worker thread only
    std::unique_ptr<Poco::Net::MulticastSocket> socket_;
    std::vector<Poco::Net::NetworkInterface> interfaces_;
    std::set<std::string> warnedSenders_;
    std::thread worker_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> refreshRequested_{false};
};

} // namespace mc::mdns
