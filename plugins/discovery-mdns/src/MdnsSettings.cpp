#include "MdnsSettings.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mc::mdns {
namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool isServiceLabel(const std::string& label) {
    if (label.size() < 2 || label.size() > 16 || label[0] != '_' || label[1] == '-' || label.back() == '-') return false;
    return std::all_of(label.begin() + 1, label.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

std::string ipv4Of(const Poco::Net::NetworkInterface& nic) {
    for (const auto& tuple : nic.addressList()) {
        const auto& address = tuple.get<Poco::Net::NetworkInterface::IP_ADDRESS>();
        if (address.family() == Poco::Net::IPAddress::IPv4) return address.toString();
    }
    return {};
}

} // namespace

std::vector<DnsName> parseServiceTypes(const std::string& list) {
    std::vector<DnsName> out;
    std::string::size_type start = 0;
    while (start <= list.size()) {
        const auto comma = list.find(',', start);
        const std::string item = trim(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        start = comma == std::string::npos ? list.size() + 1 : comma + 1;
        if (item.empty()) continue;
        DnsName name = DnsName::fromText(item);
        if (name.labels.size() == 3 && lower(name.labels[2]) == "local") name.labels.pop_back();
        const bool ok = name.labels.size() == 2 && isServiceLabel(name.labels[0]) &&
                        (lower(name.labels[1]) == "_tcp" || lower(name.labels[1]) == "_udp");
        if (!ok)
            throw std::invalid_argument("'" + item + "' is not a DNS-SD service type like _mcp._tcp (RFC 6763 §7: '_' and 1 to 15 "
                                        "letters, digits or hyphens, then ._tcp or ._udp)");
        name.labels.emplace_back("local");
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
    if (out.empty()) throw std::invalid_argument("no service type given");
    return out;
}

MdnsSettings readMdnsSettings(const Settings& declared) {
    MdnsSettings settings;
    try {
        settings.types = parseServiceTypes(declared.types);
    } catch (const std::invalid_argument& e) {
        throw sdk::Error(MC_ERR_CONFIG, "configuration key 'types' = '" + declared.types + "': " + e.what());
    }
    settings.interface = trim(declared.interface);
    settings.maxQueryIntervalMs = declared.maxQueryIntervalMs;
    settings.maxRecordsPerSender = declared.maxRecordsPerSender;
    return settings;
}

std::vector<Poco::Net::NetworkInterface> chooseInterfaces(const std::string& wanted) {
    std::vector<Poco::Net::NetworkInterface> usable, all;
    for (const auto& [_, nic] : Poco::Net::NetworkInterface::map(true, false)) {
        all.push_back(nic);
        if (nic.isUp() && nic.supportsMulticast() && !ipv4Of(nic).empty()) usable.push_back(nic);
    }
    if (wanted.empty()) {
        if (usable.empty())
            throw std::runtime_error("no interface is up, multicast-capable and has an IPv4 address (interfaces: " +
                                     describeInterfaces(all) + ")");
        return usable;
    }
    for (const auto& nic : all) {
        bool match = nic.name() == wanted;
        for (const auto& tuple : nic.addressList())
            match = match || tuple.get<Poco::Net::NetworkInterface::IP_ADDRESS>().toString() == wanted;
        if (!match) continue;
        if (!nic.isUp() || !nic.supportsMulticast() || ipv4Of(nic).empty())
            throw std::runtime_error("interface '" + wanted + "' is " +
                                     (!nic.isUp() ? "down" : !nic.supportsMulticast() ? "not multicast-capable" : "without an IPv4 address"));
        return {nic};
    }
    throw std::runtime_error("no interface named or addressed '" + wanted + "' (interfaces: " + describeInterfaces(all) + ")");
}

std::string describeInterfaces(const std::vector<Poco::Net::NetworkInterface>& interfaces) {
    std::string out;
    for (const auto& nic : interfaces) {
        if (!out.empty()) out += ", ";
        const std::string v4 = ipv4Of(nic);
        out += nic.name() + (v4.empty() ? "" : " (" + v4 + ")");
    }
    return out.empty() ? "none" : out;
}

} // namespace mc::mdns
