#include "mcpserver/McpNames.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <vector>

namespace mc::host {
namespace {

bool allowedInName(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// FNV-1a (64 bits), as 8 hex digits of its low half: stable across builds, platforms and runs.
std::string hash8(std::string_view text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    static const char* digits = "0123456789abcdef";
    std::string out(8, '0');
    for (int i = 7; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = digits[h & 0xF];
    return out;
}

// The allowed characters of `name` cut to leave room for '_' and the hash of `hashed`.
std::string withHash(const std::string& name, std::string_view hashed) {
    std::string out;
    for (char c : name) {
        if (out.size() == McpNames::kMaxName - 9) break;
        out += allowedInName(c) ? c : '_';
    }
    return out + "_" + hash8(hashed);
}

enum class Kind { Names, Uris };

} // namespace

std::optional<PrefixMode> prefixModeFromName(std::string_view name) {
    if (name == "always") return PrefixMode::Always;
    if (name == "conditional") return PrefixMode::Conditional;
    if (name == "never") return PrefixMode::Never;
    return std::nullopt;
}

std::string McpNames::shortened(const std::string& name) {
    const bool acceptable = !name.empty() && name.size() <= kMaxName && std::all_of(name.begin(), name.end(), allowedInName);
    return acceptable ? name : withHash(name, name);
}

std::string McpNames::wrapUri(const std::string& server, const std::string& uri) { return kUriScheme + server + "/" + uri; }

std::optional<NamedItem> McpNames::unwrapUri(std::string_view uri) {
    const std::string_view scheme = kUriScheme;
    if (uri.substr(0, scheme.size()) != scheme) return std::nullopt;
    const std::string_view rest = uri.substr(scheme.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return std::nullopt;
    return NamedItem{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

long McpNames::templateMatch(std::string_view uriTemplate, std::string_view uri) {
    // The literal pieces between expressions: the first begins the URI, the last ends it, the others
    // follow in order between (leftmost), whatever the expressions expanded to lies around them.
    std::vector<std::string_view> literals;
    std::size_t at = 0;
    while (true) {
        const auto open = uriTemplate.find('{', at);
        if (open == std::string_view::npos) {
            literals.push_back(uriTemplate.substr(at));
            break;
        }
        literals.push_back(uriTemplate.substr(at, open - at));
        const auto close = uriTemplate.find('}', open);
        if (close == std::string_view::npos) return uriTemplate == uri ? static_cast<long>(uri.size()) : -1; // not a template
        at = close + 1;
    }
    if (literals.size() == 1) return uriTemplate == uri ? static_cast<long>(uri.size()) : -1;
    const std::string_view first = literals.front(), last = literals.back();
    if (uri.size() < first.size() + last.size() || uri.substr(0, first.size()) != first ||
        uri.substr(uri.size() - last.size()) != last)
        return -1;
    long matched = static_cast<long>(first.size() + last.size());
    std::size_t from = first.size();
    const std::size_t end = uri.size() - last.size();
    for (std::size_t i = 1; i + 1 < literals.size(); ++i) {
        const auto found = uri.substr(0, end).find(literals[i], from);
        if (found == std::string_view::npos) return -1;
        from = found + literals[i].size();
        matched += static_cast<long>(literals[i].size());
    }
    return matched;
}

namespace {

void build(const std::vector<NamedItem>& items, PrefixMode mode, Kind kind, std::vector<std::string>& exposed) {
    std::vector<std::size_t> order(items.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(items[a].server, items[a].original) < std::tie(items[b].server, items[b].original);
    });
    std::map<std::string, std::set<std::string>> serversOf; // original -> the servers offering it
    for (const auto& item : items) serversOf[item.original].insert(item.server);

    exposed.assign(items.size(), std::string());
    std::set<std::string> taken;
    std::set<std::pair<std::string, std::string>> seen; // a server listing one name twice offers it once
    for (const std::size_t i : order) {
        const NamedItem& item = items[i];
        if (!seen.insert({item.server, item.original}).second) continue;
        const bool shared = serversOf[item.original].size() > 1;
        if (mode == PrefixMode::Never && shared && *serversOf[item.original].begin() != item.server) continue;
        const bool qualify = mode == PrefixMode::Always || (mode == PrefixMode::Conditional && shared);
        std::string name;
        if (kind == Kind::Uris) {
            name = qualify ? McpNames::wrapUri(item.server, item.original) : item.original;
        } else {
            name = McpNames::shortened(qualify ? item.server + McpNames::kSeparator + item.original : item.original);
            // Two different names that shorten (or prefix) alike: the later one is told apart by its origin.
            if (taken.count(name)) name = withHash(name, item.server + '\x1f' + item.original);
        }
        if (!taken.insert(name).second) continue; // still taken (a hash collision): left out rather than ambiguous
        exposed[i] = std::move(name);
    }
}

} // namespace

McpNames McpNames::forNames(const std::vector<NamedItem>& items, PrefixMode mode) {
    McpNames out;
    build(items, mode, Kind::Names, out.exposed_);
    out.items_ = items;
    return out;
}

McpNames McpNames::forUris(const std::vector<NamedItem>& items, PrefixMode mode) {
    McpNames out;
    build(items, mode, Kind::Uris, out.exposed_);
    out.items_ = items;
    return out;
}

std::optional<NamedItem> McpNames::resolve(std::string_view exposedName) const {
    for (std::size_t i = 0; i < exposed_.size(); ++i)
        if (!exposed_[i].empty() && exposed_[i] == exposedName) return items_[i];
    return std::nullopt;
}

} // namespace mc::host
