#include "receive/AgentUsage.h"

#include <cmath>

namespace mc::host {

std::optional<AgentUsage::Kind> AgentUsage::kindOf(std::string_view usage) {
    if (usage == "input_tokens") return InputTokens;
    if (usage == "output_tokens") return OutputTokens;
    if (usage == "cache_read_tokens") return CacheReadTokens;
    if (usage == "cache_creation_tokens") return CacheCreationTokens;
    if (usage == "cost_usd") return CostUsd;
    return std::nullopt;
}

const char* AgentUsage::tokenTypeOf(Kind kind) {
    switch (kind) {
    case InputTokens: return "input";
    case OutputTokens: return "output";
    case CacheReadTokens: return "cache_read";
    case CacheCreationTokens: return "cache_creation";
    default: return "";
    }
}

void AgentUsage::add(const std::string& agent, Kind kind, double amount) {
    if (!std::isfinite(amount) || amount < 0) return; // a counter only grows
    std::lock_guard lock(mutex_);
    auto it = totals_.find(agent);
    if (it == totals_.end()) {
        const std::size_t named = totals_.size() - totals_.count("other");
        it = totals_.emplace(named < kMaxAgents ? agent : std::string("other"), Totals{}).first;
    }
    it->second[kind] += amount;
}

std::map<std::string, AgentUsage::Totals> AgentUsage::snapshot() const {
    std::lock_guard lock(mutex_);
    return totals_;
}

} // namespace mc::host
