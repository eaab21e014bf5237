#pragma once
// The configuration of discovery-mdns (keys under discovery.mdns.*, see README.md), validated.
#include "DnsMessage.h"

#include "mc/sdk.hpp"

#include <Poco/Net/NetworkInterface.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mc::mdns {

struct MdnsSettings {
    std::vector<DnsName> types;          // browse names, e.g. _mcp._tcp.local
    std::string interface;               // name or IPv4 address; empty: every multicast-capable one
    std::int64_t maxQueryIntervalMs = 60000;
    std::int64_t maxRecordsPerSender = 256; // cache records one sender (source address) may hold
};

// Throws mc::sdk::Error(MC_ERR_CONFIG) naming the key and the bad value.
MdnsSettings readMdnsSettings(const sdk::Host& host);

// "_mcp._tcp, _x._udp.local" -> _mcp._tcp.local, _x._udp.local; throws std::invalid_argument for
// anything that is not a DNS-SD service type (RFC 6763 §7: "_" + 1-15 letters, digits, hyphens).
std::vector<DnsName> parseServiceTypes(const std::string& list);

// The up, multicast-capable IPv4 interfaces to use: the configured one (by name or address) or all.
// Throws std::runtime_error saying what exists when nothing matches.
std::vector<Poco::Net::NetworkInterface> chooseInterfaces(const std::string& wanted);

// "lo (127.0.0.1), eth0 (10.0.0.2)".
std::string describeInterfaces(const std::vector<Poco::Net::NetworkInterface>& interfaces);

} // namespace mc::mdns
