#pragma once
// What the ingest path knows about threads, so lifecycle and existence checks (and the gateway's step
// sequences) need no database round trip per event: thread_id -> status, parent, highest step and
// transcript sequence. Bounded (least recently used entries are evicted); a miss loads the thread
// from the store (query `threads.state`). Not thread-safe: the IngestService serializes access.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mc::host {

struct ThreadState {
    std::string status;
    std::string parentId;
    std::string mcpId;
    std::int64_t maxStepSequence = 0;       // 0: none yet
    std::int64_t maxTranscriptSequence = 0;
};

class ThreadStateCache {
public:
    // Loads the stored state of `ids`: an entry per thread that exists. nullopt when the store cannot
    // answer (down, or no store): the caller then cannot tell and lets the store decide.
    using Loader = std::function<std::optional<std::map<std::string, ThreadState>>(const std::vector<std::string>& ids)>;

    enum class Lookup { Found, Absent, Unknown };

    ThreadStateCache(std::size_t capacity, Loader loader);

    // The thread's state from the cache, else from the store. Unknown when the store cannot answer.
    Lookup find(const std::string& id, ThreadState& out);
    // Records what an accepted event changed.
    void put(const std::string& id, const ThreadState& state);

    std::size_t size() const { return entries_.size(); }
    std::size_t capacity() const { return capacity_; }
    std::uint64_t loads() const { return loads_; }

    // Parses a `threads.state` result: {"items":[{"id","status","parent_id","max_step_sequence",
    // "max_transcript_sequence"}]}. Throws std::invalid_argument on another shape.
    static std::map<std::string, ThreadState> parseStateResult(const std::string& json);

private:
    using Order = std::list<std::string>; // most recently used first
    struct Entry {
        ThreadState state;
        Order::iterator position;
    };
    std::size_t capacity_;
    Loader loader_;
    Order order_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t loads_ = 0;
};

} // namespace mc::host
