// A store's write body (libs/records BatchWrite.cpp): parseBatch(kind, records) as every store plugin
// runs it on what it is asked to write, then applyBatch's rules (InsertOnce, sequences, the thread
// lifecycle) against a store kept in memory. Byte 0 picks the kind ("events" or one record kind).
//
// Checked: no crash/UB/leak; a body that is not an array is refused with MC_ERR_INVALID_ARGUMENT and
// nothing else; each element is an entry or a reject, once; every entry's canonical JSON normalizes
// to itself; the write result counts every record once, rejects sorted by index, as valid JSON.
#include "FuzzSupport.h"
#include "RecordChecks.h"

#include "mc/sdk.hpp"

#include <map>
#include <set>

using namespace mc::records;

namespace {

// The WriteTarget contract on maps: unique ids per kind, unique (thread, sequence) per sequenced kind,
// thread_id must name a stored thread.
class MemoryStore : public WriteTarget {
public:
    std::optional<NormalizedRecord> findThread(const std::string& id) override {
        auto it = threads_.find(id);
        return it == threads_.end() ? std::nullopt : std::optional<NormalizedRecord>(it->second);
    }
    std::optional<std::string> insertThread(const NormalizedRecord& thread) override {
        MC_FUZZ_CHECK(!threads_.count(thread.id), "insertThread of a stored thread");
        threads_[thread.id] = thread;
        return std::nullopt;
    }
    std::optional<std::string> updateThread(const NormalizedRecord& thread) override {
        MC_FUZZ_CHECK(threads_.count(thread.id), "updateThread of an unknown thread");
        threads_[thread.id] = thread;
        return std::nullopt;
    }
    std::vector<InsertResult> insertOnce(const KindSpec& spec, const std::vector<const NormalizedRecord*>& run) override {
        std::vector<InsertResult> out;
        for (const NormalizedRecord* r : run) {
            auto& ids = ids_[spec.kind];
            const std::string thread = r->text(spec, "thread_id").value_or("");
            if (!thread.empty() && !threads_.count(thread)) {
                out.push_back({InsertOutcome::MissingThread, {}});
                continue;
            }
            std::string sequenceKey;
            if (spec.sequenced)
                if (auto* n = std::get_if<std::int64_t>(&r->value(spec, "sequence")))
                    sequenceKey = spec.kind + "|" + thread + "|" + std::to_string(*n);
            if (ids.count(r->id) || (!sequenceKey.empty() && sequences_.count(sequenceKey))) {
                out.push_back({InsertOutcome::NotInserted, {}});
                continue;
            }
            ids.insert(r->id);
            if (!sequenceKey.empty()) sequences_[sequenceKey] = r->id;
            out.push_back({InsertOutcome::Inserted, {}});
        }
        return out;
    }
    std::set<std::string> existing(const KindSpec& spec, const std::vector<std::string>& ids) override {
        std::set<std::string> out;
        for (const auto& id : ids)
            if (ids_[spec.kind].count(id)) out.insert(id);
        return out;
    }
    std::optional<std::string> sequenceOwner(const KindSpec& spec, const std::string& threadId, std::int64_t sequence) override {
        auto it = sequences_.find(spec.kind + "|" + threadId + "|" + std::to_string(sequence));
        return it == sequences_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }

private:
    std::map<std::string, NormalizedRecord> threads_;
    std::map<std::string, std::set<std::string>> ids_;
    std::map<std::string, std::string> sequences_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto& kinds = allKinds();
    const std::size_t choice = data[0] % (kinds.size() + 2);
    const std::string kind = choice < kinds.size() ? kinds[choice].kind
                             : choice == kinds.size() ? std::string(kEventsKind)
                                                      : std::string("no-such-kind");
    const std::string_view records(reinterpret_cast<const char*>(data + 1), size - 1);
    ParsedBatch batch;
    try {
        batch = parseBatch(kind, records, mc::fuzz::fixedNow);
    } catch (const mc::sdk::Error& e) {
        MC_FUZZ_CHECK(e.status() == MC_ERR_INVALID_ARGUMENT, std::string("status of ") + e.what());
        return 0;
    }
    MC_FUZZ_CHECK(kind != "no-such-kind", "an unknown kind was accepted");
    std::set<std::size_t> seen;
    for (const auto& entry : batch.entries) MC_FUZZ_CHECK(seen.insert(entry.index).second, "an index twice");
    for (const auto& reject : batch.rejected) {
        MC_FUZZ_CHECK(seen.insert(reject.index).second, "an index twice");
        MC_FUZZ_CHECK(!reject.reason.empty(), "a reject without a reason");
    }
    MC_FUZZ_CHECK(seen.empty() || *seen.rbegin() + 1 == seen.size(), "an element is neither entry nor reject");
    for (const auto& entry : batch.entries) mc::fuzz::checkCanonical(*entry.spec, entry.record);

    const std::size_t total = seen.size();
    MemoryStore store;
    // Twice: the second time every record is already there (a retried batch) and must still count once.
    for (int round = 0; round < 2; ++round) {
        const WriteResult result = applyBatch(batch, store, mc::fuzz::fixedNow);
        MC_FUZZ_CHECK(result.accepted + result.rejected.size() == total,
                      "accepted " + std::to_string(result.accepted) + " + rejected " +
                          std::to_string(result.rejected.size()) + " != " + std::to_string(total));
        MC_FUZZ_CHECK(result.duplicates <= result.accepted, "more duplicates than accepted");
        for (std::size_t i = 1; i < result.rejected.size(); ++i)
            MC_FUZZ_CHECK(result.rejected[i - 1].index < result.rejected[i].index, "rejects not sorted by index, or twice");
        const std::string json = toJson(result);
        try {
            Poco::JSON::Parser().parse(json);
        } catch (const Poco::Exception& e) {
            MC_FUZZ_CHECK(false, "result JSON does not parse (" + e.displayText() + "): " + mc::fuzz::shown(json));
        }
    }
    return 0;
}
