#pragma once
// Who may call which tool on which MCP: rules from host.properties, checked on every routed tool
// call (REST and WebSocket) before anything is sent to the MCP.
//
//   permissions.default = allow | deny                  (when no rule matches)
//   permissions.rules.<name>.effect = allow | deny       (required)
//   permissions.rules.<name>.users  = alice, bob         (JWT subjects; "anonymous" when auth is off)
//   permissions.rules.<name>.roles  = viewer, operator   (the caller's role)
//   permissions.rules.<name>.mcps   = files, git*        (MCP ids, glob: * and ?)
//   permissions.rules.<name>.tools  = read_*             (tool names, glob)
//   permissions.rules.<name>.order  = 10                 (evaluation order, default 100)
//
// A rule matches when every list it has matches (an absent list matches everything). Rules are
// tried by ascending order, then by name; the first match decides.
//
// What agents read through /mcp (resources, prompts, completions) is decided by decideRead(): the
// rules that name no tools (they are about users, roles and servers as a whole), then the default.
#include <Poco/Util/AbstractConfiguration.h>

#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

struct PermissionRule {
    std::string name;
    bool allow = false;
    std::vector<std::string> users, roles, mcps, tools;
    long long order = 100;
};

struct PermissionDecision {
    bool granted = true;
    std::string rule;   // the matching rule's name; empty: the default decided
    std::string reason; // "rule 'readers' allows" / "no rule matched: permissions.default = deny"
};

class PermissionPolicy {
public:
    PermissionPolicy() = default; // allow everything
    PermissionPolicy(bool defaultAllow, std::vector<PermissionRule> rules);

    // Reads permissions.*; throws ConfigError naming the key on a bad value or an unknown key.
    static PermissionPolicy fromConfig(const Poco::Util::AbstractConfiguration& config);

    PermissionDecision decide(std::string_view user, std::string_view role, std::string_view mcpId,
                              std::string_view tool) const;
    // A read of the server's (resources/read, prompts/get, completion/complete, resources/subscribe):
    // rules with a tools list do not apply.
    PermissionDecision decideRead(std::string_view user, std::string_view role, std::string_view mcpId) const;

    const std::vector<PermissionRule>& rules() const { return rules_; }
    bool defaultAllow() const { return defaultAllow_; }

    // '*' any run of characters, '?' one character; everything else literally.
    static bool globMatch(std::string_view pattern, std::string_view text);
    // Whether any of `patterns` matches; an empty list matches everything (a rule or profile naming none).
    static bool anyGlobMatches(const std::vector<std::string>& patterns, std::string_view text);
    // "a, b*,c" -> {"a", "b*", "c"} (trimmed, empty items dropped).
    static std::vector<std::string> globList(const std::string& text);

private:
    bool defaultAllow_ = true;
    std::vector<PermissionRule> rules_; // in evaluation order
};

} // namespace mc::host
