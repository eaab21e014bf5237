#pragma once
// How /mcp names what its upstream servers offer (docs/mcp-server.md#names): tools and prompts by
// name, resources and resource templates by URI. Every name is a function of the whole catalog, so
// the same servers and lists always give the same names, and each maps back to (server, original).
//
//   prefix always       <server>__<name>, every URI wrapped as mission-control://<server>/<original URI>
//   prefix conditional  the bare name or URI, prefixed (wrapped) only where two servers offer the same
//   prefix never        the bare name or URI; of two servers offering the same, the first (by id) keeps it
//
// Then a name is made acceptable to the model providers: at most 64 characters of [A-Za-z0-9_-]. A
// name that is not is shortened deterministically: its allowed characters (others become '_') cut to
// 55, '_', and 8 hex digits of a hash of the whole name (McpNames::shortened).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::host {

enum class PrefixMode { Always, Conditional, Never };
// "always", "conditional", "never"; nullopt for anything else.
std::optional<PrefixMode> prefixModeFromName(std::string_view name);

struct NamedItem {
    std::string server;   // the upstream server's id
    std::string original; // its name (tools, prompts) or URI / URI template (resources)
};

class McpNames {
public:
    static constexpr std::size_t kMaxName = 64;
    static constexpr const char* kSeparator = "__";
    static constexpr const char* kUriScheme = "mission-control://";

    // Names for `items` (any order; the servers' order decides "first" for prefix never: sorted by id).
    // exposed(i) is the name of items[i]; an item left out (never: taken by another server) has "".
    static McpNames forNames(const std::vector<NamedItem>& items, PrefixMode mode);
    // The same for URIs (resources) and URI templates: wrapped instead of prefixed, never shortened.
    static McpNames forUris(const std::vector<NamedItem>& items, PrefixMode mode);

    const std::string& exposed(std::size_t index) const { return exposed_[index]; }
    const NamedItem& item(std::size_t index) const { return items_[index]; }
    std::size_t size() const { return exposed_.size(); }
    // The item an exposed name stands for; nullopt when none.
    std::optional<NamedItem> resolve(std::string_view exposedName) const;

    // `name` when it is acceptable as it is, else its shortened form.
    static std::string shortened(const std::string& name);
    // mission-control://<server>/<uri>, and back (nullopt when `uri` is not one of ours).
    static std::string wrapUri(const std::string& server, const std::string& uri);
    static std::optional<NamedItem> unwrapUri(std::string_view uri);
    // Whether `uri` is an expansion of `uriTemplate` (RFC 6570): the literal text before the first
    // expression and after the last one match, and whatever the expressions produced lies between.
    // The length of the matched literal prefix + suffix (to prefer the most specific template), or -1.
    static long templateMatch(std::string_view uriTemplate, std::string_view uri);

private:
    std::vector<NamedItem> items_;
    std::vector<std::string> exposed_;
};

} // namespace mc::host
