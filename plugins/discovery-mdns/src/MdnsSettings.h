#pragma once
// The configuration of discovery-mdns (keys under discovery.mdns.*, see README.md): declared, validated.
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
    std::int64_t maxQueryIntervalMs = 0;
    std::int64_t maxRecordsPerSender = 0; // cache records one sender (source address) may hold
};

// The keys under discovery.mdns., as declared (kSettings below).
struct Settings {
    std::string types;
    std::string interface;
    std::int64_t maxQueryIntervalMs = 0;
    std::int64_t maxRecordsPerSender = 0;
};

// Declared once: types, defaults, ranges, choices, help (the host validates before create).
constexpr sdk::Key<Settings> kSettings[] = {
    sdk::key("types", &Settings::types).byDefault("_mcp._tcp")
        .help("DNS-SD service types to browse, comma-separated (e.g. _mcp._tcp, _mcp-sse._tcp): each is _ and 1-15 letters, digits or hyphens, then ._tcp or ._udp; .local is implied"),
    sdk::key("interface", &Settings::interface)
        .help("Interface to browse on, by name (eth0) or IPv4 address; empty: every interface that is up, multicast-capable and has an IPv4 address"),
    sdk::key("max_query_interval_ms", &Settings::maxQueryIntervalMs).byDefault("60000").range(1000, 86400000)
        .help("Browse queries go out at start, then 1 s, 2 s, 4 s ... apart, capped at this interval (milliseconds)"),
    sdk::key("max_records_per_sender", &Settings::maxRecordsPerSender).byDefault("256").range(4, 10000)
        .help("Cache records one sender (source address) may hold (4: one service's PTR, SRV, TXT, A); its further new records are dropped and counted"),
    // Read by the host's discovery service (docs/discovery.md), declared here with this source's defaults:
    // mDNS listens to (and is answered by) anything on the LAN, so it is off until enabled, and what it
    // finds on private addresses is not even probed until allowed.
    sdk::key<Settings>("enabled", MC_CONFIG_BOOL).byDefault("false").example("true")
        .help("true: browse the local network (off by default: anything on the LAN can announce services; read by the host)"),
    sdk::key<Settings>("policy", MC_CONFIG_ENUM).choices("auto-connect,list-only").byDefault("list-only")
        .help("auto-connect: the host connects what is found (after a probe); list-only: it only lists it (read by the host)"),
    sdk::key<Settings>("stdio", MC_CONFIG_ENUM).choices("packages,commands,none").byDefault("none")
        .help("Which stdio servers the host may start from this source; it finds http/sse servers only, so none (read by the host)"),
    sdk::key<Settings>("allow_remotes", MC_CONFIG_LIST).example("192.168.1.0/24")
        .help("Comma list of host patterns of found servers that may be auto-connected, e.g. 192.168.1.0/24, *.lab.example; empty: none (read by the host)"),
    sdk::key<Settings>("allow_private_addresses", MC_CONFIG_LIST).example("lan")
        .help("Comma list of address classes found servers may be probed and connected on besides public ones: loopback, link-local, lan, metadata; a LAN usually needs lan; empty: nothing found is even probed (read by the host)"),
};

// The checked settings from the declared ones. Throws mc::sdk::Error(MC_ERR_CONFIG) naming the key
// and the bad value (ranges are checked by the declaration).
MdnsSettings readMdnsSettings(const Settings& declared);

// "_mcp._tcp, _x._udp.local" -> _mcp._tcp.local, _x._udp.local; throws std::invalid_argument for
// anything that is not a DNS-SD service type (RFC 6763 §7: "_" + 1-15 letters, digits, hyphens).
std::vector<DnsName> parseServiceTypes(const std::string& list);

// The up, multicast-capable IPv4 interfaces to use: the configured one (by name or address) or all.
// Throws std::runtime_error saying what exists when nothing matches.
std::vector<Poco::Net::NetworkInterface> chooseInterfaces(const std::string& wanted);

// "lo (127.0.0.1), eth0 (10.0.0.2)".
std::string describeInterfaces(const std::vector<Poco::Net::NetworkInterface>& interfaces);

} // namespace mc::mdns
