// Tokens and cost per agent (receive/AgentUsage), the totals behind mc_agent_tokens_total and
// mc_agent_cost_usd_total: what adds up, what is ignored, and the bound on agents.
#include "receive/AgentUsage.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <limits>

using mc::host::AgentUsage;

class AgentUsageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AgentUsageTest);
    CPPUNIT_TEST(usagesOfTheCatalogAreKnown);
    CPPUNIT_TEST(amountsAddUpPerAgentAndKind);
    CPPUNIT_TEST(negativeAndNonFiniteAmountsAreIgnored);
    CPPUNIT_TEST(agentsPastTheBoundAddUpAsOther);
    CPPUNIT_TEST_SUITE_END();

public:
    void usagesOfTheCatalogAreKnown() {
        CPPUNIT_ASSERT(AgentUsage::kindOf("input_tokens") == AgentUsage::InputTokens);
        CPPUNIT_ASSERT(AgentUsage::kindOf("output_tokens") == AgentUsage::OutputTokens);
        CPPUNIT_ASSERT(AgentUsage::kindOf("cache_read_tokens") == AgentUsage::CacheReadTokens);
        CPPUNIT_ASSERT(AgentUsage::kindOf("cache_creation_tokens") == AgentUsage::CacheCreationTokens);
        CPPUNIT_ASSERT(AgentUsage::kindOf("cost_usd") == AgentUsage::CostUsd);
        CPPUNIT_ASSERT(!AgentUsage::kindOf("tokens"));
        CPPUNIT_ASSERT_EQUAL(std::string("cache_creation"), std::string(AgentUsage::tokenTypeOf(AgentUsage::CacheCreationTokens)));
    }

    void amountsAddUpPerAgentAndKind() {
        AgentUsage usage;
        usage.add("claude-code", AgentUsage::InputTokens, 100);
        usage.add("claude-code", AgentUsage::InputTokens, 20);
        usage.add("claude-code", AgentUsage::CostUsd, 0.25);
        usage.add("gemini-cli", AgentUsage::OutputTokens, 7);
        const auto totals = usage.snapshot();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), totals.size());
        CPPUNIT_ASSERT_EQUAL(120.0, totals.at("claude-code")[AgentUsage::InputTokens]);
        CPPUNIT_ASSERT_EQUAL(0.0, totals.at("claude-code")[AgentUsage::OutputTokens]);
        CPPUNIT_ASSERT_EQUAL(0.25, totals.at("claude-code")[AgentUsage::CostUsd]);
        CPPUNIT_ASSERT_EQUAL(7.0, totals.at("gemini-cli")[AgentUsage::OutputTokens]);
    }

    void negativeAndNonFiniteAmountsAreIgnored() {
        AgentUsage usage;
        usage.add("a", AgentUsage::InputTokens, 5);
        usage.add("a", AgentUsage::InputTokens, -3); // a counter never goes down
        usage.add("a", AgentUsage::InputTokens, std::numeric_limits<double>::infinity());
        usage.add("a", AgentUsage::InputTokens, std::nan(""));
        CPPUNIT_ASSERT_EQUAL(5.0, usage.snapshot().at("a")[AgentUsage::InputTokens]);
    }

    void agentsPastTheBoundAddUpAsOther() {
        AgentUsage usage;
        for (std::size_t i = 0; i < AgentUsage::kMaxAgents; ++i) usage.add("agent-" + std::to_string(i), AgentUsage::InputTokens, 1);
        usage.add("late-1", AgentUsage::InputTokens, 2);
        usage.add("late-2", AgentUsage::InputTokens, 3);
        usage.add("agent-0", AgentUsage::InputTokens, 1); // a known agent keeps its own series
        const auto totals = usage.snapshot();
        CPPUNIT_ASSERT_EQUAL(AgentUsage::kMaxAgents + 1, totals.size());
        CPPUNIT_ASSERT_EQUAL(5.0, totals.at("other")[AgentUsage::InputTokens]);
        CPPUNIT_ASSERT_EQUAL(2.0, totals.at("agent-0")[AgentUsage::InputTokens]);
        CPPUNIT_ASSERT(!totals.count("late-1"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AgentUsageTest);
