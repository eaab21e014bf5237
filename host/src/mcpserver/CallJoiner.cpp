#include "mcpserver/CallJoiner.h"

#include "log/Logging.h"
#include "util/Json.h"
#include "util/JsonObject.h"

#include "mc/records/RecordSchema.h"
#include "mc/thread_name.hpp"

#include <algorithm>
#include <vector>

namespace mc::host {
namespace {

using mc::records::ColumnValue;
using mc::records::KindSpec;
using mc::records::NormalizedRecord;

// The agent's id of the call a step records: where the gateway writes it (details.tool_use_id), else
// where the receiver keeps the agent's own attributes (Claude Code's tool_use_id, the GenAI
// conventions' gen_ai.tool.call.id, Codex's call_id).
std::string callIdOf(const Poco::JSON::Object::Ptr& details) {
    std::string id = json::stringMember(details, "tool_use_id");
    if (!id.empty()) return id;
    const auto attributes = details->getObject("attributes");
    for (const char* key : {"tool_use_id", "gen_ai.tool.call.id", "call_id"})
        if (id = json::stringMember(attributes, key); !id.empty()) return id;
    return {};
}

void setText(const KindSpec& spec, NormalizedRecord& record, std::string_view field, std::string value) {
    for (std::size_t i = 0; i < spec.fields.size(); ++i)
        if (spec.fields[i].jsonName == field) {
            record.values[i] = ColumnValue(std::move(value));
            record.present[i] = true;
        }
}

} // namespace

CallJoiner::CallJoiner(IngestService& ingest, std::chrono::milliseconds wait, std::function<void(const std::string&)> unjoined)
    : ingest_(ingest), wait_(wait), unjoined_(std::move(unjoined)) {
    timer_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-call-joiner");
        run();
    });
}

CallJoiner::~CallJoiner() { stop(); }

void CallJoiner::offer(ToolCallRecord call) {
    {
        std::lock_guard lock(mutex_);
        // By the agent's id of the call, else by the agent's span it was made from.
        const std::string id = !call.callId.empty() ? call.callId : call.callerSpanId.empty() ? std::string() : "span:" + call.callerSpanId;
        if (!stopping_ && !id.empty() && !parked_.count(id)) {
            parked_.emplace(id, Parked{std::move(call), std::chrono::steady_clock::now() + wait_});
            parkedCount_ = parked_.size();
            changed_.notify_all();
            return;
        }
    }
    // Nothing to wait for (no id, an id already waiting, stopping): the session's thread, now.
    ingest_.recordToolCall(call);
}

void CallJoiner::joinReceived(const KindSpec& spec, NormalizedRecord& step) {
    if (parkedCount_ == 0) return; // the common case: no call through /mcp is waiting
    const auto type = step.text(spec, "step_type");
    const auto detailsText = step.text(spec, "details");
    if (!type || *type != "tool_call" || !detailsText) return;
    Poco::JSON::Object::Ptr details;
    try {
        details = json::parse(*detailsText).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        return; // details are a JSON object by the schema; anything else is not ours to join
    }
    std::string id = callIdOf(details);
    const std::string span = json::stringMember(details, "span_id"); // a step the receiver made of a span
    ToolCallRecord call;
    {
        std::lock_guard lock(mutex_);
        auto it = id.empty() ? parked_.end() : parked_.find(id);
        if (it == parked_.end() && !span.empty()) it = parked_.find("span:" + span);
        if (it == parked_.end()) return;
        if (!it->second.call.callId.empty()) id = it->second.call.callId;
        else id.clear(); // joined by span: the step keeps the agent's id of the call, if any
        call = std::move(it->second.call);
        parked_.erase(it);
        parkedCount_ = parked_.size();
        ++joined_;
    }
    // The agent named the call by its own server and tool (the host's name in its MCP configuration,
    // "<server>__<tool>"); the step names the upstream server and tool that answered it.
    Poco::JSON::Object::Ptr gateway = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    gateway->set("mcp_id", call.mcpId);
    gateway->set("tool", call.tool);
    gateway->set("outcome", call.outcome);
    if (!call.errorCode.empty()) gateway->set("error_code", call.errorCode);
    gateway->set("granted", call.outcome != "permission_denied");
    gateway->set("started_at", call.startedAt);
    gateway->set("duration_ms", static_cast<Poco::Int64>(call.durationMs));
    gateway->set("arguments_bytes", static_cast<Poco::UInt64>(call.argumentsBytes));
    gateway->set("session_thread_id", call.threadId);
    gateway->set("joined_by", call.callId.empty() ? "span" : "call_id");
    if (auto agentServer = step.text(spec, "mcp_id")) gateway->set("agent_mcp_id", *agentServer);
    if (auto agentTool = step.text(spec, "tool")) gateway->set("agent_tool", *agentTool);
    details->set("gateway", gateway);
    if (!id.empty() && json::stringMember(details, "tool_use_id").empty()) details->set("tool_use_id", id);
    setText(spec, step, "details", json::stringify(details));
    setText(spec, step, "mcp_id", call.mcpId);
    setText(spec, step, "tool", call.tool);
    setText(spec, step, "description", "tools/call " + call.tool + " on " + call.mcpId);
}

void CallJoiner::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (parked_.empty()) {
            changed_.wait(lock);
            continue;
        }
        // A copy: the entry may be joined (erased) while this waits.
        auto earliest = parked_.begin()->second.deadline;
        for (const auto& [id, parked] : parked_) earliest = std::min(earliest, parked.deadline);
        if (changed_.wait_until(lock, earliest) == std::cv_status::no_timeout) continue;
        const auto now = std::chrono::steady_clock::now();
        std::vector<ToolCallRecord> due;
        for (auto it = parked_.begin(); it != parked_.end();) {
            if (it->second.deadline <= now) {
                due.push_back(std::move(it->second.call));
                it = parked_.erase(it);
            } else {
                ++it;
            }
        }
        parkedCount_ = parked_.size();
        unjoinedCount_ += due.size();
        lock.unlock();
        writeUnjoined(std::move(due));
        lock.lock();
    }
}

void CallJoiner::writeUnjoined(std::vector<ToolCallRecord> calls) {
    for (const auto& call : calls) {
        logging::get("mcp")->debug("call '{}' of {} was not reported by its agent within {} ms: recorded in {}", call.callId,
                                   call.threadId, wait_.count(), call.threadId);
        ingest_.recordToolCall(call);
        if (unjoined_) unjoined_(call.threadId);
    }
}

void CallJoiner::stop() {
    std::vector<ToolCallRecord> rest;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !timer_.joinable()) return;
        stopping_ = true;
        for (auto& [id, parked] : parked_) rest.push_back(std::move(parked.call));
        parked_.clear();
        parkedCount_ = 0;
        unjoinedCount_ += rest.size();
        changed_.notify_all();
    }
    if (timer_.joinable()) timer_.join();
    for (const auto& call : rest) ingest_.recordToolCall(call);
}

CallJoinStats CallJoiner::stats() const {
    std::lock_guard lock(mutex_);
    return CallJoinStats{joined_, unjoinedCount_, parked_.size()};
}

} // namespace mc::host
