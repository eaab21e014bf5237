#include "mc/records/BatchWrite.h"

#include "mc/records/JsonText.h"
#include "mc/sdk.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <stdexcept>

namespace mc::records {
namespace {

using mc::sdk::Error;

std::size_t fieldIndex(const KindSpec& spec, std::string_view jsonName) {
    for (std::size_t i = 0; i < spec.fields.size(); ++i)
        if (spec.fields[i].jsonName == jsonName) return i;
    throw std::logic_error("kind '" + spec.kind + "' has no field '" + std::string(jsonName) + "'");
}

bool isSet(const ColumnValue& v) { return !std::holds_alternative<std::monostate>(v); }

// One group of InsertOnce records of `spec`, inserted in order; duplicates resolved in one query.
void applyInsertOnce(const KindSpec& spec, const std::vector<const BatchEntry*>& members, WriteTarget& target,
                     WriteResult& result) {
    std::vector<const NormalizedRecord*> run;
    for (const BatchEntry* member : members) run.push_back(&member->record);
    const auto outcomes = target.insertOnce(spec, run);
    const auto outcomeOf = [&](std::size_t k) {
        return k < outcomes.size() ? outcomes[k] : InsertResult{InsertOutcome::NotInserted, {}};
    };
    std::vector<std::string> notInserted;
    for (std::size_t k = 0; k < run.size(); ++k)
        if (outcomeOf(k).outcome == InsertOutcome::NotInserted) notInserted.push_back(run[k]->id);
    const std::set<std::string> stored = notInserted.empty() ? std::set<std::string>() : target.existing(spec, notInserted);
    for (std::size_t k = 0; k < run.size(); ++k) {
        const BatchEntry& entry = *members[k];
        const NormalizedRecord& record = entry.record;
        const InsertResult outcome = outcomeOf(k);
        if (outcome.outcome == InsertOutcome::Inserted) {
            ++result.accepted;
        } else if (outcome.outcome == InsertOutcome::Failed) {
            result.rejected.push_back({entry.index, outcome.reason});
        } else if (outcome.outcome == InsertOutcome::MissingThread) {
            result.rejected.push_back({entry.index, missingThreadReason(record.text(spec, "thread_id").value_or(""))});
        } else if (stored.count(record.id)) {
            ++result.accepted;
            ++result.duplicates;
        } else {
            const std::string thread = record.text(spec, "thread_id").value_or("");
            const auto* sequence = std::get_if<std::int64_t>(&record.value(spec, "sequence"));
            const auto owner = spec.sequenced && sequence ? target.sequenceOwner(spec, thread, *sequence) : std::nullopt;
            result.rejected.push_back({entry.index, owner ? sequenceConflictReason(spec.kind, thread, *sequence, *owner)
                                                          : "id '" + record.id + "' conflicts with a stored " + spec.kind});
        }
    }
}

} // namespace

ParsedBatch parseBatch(std::string_view kind, std::string_view recordsJson, const std::function<std::string()>& now) {
    const bool mixed = kind == kEventsKind;
    const KindSpec* single = mixed ? nullptr : findKind(kind);
    if (!mixed && !single)
        throw Error(MC_ERR_INVALID_ARGUMENT, "unknown record kind '" + std::string(kind) + "' (known: " + knownKinds() +
                                                 ", " + std::string(kEventsKind) + ")");
    Poco::JSON::Array::Ptr records;
    try {
        auto parsed = Poco::JSON::Parser().parse(std::string(recordsJson));
        if (parsed.type() != typeid(Poco::JSON::Array::Ptr))
            throw Error(MC_ERR_INVALID_ARGUMENT, "records must be a JSON array");
        records = parsed.extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception& e) {
        throw Error(MC_ERR_INVALID_ARGUMENT, "records are not valid JSON: " + e.displayText());
    }
    ParsedBatch batch;
    for (std::size_t i = 0; i < records->size(); ++i) {
        auto object = records->getObject(static_cast<unsigned>(i));
        if (!object) {
            batch.rejected.push_back({i, "record is not a JSON object"});
            continue;
        }
        const KindSpec* spec = single;
        if (mixed) {
            const auto type = object->has("type") ? object->get("type") : Poco::Dynamic::Var();
            const std::string name = type.isString() ? type.extract<std::string>() : std::string();
            spec = findKind(name);
            if (!spec) {
                batch.rejected.push_back({i, "unknown event type '" + name + "' (known: " + knownKinds() + ")"});
                continue;
            }
        }
        try {
            batch.entries.push_back({i, spec, normalize(*spec, *object, [spec] { return generateId(*spec); }, now)});
        } catch (const std::invalid_argument& e) {
            batch.rejected.push_back({i, e.what()});
        }
    }
    return batch;
}

ThreadMerge mergeThread(const KindSpec& spec, const std::optional<NormalizedRecord>& stored,
                        const NormalizedRecord& incoming, const std::function<std::string()>& now) {
    const std::size_t status = fieldIndex(spec, "status");
    const std::size_t endedAt = fieldIndex(spec, "ended_at");
    const std::size_t startedAt = fieldIndex(spec, "started_at");
    ThreadMerge out;
    NormalizedRecord row;
    if (!stored) {
        row = incoming;
    } else {
        const auto from = std::get_if<std::string>(&stored->values[status]);
        const auto to = std::get_if<std::string>(&incoming.values[status]);
        if (from && to)
            if (auto error = transitionError(incoming.id, *from, *to)) {
                out.rejectReason = *error;
                return out;
            }
        row = *stored;
        for (std::size_t i = 0; i < spec.fields.size(); ++i) {
            if (!incoming.present[i]) continue;
            // A thread started when its earliest report says: started_at never moves later (sources
            // that report a session piecemeal, such as an OTLP exporter, each send what they saw).
            // Normalized timestamps compare as text in time order.
            if (i == startedAt && isSet(row.values[i]) && isSet(incoming.values[i]) &&
                std::get<std::string>(incoming.values[i]) > std::get<std::string>(row.values[i]))
                continue;
            row.values[i] = incoming.values[i];
        }
    }
    const auto resulting = std::get_if<std::string>(&row.values[status]);
    if (resulting && isTerminalStatus(*resulting) && !isSet(row.values[endedAt])) row.values[endedAt] = now();
    out.unchanged = stored && row.values == stored->values;
    out.row = std::move(row);
    return out;
}

WriteResult applyBatch(ParsedBatch batch, WriteTarget& target, const std::function<std::string()>& now) {
    WriteResult result;
    result.rejected = std::move(batch.rejected);
    auto& entries = batch.entries;
    for (std::size_t i = 0; i < entries.size();) {
        const KindSpec& spec = *entries[i].spec;
        if (spec.mode == WriteMode::Lifecycle) {
            const BatchEntry& entry = entries[i++];
            const auto stored = target.findThread(entry.record.id);
            ThreadMerge merge = mergeThread(spec, stored, entry.record, now);
            if (!merge.row) {
                result.rejected.push_back({entry.index, merge.rejectReason});
                continue;
            }
            const auto parent = merge.row->text(spec, "parent_id");
            const auto storedParent = stored ? stored->text(spec, "parent_id") : std::nullopt;
            if (parent && parent != storedParent && *parent != entry.record.id && !target.findThread(*parent)) {
                result.rejected.push_back({entry.index, missingParentReason(*parent)});
                continue;
            }
            if (!merge.unchanged)
                if (auto failure = stored ? target.updateThread(*merge.row) : target.insertThread(*merge.row)) {
                    result.rejected.push_back({entry.index, *failure});
                    continue;
                }
            ++result.accepted;
            if (merge.unchanged) ++result.duplicates;
            continue;
        }
        // The records up to the next thread event, grouped by kind (keeping their order within the kind):
        // they depend only on threads, which do not change in between, so one call per kind gives the
        // same outcomes as record by record, and a store can write each group in multi-row statements.
        std::size_t end = i;
        while (end < entries.size() && entries[end].spec->mode != WriteMode::Lifecycle) ++end;
        std::vector<const KindSpec*> kinds;
        for (std::size_t k = i; k < end; ++k)
            if (std::find(kinds.begin(), kinds.end(), entries[k].spec) == kinds.end()) kinds.push_back(entries[k].spec);
        for (const KindSpec* group : kinds) {
            std::vector<const BatchEntry*> members;
            for (std::size_t k = i; k < end; ++k)
                if (entries[k].spec == group) members.push_back(&entries[k]);
            applyInsertOnce(*group, members, target, result);
        }
        i = end;
    }
    std::sort(result.rejected.begin(), result.rejected.end());
    return result;
}

std::string toJson(const WriteResult& result) {
    std::string out = "{\"accepted\":" + std::to_string(result.accepted) +
                      ",\"duplicates\":" + std::to_string(result.duplicates) + ",\"rejected\":[";
    for (std::size_t i = 0; i < result.rejected.size(); ++i) {
        if (i) out += ',';
        out += "{\"index\":" + std::to_string(result.rejected[i].index) + ",\"reason\":";
        appendJsonString(out, result.rejected[i].reason);
        out += '}';
    }
    return out + "]}";
}

} // namespace mc::records
