#pragma once
// One agent, one thread: a call an agent makes through /mcp joins the same call in the agent's own
// telemetry. Claude Code (and agents that follow the GenAI conventions) send their id of a tool call
// with it (_meta "claudecode/toolUseId", "gen_ai.tool.call.id") and report that call afterwards in
// OTLP (a tool_result event, an execute_tool span) on the thread of their session. The agent's step is
// where the call belongs; what the gateway saw of it (the upstream server and tool, outcome, time, the
// policy's verdict) is added to that step under details.gateway, so a session seen both ways is one
// thread with one step per call, not two threads.
//
// The gateway's view of such a call is parked until the agent's step arrives, for at most `wait`
// (longer than agents' export intervals: Claude Code's default is 5 s). A call nobody reports in time
// is written as a step of the MCP session's own thread, as a call without an id always is; the face
// then stops parking that session's calls (the agent does not export telemetry). stop() writes what is
// parked into the session threads: a parked call is never dropped.
//
// Steps are written once (the store keeps the first write), so the join happens before the agent's
// step is broadcast and stored: IngestService calls joinReceived() for every step a receiver submits.
#include "ingest/IngestService.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace mc::records {
struct KindSpec;
struct NormalizedRecord;
} // namespace mc::records

namespace mc::host {

struct CallJoinStats {
    std::uint64_t joined = 0;   // added to the agent's own step
    std::uint64_t unjoined = 0; // written into the MCP session's thread after the wait (or at stop)
    std::size_t parked = 0;     // waiting now
};

class CallJoiner {
public:
    // `unjoined`: a call of this session thread was not reported by the agent in time (on the joiner's
    // thread, no lock held).
    CallJoiner(IngestService& ingest, std::chrono::milliseconds wait, std::function<void(const std::string& threadId)> unjoined);
    ~CallJoiner(); // stop()

    // A completed call with the agent's id of it (call.callId): parked until its agent's step arrives,
    // else written into call.threadId after the wait.
    void offer(ToolCallRecord call);
    // IngestService's hook for each step a receiver submits, under the service's lock: when the step is
    // the agent's record of a parked call (details.tool_use_id, or its attributes' tool_use_id,
    // gen_ai.tool.call.id or call_id), the call is added to it and no longer parked. Returns at once
    // when nothing is parked.
    void joinReceived(const mc::records::KindSpec& spec, mc::records::NormalizedRecord& step);
    // Writes every parked call into its session thread and stops the timer. Before the ingest service stops.
    void stop();

    CallJoinStats stats() const;
    std::chrono::milliseconds wait() const { return wait_; }

private:
    struct Parked {
        ToolCallRecord call;
        std::chrono::steady_clock::time_point deadline;
    };
    void run();
    void writeUnjoined(std::vector<ToolCallRecord> calls);

    IngestService& ingest_;
    const std::chrono::milliseconds wait_;
    std::function<void(const std::string&)> unjoined_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, Parked> parked_; // by call id
    std::atomic<std::size_t> parkedCount_{0};
    std::uint64_t joined_ = 0, unjoinedCount_ = 0;
    bool stopping_ = false;
    std::thread timer_;
};

} // namespace mc::host
