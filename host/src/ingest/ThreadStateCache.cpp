#include "ingest/ThreadStateCache.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

namespace mc::host {

ThreadStateCache::ThreadStateCache(std::size_t capacity, Loader loader)
    : capacity_(capacity == 0 ? 1 : capacity), loader_(std::move(loader)) {}

ThreadStateCache::Lookup ThreadStateCache::find(const std::string& id, ThreadState& out) {
    if (auto it = entries_.find(id); it != entries_.end()) {
        order_.splice(order_.begin(), order_, it->second.position);
        out = it->second.state;
        return Lookup::Found;
    }
    if (!loader_) return Lookup::Unknown;
    ++loads_;
    auto loaded = loader_({id});
    if (!loaded) return Lookup::Unknown;
    auto it = loaded->find(id);
    if (it == loaded->end()) return Lookup::Absent; // not remembered: the thread may be written next
    put(id, it->second);
    out = it->second;
    return Lookup::Found;
}

void ThreadStateCache::put(const std::string& id, const ThreadState& state) {
    if (auto it = entries_.find(id); it != entries_.end()) {
        it->second.state = state;
        order_.splice(order_.begin(), order_, it->second.position);
        return;
    }
    order_.push_front(id);
    entries_.emplace(id, Entry{state, order_.begin()});
    while (entries_.size() > capacity_) {
        entries_.erase(order_.back());
        order_.pop_back();
    }
}

std::map<std::string, ThreadState> ThreadStateCache::parseStateResult(const std::string& json) {
    std::map<std::string, ThreadState> out;
    try {
        auto parsed = Poco::JSON::Parser().parse(json);
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
