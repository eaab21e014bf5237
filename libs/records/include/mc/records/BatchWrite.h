#pragma once
// The store write contract, once for every store: parsing a write body (one kind, or the mixed
// "events" kind), the rules by KindSpec (InsertOnce, sequenced, Lifecycle) and the result JSON.
// A store implements WriteTarget on its open transaction: the few primitive reads and inserts the
// rules need. Both stores therefore accept, count and reject identically (StoreConformanceTest).
#include "mc/records/RecordSchema.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mc::records {

// The mixed kind: a JSON array of {"type": "<kind>", ...fields} applied in array order.
inline constexpr std::string_view kEventsKind = "events";

struct BatchEntry {
    std::size_t index; // position in the written array
    const KindSpec* spec;
    NormalizedRecord record;
};

struct BatchReject {
    std::size_t index;
    std::string reason;
    bool operator<(const BatchReject& other) const { return index < other.index; }
};

struct ParsedBatch {
    std::vector<BatchEntry> entries; // valid records, in array order
    std::vector<BatchReject> rejected;
};

// Throws mc::sdk::Error(MC_ERR_INVALID_ARGUMENT) when the body is not a JSON array or `kind` is neither
// a record kind nor "events"; a bad element is a per-record reject. `now` fills absent timestamps.
ParsedBatch parseBatch(std::string_view kind, std::string_view recordsJson, const std::function<std::string()>& now);

// What a store's insert of an InsertOnce record did.
enum class InsertOutcome {
    Inserted,
    NotInserted,  // a unique key was taken (the id, or a sequenced kind's (thread_id, sequence))
    MissingThread, // the thread_id foreign key failed
    Failed         // the database refused this record alone (e.g. a value out of its column's range)
};
struct InsertResult {
    InsertOutcome outcome = InsertOutcome::Inserted;
    std::string reason; // Failed: the database's words
};

// One store transaction as the rules see it. Infrastructure failures throw mc::sdk::Error.
class WriteTarget {
public:
    virtual ~WriteTarget() = default;
    // The stored thread (values parallel to its KindSpec's fields), or nullopt.
    virtual std::optional<NormalizedRecord> findThread(const std::string& id) = 0;
    // nullopt when written, else the database's reason for refusing this record alone.
    virtual std::optional<std::string> insertThread(const NormalizedRecord& thread) = 0;
    virtual std::optional<std::string> updateThread(const NormalizedRecord& thread) = 0;
    // The records of one InsertOnce kind between two thread events, in batch order; one outcome each.
    // A record never overwrites a stored one (an existing id or sequence -> NotInserted).
    virtual std::vector<InsertResult> insertOnce(const KindSpec& spec, const std::vector<const NormalizedRecord*>& run) = 0;
    // Which of `ids` are stored in spec's table (one call for a whole retried run).
    virtual std::set<std::string> existing(const KindSpec& spec, const std::vector<std::string>& ids) = 0;
    // The id holding (threadId, sequence) of a sequenced kind, if any.
    virtual std::optional<std::string> sequenceOwner(const KindSpec& spec, const std::string& threadId,
                                                     std::int64_t sequence) = 0;
};

struct WriteResult {
    std::size_t accepted = 0;   // includes duplicates
    std::size_t duplicates = 0; // accepted no-ops: an id already stored, a thread event changing nothing
    std::vector<BatchReject> rejected;
};

// Applies the batch's entries in order through `target` (inside the store's transaction) and merges
// in the batch's parse rejects. `now` stamps ended_at of threads ending without one.
WriteResult applyBatch(ParsedBatch batch, WriteTarget& target, const std::function<std::string()>& now);

// {"accepted":N,"duplicates":D,"rejected":[{"index":i,"reason":"..."}]}, rejected sorted by index.
std::string toJson(const WriteResult& result);

// The thread an incoming event makes of the stored one: present fields overwrite, absent keep; the
// status change checked by transitionError(); a terminal status without ended_at gets `now`.
// Returns the reject reason instead when the change is not allowed. `stored` is nullopt for a new thread.
struct ThreadMerge {
    std::optional<NormalizedRecord> row;
    std::string rejectReason;
    bool unchanged = false; // the stored row already says all of it
};
ThreadMerge mergeThread(const KindSpec& spec, const std::optional<NormalizedRecord>& stored,
                        const NormalizedRecord& incoming, const std::function<std::string()>& now);

} // namespace mc::records
