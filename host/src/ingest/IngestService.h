#pragma once
// Where every persisted event enters the host: batches from POST /api/ingest and the WebSocket
// `publish` message, plugin emits and host events of a persisted kind (through the EventRouter's
// persistence hook), and the gateway's tool-call steps.
//
// For each event: the envelope `type` must name a kind of mc/records; normalize() validates it and
// fills defaults (a generated id when the event has none); lifecycle and existence are checked
// against the ThreadStateCache (so a step right after its thread in the same batch is fine). Accepted
// events are broadcast at once with their canonical JSON and queued to the StoreWriter; a submitter's
// reply is built after the commit, with the store's own rejects merged in.
//
// Threads the cache does not know are looked up in the store in one batch per request, never under
// the service's lock (which every ingest path takes). Callers that must not wait for the store (an
// event loop, a plugin's thread, the gateway) hand such work to one ordered lane: their events keep
// their order, and the caller returns at once.
#include "core/EventRouter.h"
#include "ingest/StoreWriter.h"
#include "ingest/ThreadStateCache.h"

#include <Poco/JSON/Object.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::host {

// One event of a request as read: its object, or why it could not be read (a bad NDJSON line); or,
// from a plugin that submits typed records (a receiver), the record already validated and normalized
// by the catalog (mc::records::normalizeRecord), which travels on as it is: no object is made of it.
struct RawEvent {
    Poco::JSON::Object::Ptr object;
    std::string error;
    std::optional<mc::records::TypedRecord> typed;
};

struct IngestReply {
    std::size_t accepted = 0;
    std::vector<std::pair<std::size_t, std::string>> rejected; // (index in the request, reason), by index
    std::vector<std::string> ids;                               // of the accepted events, in request order
    std::string json() const; // {"accepted":N,"rejected":[{"index","reason"}],"ids":[...]}
};

// A completed gateway tool call, to be recorded as a step of its thread.
struct ToolCallRecord {
    std::string method = "tools/call"; // or resources/read, prompts/get (what /mcp passed on)
    std::string threadId;
    std::string mcpId;
    std::string tool; // tools/call: the tool; otherwise what was asked for (a URI, a prompt), details.target
    std::string status;       // ok, error, timeout, denied
    std::string outcome;      // the gateway's outcome name (ok, tool_error, timeout, permission_denied, ...)
    std::string errorCode;    // empty on success
    std::string startedAt;    // RFC 3339
    long long durationMs = 0;
    std::size_t argumentsBytes = 0;
    std::string callId; // the agent's own id of the call (details.tool_use_id), joins it with the agent's telemetry
    // The agent's span the call was made from (its traceparent's parent id), when it sent no id of the
    // call: joins the agent's step of that span.
    std::string callerSpanId;
    std::string agent;  // the mcp_id of the thread when this call opens it (empty: mcpId); /mcp: the client's name

    // The step's status for a gateway outcome: ok, timeout, denied (permission_denied), else error.
    static std::string statusOf(const std::string& outcome);
};

class IngestService {
public:
    IngestService(EventRouter& events, StoreWriter& writer, std::size_t threadCacheCapacity,
                  ThreadStateCache::Loader loader);

    enum class Submitted { Queued, QueueFull, Stopped };
    // Who submits: the API and WebSocket clients may not write the host's own kinds (audit,
    // permission, mcp_status); a receiver plugin reports an agent's permission decisions and MCP
    // server states as it observed them, but never the audit trail.
    enum class Trust { Outside, Receiver };

    // A request's events (each object carries its kind in "type"). Queued: `done` runs once every
    // accepted event is committed (immediately when none was accepted), from the writer's thread.
    // QueueFull/Stopped: nothing was accepted, broadcast or queued, and `done` is not called.
    // Looks unknown threads up in the store first: call it where waiting for the store is fine.
    Submitted submit(const std::vector<RawEvent>& events, std::string_view source,
                     std::function<void(IngestReply)> done);
    // The same without ever waiting for the store (for event loops): when a lookup is needed it runs
    // on the ordered lane. `refused` hears QueueFull/Stopped instead of `done`.
    void submitWithoutWaiting(std::vector<RawEvent> events, std::string source, std::function<void(IngestReply)> done,
                              std::function<void(Submitted)> refused, Trust trust = Trust::Outside);

    // Fire and forget (plugin emits, host and gateway events, normalized where they arose): checked
    // against the store's state and broadcast like the rest; when the queue is full the record is still
    // broadcast but not persisted (counted, logged). MC_ERR_INVALID_ARGUMENT with the reason when the
    // check could run at once and refused it (nothing is published).
    mc_status emit(std::string_view source, mc::records::TypedRecord record, std::string* error);

    // A routed tool call's thread: created (running, on `mcpId`) when the store does not know it, so
    // the call's permission event and step can refer to it. Fire and forget.
    // `executionContextJson`: a JSON object for the thread's execution_context ("" for none).
    void openThread(const std::string& threadId, const std::string& mcpId, const std::string& startedAt,
                    const std::string& executionContextJson = "");
    // The thread is known to be stored, or on its way there: opening it would do nothing (a caller
    // need not build what it would be opened with).
    bool knowsThread(const std::string& threadId);
    // The step of a completed tool call at the next sequence of its thread (opened first when still
    // unknown). Fire and forget.
    void recordToolCall(const ToolCallRecord& call);

    // Hears every accepted record as it is broadcast (before its commit), on the submitting thread and
    // under the service's lock: it must return at once (an exporter copies what it wants and returns).
    // `received`: a receiver plugin submitted it (Trust::Receiver). Set before the first submit.
    using RecordObserver = std::function<void(std::string_view source, bool received, const mc::records::KindSpec& spec,
                                              const mc::records::NormalizedRecord& record)>;
    void setRecordObserver(RecordObserver observer) { recordObserver_ = std::move(observer); }
    // Each valid step a receiver plugin submits, before it is broadcast and stored, under the service's
    // lock (it must return at once): it may add to the step (mcpserver/CallJoiner.h joins an agent's call
    // through /mcp to it). Set before the first submit.
    using ReceivedStepHook = std::function<void(const mc::records::KindSpec& spec, mc::records::NormalizedRecord& step)>;
    void setReceivedStepHook(ReceivedStepHook hook) { receivedStepHook_ = std::move(hook); }

    struct Stats {
        std::uint64_t accepted = 0;     // passed validation and were queued
        std::uint64_t rejected = 0;     // refused by validation
        std::uint64_t notPersisted = 0; // fire-and-forget events that found the queue full
        std::uint64_t storeRejected = 0; // refused by the store after being broadcast
    };
    Stats stats() const;
    std::uint64_t storeLookups() const { return storeLookups_; }

    // Runs what the lane holds, then stops it (later work runs on the caller's thread). Before the writer stops.
    void stop();
    ~IngestService();

private:
    // One thread running jobs in the order they were handed over; drained by stop().
    class Lane {
    public:
        void post(std::function<void()> job);
        void stop();
        ~Lane() { stop(); }

    private:
        void run();
        std::mutex mutex_;
        std::condition_variable changed_;
        std::deque<std::function<void()>> jobs_;
        std::thread thread_;
        bool stopping_ = false;
    };

    struct Item {
        std::string type;
        Poco::JSON::Object::Ptr object;
        std::string error;
        std::optional<mc::records::TypedRecord> typed; // instead of `object`
        bool received = false;                          // from a receiver plugin (Trust::Receiver)
    };
    struct Prepared;
    class Overlay;
    // What a lookup found for one request: held for it whatever the cache (bounded) keeps.
    struct LookedUp {
        std::unordered_map<std::string, ThreadState> found;
        std::unordered_set<std::string> absent;
    };

    // Validates `items`, queues the accepted ones and broadcasts them. `mustFit` (requests): refuse the
    // whole submission when the queue is full, and call `done` at once when nothing was accepted.
    // Otherwise (fire and forget): broadcast anyway when full (counted as not persisted); `done` only
    // hears of the store's rejects, `rejectReasons` (per item, "" when valid) of validation's.
    Submitted process(std::vector<Item> items, std::string_view source, bool mustFit,
                      std::function<void(IngestReply)> done, std::vector<std::string>* rejectReasons = nullptr,
                      const LookedUp* lookedUp = nullptr);
    void noteNotPersisted(std::size_t count, std::string_view source);
    static Item threadItem(const std::string& threadId, const std::string& mcpId, const std::string& startedAt,
                           const std::string& executionContextJson = "");
    static Item ownItem(const mc::records::RecordBuilder& record); // the host's own: typed, or its reason
    void writeToolCall(const ToolCallRecord& call, const LookedUp& lookedUp);
    // The thread ids an event refers to (its own for a thread, its parent, its thread_id).
    static void collectThreadIds(const std::string& type, const Poco::JSON::Object& event, std::vector<std::string>& out);
    static void collectThreadIds(const mc::records::TypedRecord& record, std::vector<std::string>& out);
    // Loads the threads of `ids` the cache does not know, in batches, outside the lock.
    LookedUp prefetch(const std::vector<std::string>& ids);
    // `work` now on this thread when nothing needs loading and nothing is queued before it, else on
    // the lane after loading `ids`. Returns true when it ran now.
    using OrderedWork = std::function<void(const LookedUp& lookedUp)>;
    bool runOrdered(std::vector<std::string> ids, OrderedWork work);
    // Under the lock: the thread's state from this request's lookup, else the cache.
    ThreadStateCache::Lookup findThread(const LookedUp* lookedUp, const std::string& id, ThreadState& out);
    // Takes each event's typed record (`events` keep their objects).
    static std::vector<Item> readItems(std::vector<RawEvent>& events, Trust trust = Trust::Outside);

    EventRouter& events_;
    RecordObserver recordObserver_;
    ReceivedStepHook receivedStepHook_;
    StoreWriter& writer_;
    mutable std::mutex mutex_; // serializes validation, queueing and broadcast: one order for all three
    ThreadStateCache cache_;
    ThreadStateCache::Loader loader_;
    std::size_t lanePending_ = 0; // jobs handed to the lane and not finished (guarded by mutex_)
    bool laneStopped_ = false;    // guarded by mutex_
    Lane lane_;
    std::atomic<std::uint64_t> storeLookups_{0};
    std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, notPersisted_{0}, storeRejected_{0};
    std::atomic<long long> lastDropLogUs_{0};
};

} // namespace mc::host
