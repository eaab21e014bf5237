#pragma once
// Tokens and cost per agent as receivers bring them in (the metric points a receiver marks with a
// `usage`), added up for the host's Prometheus series (mc_agent_tokens_total, mc_agent_cost_usd_total).
// Bounded: past kMaxAgents distinct agents the rest are added up as agent "other".
#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

class AgentUsage {
public:
    static constexpr std::size_t kMaxAgents = 100;
    enum Kind { InputTokens, OutputTokens, CacheReadTokens, CacheCreationTokens, CostUsd, kKinds };
    using Totals = std::array<double, kKinds>;

    // The catalog's metric.usage values: input_tokens, output_tokens, cache_read_tokens,
    // cache_creation_tokens, cost_usd.
    static std::optional<Kind> kindOf(std::string_view usage);
    // The token type label of a token kind ("input", "output", "cache_read", "cache_creation").
    static const char* tokenTypeOf(Kind kind);

    void add(const std::string& agent, Kind kind, double amount);
    std::map<std::string, Totals> snapshot() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, Totals> totals_;
};

} // namespace mc::host
