#include "ingest/IngestService.h"

#include "log/Logging.h"
#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"
#include "util/Json.h"
#include "mc/thread_name.hpp"

#include <algorithm>
#include <chrono>

namespace mc::host {
namespace {

using mc::records::KindSpec;
using mc::records::NormalizedRecord;

long long nowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string nowTimestamp() { return mc::records::formatTimestamp(nowUs()); }

std::int64_t integerOf(const KindSpec& spec, const NormalizedRecord& record, std::string_view field) {
    if (auto* n = std::get_if<std::int64_t>(&record.value(spec, field))) return *n;
    return 0;
}

} // namespace

std::string IngestReply::json() const {
    std::string out = "{\"accepted\":" + std::to_string(accepted) + ",\"rejected\":[";
    for (std::size_t i = 0; i < rejected.size(); ++i) {
        if (i) out += ',';
        out += "{\"index\":" + std::to_string(rejected[i].first) + ",\"reason\":" + json::quote(rejected[i].second) + "}";
    }
    out += "],\"ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ',';
        out += json::quote(ids[i]);
    }
    out += "]}";
    return out;
}

struct IngestService::Prepared {
    std::size_t index = 0;
    const KindSpec* spec = nullptr;
    NormalizedRecord record;
    std::string canonical; // toJson(): what is broadcast
    ChannelKeys keys;
    bool received = false;
};

// The thread states a batch changes, visible to its later events, committed to the cache only when
// the batch is queued.
class IngestService::Overlay {
public:
    Overlay(IngestService& service, const LookedUp* lookedUp) : service_(service), lookedUp_(lookedUp) {}

    ThreadStateCache::Lookup find(const std::string& id, ThreadState& out) {
        if (auto it = changed_.find(id); it != changed_.end()) {
            out = it->second;
            return ThreadStateCache::Lookup::Found;
        }
        return service_.findThread(lookedUp_, id, out);
    }
    void put(const std::string& id, const ThreadState& state) { changed_[id] = state; }
    void commit() {
        for (const auto& [id, state] : changed_) service_.cache_.put(id, state);
    }

    // "" when the record may be written after what this batch and the cache know; else the reason.
    std::string check(const KindSpec& spec, const NormalizedRecord& record) {
        if (spec.kind == "thread") {
            const std::string status = record.text(spec, "status").value_or("");
            const auto parent = record.text(spec, "parent_id");
            ThreadState state;
            const auto found = find(record.id, state);
            if (found == ThreadStateCache::Lookup::Found) {
                if (auto error = mc::records::transitionError(record.id, state.status, status)) return *error;
            } else if (parent && !parent->empty()) {
                ThreadState parentState;
                if (find(*parent, parentState) == ThreadStateCache::Lookup::Absent)
                    return mc::records::missingParentReason(*parent);
            }
            state.status = status;
            if (parent) state.parentId = *parent;
            if (auto mcp = record.text(spec, "mcp_id")) state.mcpId = *mcp;
            put(record.id, state);
            return {};
        }
        // Every thread_id refers to a stored thread (a foreign key in both stores).
        const std::string threadId = record.text(spec, "thread_id").value_or("");
        if (threadId.empty()) return {};
        ThreadState state;
        const auto found = find(threadId, state);
        if (found == ThreadStateCache::Lookup::Absent) return mc::records::missingThreadReason(threadId);
        if (found == ThreadStateCache::Lookup::Unknown || !spec.sequenced) return {}; // the store checks it
        const std::int64_t sequence = integerOf(spec, record, "sequence");
        auto& max = spec.kind == "step" ? state.maxStepSequence : state.maxTranscriptSequence;
        max = std::max(max, sequence);
        put(threadId, state);
        return {};
    }

private:
    IngestService& service_;
    const LookedUp* lookedUp_;
    std::map<std::string, ThreadState> changed_;
};

constexpr std::size_t kLookupBatch = 500; // thread ids per store lookup

IngestService::IngestService(EventRouter& events, StoreWriter& writer, std::size_t threadCacheCapacity,
                             ThreadStateCache::Loader loader)
    : events_(events), writer_(writer), cache_(threadCacheCapacity), loader_(std::move(loader)) {}

IngestService::~IngestService() { stop(); }

void IngestService::stop() {
    lane_.stop(); // runs what was handed over: it reaches the writer before the writer stops
    std::lock_guard lock(mutex_);
    laneStopped_ = true;
}

void IngestService::Lane::post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] {
                mc::sdk::nameThisThread("mc-ingest-lane");
                run();
            });
        jobs_.push_back(std::move(job));
    }
    changed_.notify_one();
}

void IngestService::Lane::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_one();
    if (thread_.joinable()) thread_.join();
    // Anything posted after the thread ended runs here.
    std::deque<std::function<void()>> left;
    {
        std::lock_guard lock(mutex_);
        left.swap(jobs_);
    }
    for (auto& job : left) job();
}

void IngestService::Lane::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            logging::get("ingest")->error("an ordered ingest job failed: {}", e.what());
        }
    }
}

void IngestService::collectThreadIds(const std::string& type, const Poco::JSON::Object& event, std::vector<std::string>& out) {
    const auto add = [&](const char* field) {
        if (event.has(field) && event.get(field).isString()) out.push_back(event.getValue<std::string>(field));
    };
    if (type == "thread") {
        add("id");
        add("parent_id");
    } else {
        add("thread_id");
    }
}

void IngestService::collectThreadIds(const mc::records::TypedRecord& record, std::vector<std::string>& out) {
    const auto add = [&](const char* field) {
        if (auto id = record.record.text(*record.spec, field)) out.push_back(std::move(*id));
    };
    if (record.spec->kind == "thread") {
        out.push_back(record.record.id);
        add("parent_id");
    } else {
        add("thread_id");
    }
}

IngestService::LookedUp IngestService::prefetch(const std::vector<std::string>& ids) {
    LookedUp lookedUp;
    if (!loader_ || ids.empty()) return lookedUp;
    std::vector<std::string> missing;
    {
        std::lock_guard lock(mutex_);
        missing = cache_.missing(ids);
    }
    for (std::size_t i = 0; i < missing.size(); i += kLookupBatch) {
        const std::vector<std::string> chunk(missing.begin() + static_cast<std::ptrdiff_t>(i),
                                             missing.begin() + static_cast<std::ptrdiff_t>(std::min(missing.size(), i + kLookupBatch)));
        ++storeLookups_;
        auto found = loader_(chunk); // the store, outside the lock: every other ingest path goes on
        if (!found) return lookedUp; // the store cannot answer: these stay unknown, the store decides
        for (const auto& id : chunk) {
            auto it = found->find(id);
            if (it != found->end()) lookedUp.found.emplace(id, it->second);
            else lookedUp.absent.insert(id);
        }
        std::lock_guard lock(mutex_);
        cache_.remember(chunk, *found);
    }
    return lookedUp;
}

ThreadStateCache::Lookup IngestService::findThread(const LookedUp* lookedUp, const std::string& id, ThreadState& out) {
    const auto cached = cache_.find(id, out);
    if (cached != ThreadStateCache::Lookup::Unknown || !lookedUp) return cached; // the cache holds the newest
    if (auto it = lookedUp->found.find(id); it != lookedUp->found.end()) {
        out = it->second;
        return ThreadStateCache::Lookup::Found;
    }
    return lookedUp->absent.count(id) ? ThreadStateCache::Lookup::Absent : ThreadStateCache::Lookup::Unknown;
}

bool IngestService::runOrdered(std::vector<std::string> ids, OrderedWork work) {
    {
        std::lock_guard lock(mutex_);
        const bool needsLookup = loader_ && !cache_.missing(ids).empty();
        if (!laneStopped_ && (lanePending_ > 0 || needsLookup)) {
            ++lanePending_;
            lane_.post([this, ids = std::move(ids), work = std::move(work)] {
                const LookedUp lookedUp = prefetch(ids);
                work(lookedUp);
                std::lock_guard done(mutex_);
                --lanePending_;
            });
            return false;
        }
    }
    work(LookedUp{});
    return true;
}

std::vector<IngestService::Item> IngestService::readItems(std::vector<RawEvent>& events, Trust trust) {
    std::vector<Item> items;
    items.reserve(events.size());
    for (auto& e : events) {
        Item item;
        item.object = e.object;
        item.error = e.error;
        item.received = trust == Trust::Receiver;
        if (item.error.empty() && e.typed) {
            item.type = e.typed->spec->kind;
            item.typed = std::move(e.typed);
            e.typed.reset();
            if (item.typed->spec->hostOwned && (trust == Trust::Outside || item.type == "audit"))
                item.error = mc::records::hostOwnedReason(item.type);
        } else if (item.error.empty()) {
            if (!item.object) {
                item.error = "event is not a JSON object";
            } else if (!item.object->has("type") || !item.object->get("type").isString()) {
                item.error = "field 'type' is required: the kind of event (known: " + mc::records::knownKinds() + ")";
            } else {
                item.type = item.object->getValue<std::string>("type");
                const auto* spec = mc::records::findKind(item.type);
                if (spec && spec->hostOwned && (trust == Trust::Outside || spec->kind == "audit"))
                    item.error = mc::records::hostOwnedReason(item.type);
            }
        }
        items.push_back(std::move(item));
    }
    return items;
}

IngestService::Submitted IngestService::submit(const std::vector<RawEvent>& events, std::string_view source,
                                               std::function<void(IngestReply)> done) {
    std::vector<RawEvent> copy = events;
    auto items = readItems(copy);
    std::vector<std::string> ids;
    for (const auto& item : items)
        if (item.error.empty()) collectThreadIds(item.type, *item.object, ids);
    const LookedUp lookedUp = prefetch(ids);
    return process(std::move(items), source, true, std::move(done), nullptr, &lookedUp);
}

void IngestService::submitWithoutWaiting(std::vector<RawEvent> events, std::string source, std::function<void(IngestReply)> done,
                                         std::function<void(Submitted)> refused, Trust trust) {
    std::vector<std::string> ids;
    for (const auto& e : events) {
        if (e.typed) collectThreadIds(*e.typed, ids);
        else if (e.object && e.object->has("type") && e.object->get("type").isString())
            collectThreadIds(e.object->getValue<std::string>("type"), *e.object, ids);
    }
    runOrdered(std::move(ids), [this, events = std::move(events), source = std::move(source), done = std::move(done),
                                refused = std::move(refused), trust](const LookedUp& lookedUp) mutable {
        const auto submitted = process(readItems(events, trust), source, true, done, nullptr, &lookedUp);
        if (submitted != Submitted::Queued && refused) refused(submitted);
    });
}

mc_status IngestService::emit(std::string_view source, mc::records::TypedRecord record, std::string* error) {
    std::vector<std::string> ids;
    collectThreadIds(record, ids);
    Item item;
    item.type = record.spec->kind;
    item.typed = std::move(record);
    const std::string origin(source);
    auto reasons = std::make_shared<std::vector<std::string>>();
    const bool ranNow = runOrdered(std::move(ids), [this, item = std::move(item), origin, reasons](const LookedUp& lookedUp) mutable {
        std::vector<Item> items;
        items.push_back(std::move(item));
        process(std::move(items), origin, false,
                [origin](IngestReply reply) {
                    for (const auto& [index, reason] : reply.rejected)
                        logging::get("ingest")->warn("an event from {} was not stored: {}", origin, reason);
                },
                reasons.get(), &lookedUp);
        if (!reasons->empty() && !reasons->front().empty())
            logging::get("ingest")->debug("an event from {} was refused: {}", origin, reasons->front());
    });
    // Run later (on the ordered lane, after the store's lookup): what it refuses is logged there.
    if (ranNow && !reasons->empty() && !reasons->front().empty()) {
        if (error) *error = reasons->front();
        return MC_ERR_INVALID_ARGUMENT;
    }
    return MC_OK;
}

IngestService::Submitted IngestService::process(std::vector<Item> items, std::string_view source, bool mustFit,
                                                std::function<void(IngestReply)> done,
                                                std::vector<std::string>* rejectReasons, const LookedUp* lookedUp) {
    auto reply = std::make_shared<IngestReply>();
    std::vector<Prepared> accepted;
    std::vector<mc::records::TypedRecord> storeEvents;
    Submitted submitted = Submitted::Queued;
    {
        std::lock_guard lock(mutex_);
        Overlay overlay(*this, lookedUp);
        for (std::size_t i = 0; i < items.size(); ++i) {
            Item& item = items[i];
            std::string reason = item.error;
            const KindSpec* spec = nullptr;
            if (reason.empty()) {
                spec = item.typed ? item.typed->spec : mc::records::findKind(item.type);
                if (!spec) reason = "unknown event type '" + item.type + "' (known: " + mc::records::knownKinds() + ")";
            }
            Prepared prepared;
            prepared.received = item.received;
            if (reason.empty()) {
                try {
                    if (item.typed)
                        prepared.record = std::move(item.typed->record); // normalized where it entered
                    else
                        prepared.record = mc::records::normalize(*spec, *item.object, [spec] { return mc::records::generateId(*spec); },
                                                                 nowTimestamp);
                    reason = overlay.check(*spec, prepared.record);
                } catch (const std::invalid_argument& e) {
                    reason = e.what();
                }
            }
            if (rejectReasons) rejectReasons->push_back(reason);
            if (!reason.empty()) {
                reply->rejected.emplace_back(i, reason);
                continue;
            }
            if (prepared.received && receivedStepHook_ && spec->kind == "step") receivedStepHook_(*spec, prepared.record);
            prepared.index = i;
            prepared.spec = spec;
            prepared.canonical = mc::records::toJson(*spec, prepared.record);
            prepared.keys = EventRouter::keysOf(*spec, prepared.record);
            // The store takes the record as it is: parsed and normalized once, here.
            storeEvents.push_back(mc::records::TypedRecord{spec, prepared.record});
            accepted.push_back(std::move(prepared));
        }
        rejected_ += reply->rejected.size();

        if (!accepted.empty()) {
            // The commit callback needs only indices and ids.
            std::vector<std::pair<std::size_t, std::string>> order;
            order.reserve(accepted.size());
            for (const auto& p : accepted) order.emplace_back(p.index, p.record.id);
            auto onCommit = [this, reply, order = std::move(order), done](std::vector<std::string> rejects) {
                for (std::size_t k = 0; k < order.size(); ++k) {
                    if (k < rejects.size() && !rejects[k].empty()) {
                        reply->rejected.emplace_back(order[k].first, rejects[k]);
                        ++storeRejected_;
                    } else {
                        reply->ids.push_back(order[k].second);
                        ++reply->accepted;
                    }
                }
                std::sort(reply->rejected.begin(), reply->rejected.end());
                if (done) done(std::move(*reply));
            };
            // The host's own records (and the gateway's tool-call threads and steps) may use the
            // writer's reserve: a flood of logs or ingest never crowds them out.
            const bool ownRecords = !mustFit && (source == "gateway" || std::all_of(accepted.begin(), accepted.end(), [](const Prepared& p) {
                                                      return p.spec->hostOwned;
                                                  }));
            // mustFit: the submitter's reply waits for the commit; the rest is fire and forget.
            const auto queued = writer_.enqueue(std::move(storeEvents), std::move(onCommit),
                                                ownRecords ? StoreWriter::Priority::Reserved : StoreWriter::Priority::Normal, mustFit);
            if (queued != StoreWriter::Enqueued::Queued) {
                submitted = queued == StoreWriter::Enqueued::Full ? Submitted::QueueFull : Submitted::Stopped;
                if (mustFit) return submitted; // nothing accepted, nothing broadcast, cache unchanged
                noteNotPersisted(accepted.size(), source);
            }
            overlay.commit();
            accepted_ += accepted.size();
            for (const auto& p : accepted) {
                events_.publish(source, p.spec->kind, p.canonical, p.keys);
                if (recordObserver_) recordObserver_(source, p.received, *p.spec, p.record);
            }
        }
    }
    // Fire-and-forget callers learn validation rejects from rejectReasons; their callbacks are for the store's.
    if (accepted.empty() && done && mustFit) done(std::move(*reply));
    return mustFit ? submitted : Submitted::Queued;
}

void IngestService::noteNotPersisted(std::size_t count, std::string_view source) {
    const auto total = notPersisted_ += count;
    const long long now = nowUs();
    long long last = lastDropLogUs_.load();
    if (now - last >= 1000000 && lastDropLogUs_.compare_exchange_strong(last, now))
        logging::get("ingest")->warn("the store queue is full: {} event(s) from {} broadcast but not persisted ({} so far)",
                                     count, source, total);
}

IngestService::Item IngestService::ownItem(const mc::records::RecordBuilder& record) {
    Item item;
    item.type = record.spec().kind;
    try {
        item.typed = record.build(nowTimestamp);
    } catch (const std::invalid_argument& e) {
        item.error = e.what();
    }
    return item;
}

IngestService::Item IngestService::threadItem(const std::string& threadId, const std::string& mcpId,
                                              const std::string& startedAt, const std::string& executionContextJson) {
    mc::records::RecordBuilder thread(*mc::records::findKind("thread"));
    thread.id(threadId).text("status", "running").text("mcp_id", mcpId).text("started_at", startedAt);
    if (!executionContextJson.empty()) thread.json("execution_context", executionContextJson);
    return ownItem(thread);
}

bool IngestService::knowsThread(const std::string& threadId) {
    std::lock_guard lock(mutex_);
    ThreadState state;
    return findThread(nullptr, threadId, state) == ThreadStateCache::Lookup::Found;
}

void IngestService::openThread(const std::string& threadId, const std::string& mcpId, const std::string& startedAt,
                               const std::string& executionContextJson) {
    if (threadId.empty() || knowsThread(threadId)) return; // a thread's later calls: nothing to queue
    runOrdered({threadId}, [this, threadId, mcpId, startedAt, executionContextJson](const LookedUp& lookedUp) {
        {
            std::lock_guard lock(mutex_);
            ThreadState state;
            if (findThread(&lookedUp, threadId, state) != ThreadStateCache::Lookup::Absent) return;
        }
        std::vector<Item> items;
        items.push_back(threadItem(threadId, mcpId, startedAt, executionContextJson));
        std::vector<std::string> invalid;
        process(std::move(items), "gateway", false, {}, &invalid);
        if (!invalid.empty() && !invalid.front().empty())
            logging::get("ingest")->warn("thread '{}' of a tool call was not opened: {}", threadId, invalid.front());
    });
}

void IngestService::recordToolCall(const ToolCallRecord& call) {
    if (call.threadId.empty()) return;
    runOrdered({call.threadId}, [this, call](const LookedUp& lookedUp) { writeToolCall(call, lookedUp); });
}

void IngestService::writeToolCall(const ToolCallRecord& call, const LookedUp& lookedUp) {
    std::vector<Item> items;
    {
        std::lock_guard lock(mutex_);
        ThreadState state;
        const auto found = findThread(&lookedUp, call.threadId, state);
        if (found == ThreadStateCache::Lookup::Absent)
            items.push_back(threadItem(call.threadId, call.agent.empty() ? call.mcpId : call.agent, call.startedAt));
        // Reserve the sequence now, so concurrent calls of one thread get distinct ones.
        const std::int64_t sequence = state.maxStepSequence + 1;
        state.maxStepSequence = sequence;
        if (found != ThreadStateCache::Lookup::Found) {
            state.status = state.status.empty() ? "running" : state.status;
            state.mcpId = call.agent.empty() ? call.mcpId : call.agent;
        }
        // A tool call names its tool; a read of a resource or a prompt keeps what it read in the details,
        // so per-tool figures count tools only.
        const bool toolCall = call.method == "tools/call";
        std::string details = "{\"arguments_bytes\":" + std::to_string(call.argumentsBytes) + ",\"outcome\":" + json::quote(call.outcome);
        if (!call.errorCode.empty()) details += ",\"error_code\":" + json::quote(call.errorCode);
        if (!call.callId.empty()) details += ",\"tool_use_id\":" + json::quote(call.callId);
        if (!toolCall) details += ",\"method\":" + json::quote(call.method) + ",\"target\":" + json::quote(call.tool);
        details += '}';
        mc::records::RecordBuilder step(*mc::records::findKind("step"));
        step.text("thread_id", call.threadId)
            .integer("sequence", sequence)
            .text("timestamp", call.startedAt)
            .real("duration_ms", static_cast<double>(call.durationMs))
            .text("step_type", toolCall ? "tool_call" : call.method == "resources/read" ? "resource_read" : "prompt_get")
            .text("description", call.method + " " + call.tool + " on " + call.mcpId)
            .json("details", std::move(details))
            .text("status", call.status)
            .text("mcp_id", call.mcpId);
        if (toolCall) step.text("tool", call.tool);
        items.push_back(ownItem(step));
        cache_.put(call.threadId, state);
    }
    const auto logRejects = [](const std::string& reason) {
        if (!reason.empty()) logging::get("ingest")->warn("a tool-call step was not stored: {}", reason);
    };
    std::vector<std::string> invalid;
    process(std::move(items), "gateway", false,
            [logRejects](IngestReply reply) {
                for (const auto& [index, reason] : reply.rejected) logRejects(reason);
            },
            &invalid);
    for (const auto& reason : invalid) logRejects(reason);
}

std::string ToolCallRecord::statusOf(const std::string& outcome) {
    return outcome == "ok" ? "ok" : outcome == "timeout" ? "timeout" : outcome == "permission_denied" ? "denied" : "error";
}

IngestService::Stats IngestService::stats() const {
    Stats s;
    s.accepted = accepted_;
    s.rejected = rejected_;
    s.notPersisted = notPersisted_;
    s.storeRejected = storeRejected_;
    return s;
}

} // namespace mc::host
