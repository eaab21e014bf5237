#include "discovery/AddressPolicy.h"

#include "config/HostConfig.h"

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace mc::host {
namespace {

using Bytes4 = std::array<std::uint8_t, 4>;
using Bytes16 = std::array<std::uint8_t, 16>;

bool inV4(const Bytes4& a, std::uint8_t b0, std::uint8_t b1, unsigned prefix) {
    const std::uint32_t value = (std::uint32_t(a[0]) << 24) | (std::uint32_t(a[1]) << 16) | (std::uint32_t(a[2]) << 8) | a[3];
    const std::uint32_t network = (std::uint32_t(b0) << 24) | (std::uint32_t(b1) << 16);
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t(0) << (32 - prefix);
    return (value & mask) == (network & mask);
}

bool isV4(const Bytes4& a, std::uint8_t b0, std::uint8_t b1, std::uint8_t b2, std::uint8_t b3) {
    return a == Bytes4{b0, b1, b2, b3};
}

AddressClass classifyV4(const Bytes4& a) {
    // Instance metadata and credential services: AWS/GCP/Azure/OpenStack 169.254.169.254, AWS ECS
    // 169.254.170.2, EKS pod identity 169.254.170.23, Alibaba 100.100.100.200.
    if (isV4(a, 169, 254, 169, 254) || isV4(a, 169, 254, 170, 2) || isV4(a, 169, 254, 170, 23) ||
        isV4(a, 100, 100, 100, 200))
        return AddressClass::Metadata;
    if (inV4(a, 127, 0, 8) || inV4(a, 0, 0, 8)) return AddressClass::Loopback; // 0.0.0.0/8 reaches this host
    if (inV4(a, 169, 254, 16)) return AddressClass::LinkLocal;
    if (inV4(a, 10, 0, 8) || inV4(a, 172, 16, 12) || inV4(a, 192, 168, 16) || inV4(a, 100, 64, 10))
        return AddressClass::Lan; // RFC 1918 and the carrier-grade NAT range (RFC 6598)
    if (inV4(a, 224, 0, 4) || inV4(a, 240, 0, 4)) return AddressClass::Unusable; // multicast, reserved, broadcast
    return AddressClass::Public;
}

AddressClass classifyV6(const Bytes16& a) {
    static const Bytes16 kAwsMetadata = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    static const Bytes16 kEksPodIdentity = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
    if (a == kAwsMetadata || a == kEksPodIdentity) return AddressClass::Metadata;
    const bool firstTenZero = std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; });
    const bool mapped = firstTenZero && a[10] == 0xff && a[11] == 0xff;
    static const std::uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (mapped || std::memcmp(a.data(), kNat64, 12) == 0) return classifyV4(Bytes4{a[12], a[13], a[14], a[15]});
    const bool firstFifteenZero = std::all_of(a.begin(), a.begin() + 15, [](std::uint8_t b) { return b == 0; });
    if (firstFifteenZero && (a[15] == 0 || a[15] == 1)) return AddressClass::Loopback; // ::1, and :: reaches this host
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddressClass::LinkLocal;      // fe80::/10
    if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)) return AddressClass::Lan; // fc00::/7, fec0::/10
    if (a[0] == 0xff) return AddressClass::Unusable;                                   // multicast
    if (firstTenZero) return AddressClass::Unusable; // the deprecated IPv4-compatible ::a.b.c.d
    return AddressClass::Public;
}

std::string lower(std::string s) { return Poco::toLower(Poco::trim(s)); }

bool isNameLabel(const std::string& label) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    return true;
}

bool isHostName(const std::string& name) {
    if (name.empty() || name.size() > 253) return false;
    Poco::StringTokenizer labels(name, ".");
    if (name.front() == '.' || name.back() == '.' || labels.count() == 0) return false;
    for (const auto& label : labels)
        if (!isNameLabel(label)) return false;
    return true;
}

[[noreturn]] void badPattern(const std::string& key, const std::string& entry, const std::string& why) {
    throw ConfigError("invalid configuration: " + key + " entry '" + entry + "': " + why +
                      " (expected *, a host name, *.domain, an IP address, any of these with :port, or a CIDR block "
                      "such as 10.0.0.0/8)");
}

unsigned parsePort(const std::string& key, const std::string& entry, const std::string& text) {
    unsigned port = 0;
    if (!Poco::NumberParser::tryParseUnsigned(text, port) || port == 0 || port > 65535)
        badPattern(key, entry, "port '" + text + "' is not in 1..65535");
    return port;
}

bool inNetwork(const Poco::Net::IPAddress& address, const Poco::Net::IPAddress& network, unsigned prefix) {
    if (address.family() != network.family()) return false;
    const Poco::Net::IPAddress mask(prefix, network.family());
    return (address & mask) == (network & mask);
}

} // namespace

const char* addressClassName(AddressClass c) {
    switch (c) {
    case AddressClass::Public: return "public";
    case AddressClass::Lan: return "lan";
    case AddressClass::Loopback: return "loopback";
    case AddressClass::LinkLocal: return "link-local";
    case AddressClass::Metadata: return "metadata";
    case AddressClass::Unusable: return "unusable";
    }
    return "unusable";
}

AddressClass classifyAddress(const Poco::Net::IPAddress& address) {
    if (address.family() == Poco::Net::IPAddress::IPv4) {
        Bytes4 bytes;
        std::memcpy(bytes.data(), address.addr(), 4);
        return classifyV4(bytes);
    }
    Bytes16 bytes;
    std::memcpy(bytes.data(), address.addr(), 16);
    return classifyV6(bytes);
}

std::optional<AddressClass> classifyHostName(const std::string& host) {
    const std::string name = lower(host);
    if (name == "localhost" || (name.size() > 10 && name.compare(name.size() - 10, 10, ".localhost") == 0))
        return AddressClass::Loopback;
    static const char* const kMetadataNames[] = {"metadata.google.internal", "metadata.goog", "metadata",
                                                 "instance-data", "instance-data.ec2.internal"};
    for (const char* m : kMetadataNames)
        if (name == m || name == std::string(m) + ".") return AddressClass::Metadata;
    return std::nullopt;
}

std::set<AddressClass> parseAddressClasses(const std::string& value, const std::string& key) {
    std::set<AddressClass> out;
    Poco::StringTokenizer items(value, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& item : items) {
        const std::string name = Poco::toLower(item);
        bool known = false;
        for (AddressClass c : {AddressClass::Lan, AddressClass::Loopback, AddressClass::LinkLocal, AddressClass::Metadata})
            if (name == addressClassName(c)) {
                out.insert(c);
                known = true;
            }
        if (!known)
            throw ConfigError("invalid configuration: " + key + " entry '" + item +
                              "': expected a comma list of loopback, link-local, lan, metadata (empty: public addresses only)");
    }
    return out;
}

AddressCheck checkHostAddresses(const std::string& host, const std::set<AddressClass>& allowed) {
    AddressCheck check;
    auto allows = [&](AddressClass c) { return c == AddressClass::Public || allowed.count(c); };
    if (auto named = classifyHostName(host); named && !allows(*named)) {
        check.outcome = AddressCheck::Outcome::Refused;
        check.classes.insert(*named);
        check.refusedClass = *named;
        return check; // not even resolved: the name says where it leads
    }
    std::vector<Poco::Net::IPAddress> addresses;
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(host, literal)) {
        addresses.push_back(literal);
    } else {
        try {
            const Poco::Net::HostEntry entry = Poco::Net::DNS::resolve(host);
            addresses = entry.addresses();
        } catch (const Poco::Exception& e) {
            check.error = "cannot resolve '" + host + "': " + e.displayText();
            return check;
        }
        if (addresses.empty()) {
            check.error = "'" + host + "' resolves to no address";
            return check;
        }
    }
    check.outcome = AddressCheck::Outcome::Allowed;
    for (const auto& address : addresses) {
        const AddressClass c = classifyAddress(address);
        check.addresses.push_back(address.toString());
        check.classes.insert(c);
        if (check.outcome == AddressCheck::Outcome::Allowed && (c == AddressClass::Unusable || !allows(c))) {
            check.outcome = AddressCheck::Outcome::Refused;
            check.refusedAddress = address.toString();
            check.refusedClass = c;
        }
    }
    if (check.outcome == AddressCheck::Outcome::Allowed) check.connectAddress = check.addresses.front();
    return check;
}

std::vector<HostPattern> parseHostPatterns(const std::string& value, const std::string& key) {
    std::vector<HostPattern> out;
    Poco::StringTokenizer items(value, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& item : items) {
        HostPattern p;
        p.text = item;
        const std::string entry = Poco::toLower(item);
        if (entry.find("://") != std::string::npos) badPattern(key, item, "a URL; write its host[:port] only");
        if (const auto slash = entry.find('/'); slash != std::string::npos) {
            Poco::Net::IPAddress network;
            unsigned prefix = 0;
            if (!Poco::Net::IPAddress::tryParse(entry.substr(0, slash), network))
                badPattern(key, item, "'" + entry.substr(0, slash) + "' is not an IP address");
            const unsigned bits = network.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
            if (!Poco::NumberParser::tryParseUnsigned(entry.substr(slash + 1), prefix) || prefix > bits)
                badPattern(key, item, "prefix length '" + entry.substr(slash + 1) + "' is not in 0.." + std::to_string(bits));
            p.address = network;
            p.prefixLength = prefix;
            out.push_back(p);
            continue;
        }
        std::string hostPart = entry;
        if (entry.front() == '[') { // [v6] or [v6]:port
            const auto close = entry.find(']');
            if (close == std::string::npos) badPattern(key, item, "no closing ']'");
            hostPart = entry.substr(1, close - 1);
            const std::string rest = entry.substr(close + 1);
            if (!rest.empty()) {
                if (rest.front() != ':') badPattern(key, item, "unexpected '" + rest + "' after ']'");
                p.port = parsePort(key, item, rest.substr(1));
            }
        } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
            const auto colon = entry.find(':');
            hostPart = entry.substr(0, colon);
            p.port = parsePort(key, item, entry.substr(colon + 1));
        }
        Poco::Net::IPAddress address;
        if (hostPart == "*") {
            p.anyHost = true;
        } else if (Poco::Net::IPAddress::tryParse(hostPart, address)) {
            p.address = address;
        } else if (hostPart.rfind("*.", 0) == 0 && isHostName(hostPart.substr(2))) {
            p.suffix = true;
            p.name = hostPart.substr(1); // ".example.com"
        } else if (isHostName(hostPart)) {
            p.name = hostPart;
        } else {
            badPattern(key, item, "'" + hostPart + "' is not a host name, *.domain or IP address");
        }
        out.push_back(p);
    }
    return out;
}

bool matchesHostPattern(const std::vector<HostPattern>& patterns, const std::string& host, unsigned port) {
    const std::string name = lower(host);
    Poco::Net::IPAddress address;
    const bool isAddress = Poco::Net::IPAddress::tryParse(name, address);
    for (const auto& p : patterns) {
        if (p.port != 0 && p.port != port) continue;
        if (p.anyHost) return true;
        if (p.address) {
            if (!isAddress) continue;
            if (p.prefixLength ? inNetwork(address, *p.address, *p.prefixLength) : address == *p.address) return true;
            continue;
        }
        if (isAddress) continue;
        if (p.suffix ? name.size() > p.name.size() && name.compare(name.size() - p.name.size(), p.name.size(), p.name) == 0
                     : name == p.name)
            return true;
    }
    return false;
}

} // namespace mc::host
