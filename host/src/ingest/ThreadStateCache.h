#pragma once
// What the ingest path knows about threads, so lifecycle and existence checks (and the gateway's step
// sequences) need no database round trip per event: thread_id -> status, parent, highest step and
// transcript sequence, and which ids the store did not know (for a while: another writer may create
// them). Bounded (least recently used entries are evicted). Never touches the store itself: the
// IngestService loads what is missing, in one batch per request and outside its lock, with
// missing() and remember(). Not thread-safe: the IngestService serializes access.
#include <chrono>
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
    using Clock = std::chrono::steady_clock;

    enum class Lookup { Found, Absent, Unknown };

    // `absentFor`: how long "the store does not know this id" is believed.
    explicit ThreadStateCache(std::size_t capacity, std::chrono::milliseconds absentFor = std::chrono::seconds(30));

    // From the cache only: Found, Absent (the store said so recently), or Unknown (never asked).
    Lookup find(const std::string& id, ThreadState& out, Clock::time_point now = Clock::now());
    // Records what an accepted event changed.
    void put(const std::string& id, const ThreadState& state);

    // The distinct ids of `ids` the cache knows nothing (current) about: what a lookup should load.
    std::vector<std::string> missing(const std::vector<std::string>& ids, Clock::time_point now = Clock::now()) const;
    // A lookup's answer for `asked`: the found ones are cached, the others remembered as absent. An id
    // the cache learned about meanwhile (an accepted event) keeps what it knows.
    void remember(const std::vector<std::string>& asked, const std::map<std::string, ThreadState>& found,
                  Clock::time_point now = Clock::now());

    std::size_t size() const { return entries_.size(); }
    std::size_t capacity() const { return capacity_; }

    // Parses a `threads.state` result: {"items":[{"id","status","parent_id","max_step_sequence",
    // "max_transcript_sequence"}]}. Throws std::invalid_argument on another shape.
    static std::map<std::string, ThreadState> parseStateResult(const std::string& json);

private:
    using Order = std::list<std::string>; // most recently used first
    struct Entry {
        ThreadState state;
        Order::iterator position;
        std::optional<Clock::time_point> absentUntil; // set: the store did not know the id
    };
    void insert(const std::string& id, Entry entry);
    bool current(const Entry& entry, Clock::time_point now) const { return !entry.absentUntil || now < *entry.absentUntil; }

    std::size_t capacity_;
    std::chrono::milliseconds absentFor_;
    Order order_;
    std::unordered_map<std::string, Entry> entries_;
};

} // namespace mc::host
