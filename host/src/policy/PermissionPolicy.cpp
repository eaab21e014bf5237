#include "policy/PermissionPolicy.h"

#include "config/HostConfig.h"
#include "policy/Role.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <set>

namespace mc::host {
namespace {

const std::string kPrefix = "permissions.rules";

ConfigError bad(const std::string& key, const std::string& value, const std::string& expected) {
    return ConfigError("invalid configuration: " + key + " = '" + value + "': expected " + expected);
}

} // namespace

PermissionPolicy::PermissionPolicy(bool defaultAllow, std::vector<PermissionRule> rules)
    : defaultAllow_(defaultAllow), rules_(std::move(rules)) {
    std::stable_sort(rules_.begin(), rules_.end(), [](const PermissionRule& a, const PermissionRule& b) {
        return a.order != b.order ? a.order < b.order : a.name < b.name;
    });
}

PermissionPolicy PermissionPolicy::fromConfig(const Poco::Util::AbstractConfiguration& config) {
    const std::string defaultValue = Poco::toLower(Poco::trim(config.getRawString("permissions.default", "allow")));
    if (defaultValue != "allow" && defaultValue != "deny") throw bad("permissions.default", defaultValue, "allow or deny");
    static const std::set<std::string> attributes = {"effect", "users", "roles", "mcps", "tools", "order"};
    std::vector<PermissionRule> rules;
    Poco::Util::AbstractConfiguration::Keys names;
    config.keys(kPrefix, names);
    for (const auto& name : names) {
        const std::string base = kPrefix + "." + name;
        Poco::Util::AbstractConfiguration::Keys keys;
        config.keys(base, keys);
        for (const auto& k : keys)
            if (!attributes.count(k))
                throw ConfigError("invalid configuration: unknown key " + base + "." + k +
                                  " (a rule has effect, users, roles, mcps, tools, order)");
        PermissionRule rule;
        rule.name = name;
        const std::string effect = Poco::toLower(Poco::trim(config.getRawString(base + ".effect", "")));
        if (effect != "allow" && effect != "deny") throw bad(base + ".effect", effect, "allow or deny (required)");
        rule.allow = effect == "allow";
        rule.users = globList(config.getRawString(base + ".users", ""));
        rule.roles = globList(Poco::toLower(config.getRawString(base + ".roles", "")));
        for (const auto& role : rule.roles)
            if (!parseRole(role)) throw bad(base + ".roles", role, "viewer, operator or admin");
        rule.mcps = globList(config.getRawString(base + ".mcps", ""));
        rule.tools = globList(config.getRawString(base + ".tools", ""));
        if (config.hasProperty(base + ".order")) {
            const std::string order = Poco::trim(config.getRawString(base + ".order"));
            Poco::Int64 parsed = 0;
            if (!Poco::NumberParser::tryParse64(order, parsed)) throw bad(base + ".order", order, "an integer");
            rule.order = parsed;
        }
        rules.push_back(std::move(rule));
    }
    return PermissionPolicy(defaultValue == "allow", std::move(rules));
}

PermissionDecision PermissionPolicy::decide(std::string_view user, std::string_view role, std::string_view mcpId,
                                            std::string_view tool) const {
    for (const auto& rule : rules_) {
        if (!anyGlobMatches(rule.users, user) || !anyGlobMatches(rule.roles, role) || !anyGlobMatches(rule.mcps, mcpId) ||
            !anyGlobMatches(rule.tools, tool))
            continue;
        return PermissionDecision{rule.allow, rule.name, "rule '" + rule.name + "' " + (rule.allow ? "allows" : "denies")};
    }
    return PermissionDecision{defaultAllow_, {},
                              std::string("no rule matched: permissions.default = ") + (defaultAllow_ ? "allow" : "deny")};
}

PermissionDecision PermissionPolicy::decideRead(std::string_view user, std::string_view role, std::string_view mcpId) const {
    for (const auto& rule : rules_) {
        if (!rule.tools.empty() || !anyGlobMatches(rule.users, user) || !anyGlobMatches(rule.roles, role) ||
            !anyGlobMatches(rule.mcps, mcpId))
            continue;
        return PermissionDecision{rule.allow, rule.name, "rule '" + rule.name + "' " + (rule.allow ? "allows" : "denies")};
    }
    return PermissionDecision{defaultAllow_, {},
                              std::string("no rule matched: permissions.default = ") + (defaultAllow_ ? "allow" : "deny")};
}

bool PermissionPolicy::anyGlobMatches(const std::vector<std::string>& patterns, std::string_view text) {
    return patterns.empty() ||
           std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return globMatch(p, text); });
}

std::vector<std::string> PermissionPolicy::globList(const std::string& text) {
    std::vector<std::string> out;
    Poco::StringTokenizer tokens(text, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& t : tokens) out.push_back(t);
    return out;
}

bool PermissionPolicy::globMatch(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

} // namespace mc::host
