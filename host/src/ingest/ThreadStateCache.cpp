#include "ingest/ThreadStateCache.h"

#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <stdexcept>
#include <string_view>
#include <unordered_set>

namespace mc::host {

ThreadStateCache::ThreadStateCache(std::size_t capacity, std::chrono::milliseconds absentFor)
    : capacity_(capacity == 0 ? 1 : capacity), absentFor_(absentFor) {}

ThreadStateCache::Lookup ThreadStateCache::find(const std::string& id, ThreadState& out, Clock::time_point now) {
    auto it = entries_.find(id);
    if (it == entries_.end() || !current(it->second, now)) return Lookup::Unknown;
    order_.splice(order_.begin(), order_, it->second.position);
    if (it->second.absentUntil) return Lookup::Absent;
    out = it->second.state;
    return Lookup::Found;
}

void ThreadStateCache::put(const std::string& id, const ThreadState& state) {
    if (auto it = entries_.find(id); it != entries_.end()) {
        it->second.state = state;
        it->second.absentUntil.reset();
        order_.splice(order_.begin(), order_, it->second.position);
        return;
    }
    insert(id, Entry{state, {}, std::nullopt});
}

std::vector<std::string> ThreadStateCache::missing(const std::vector<std::string>& ids, Clock::time_point now) const {
    std::vector<std::string> out;
    std::unordered_set<std::string_view> seen; // linear: a request may name thousands of threads
    for (const auto& id : ids) {
        if (id.empty() || !seen.insert(id).second) continue;
        auto it = entries_.find(id);
        if (it == entries_.end() || !current(it->second, now)) out.push_back(id);
    }
    return out;
}

void ThreadStateCache::remember(const std::vector<std::string>& asked, const std::map<std::string, ThreadState>& found,
                                Clock::time_point now) {
    for (const auto& id : asked) {
        auto it = entries_.find(id);
        if (it != entries_.end() && current(it->second, now)) continue; // learned meanwhile: newer
        auto stored = found.find(id);
        Entry entry{stored != found.end() ? stored->second : ThreadState{}, {}, std::nullopt};
        if (stored == found.end()) entry.absentUntil = now + absentFor_;
        if (it != entries_.end()) {
            it->second.state = entry.state;
            it->second.absentUntil = entry.absentUntil;
            order_.splice(order_.begin(), order_, it->second.position);
        } else {
            insert(id, std::move(entry));
        }
    }
}

void ThreadStateCache::insert(const std::string& id, Entry entry) {
    order_.push_front(id);
    entry.position = order_.begin();
    entries_.emplace(id, std::move(entry));
    while (entries_.size() > capacity_) {
        entries_.erase(order_.back());
        order_.pop_back();
    }
}

std::map<std::string, ThreadState> ThreadStateCache::parseStateResult(const std::string& json) {
    std::map<std::string, ThreadState> out;
    try {
        auto parsed = json::parse(json);
        auto object = parsed.extract<Poco::JSON::Object::Ptr>();
        auto items = object ? object->getArray("items") : nullptr;
        if (!items) throw std::invalid_argument("threads.state result has no \"items\" array");
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto item = items->getObject(static_cast<unsigned>(i));
            if (!item) throw std::invalid_argument("threads.state item is not an object");
            ThreadState state;
            state.status = item->optValue<std::string>("status", "");
            if (item->has("parent_id") && item->get("parent_id").isString())
                state.parentId = item->getValue<std::string>("parent_id");
            if (item->has("mcp_id") && item->get("mcp_id").isString()) state.mcpId = item->getValue<std::string>("mcp_id");
            if (item->has("max_step_sequence") && item->get("max_step_sequence").isNumeric())
                state.maxStepSequence = item->getValue<std::int64_t>("max_step_sequence");
            if (item->has("max_transcript_sequence") && item->get("max_transcript_sequence").isNumeric())
                state.maxTranscriptSequence = item->getValue<std::int64_t>("max_transcript_sequence");
            out[item->getValue<std::string>("id")] = state;
        }
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("threads.state result is not valid: " + e.displayText());
    }
    return out;
}

} // namespace mc::host
