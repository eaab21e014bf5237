#include "export/SpanMapping.h"

#include "util/Clock.h"
#include "util/Json.h"
#include "util/TraceIds.h"

#include <Poco/JSON/Object.h>
#include <Poco/URI.h>

#include <cstdio>
#include <ctime>

namespace mc::host {
namespace {

using mc::otlp::AnyValue;
using mc::otlp::KeyValues;
using mc::otlp::Span;
using mc::records::KindSpec;
using mc::records::NormalizedRecord;

constexpr std::int32_t kInternal = 1;
constexpr std::int32_t kClient = 3;
constexpr std::int32_t kStatusError = 2;

void addText(KeyValues& attributes, const char* key, const std::string& value) {
    if (value.empty()) return;
    AnyValue v;
    v.type = AnyValue::Type::String;
    v.text = value;
    attributes.emplace_back(key, std::move(v));
}

void addInt(KeyValues& attributes, const char* key, std::int64_t value) {
    AnyValue v;
    v.type = AnyValue::Type::Int;
    v.integer = value;
    attributes.emplace_back(key, std::move(v));
}

std::string textOf(const KindSpec& spec, const NormalizedRecord& record, const char* field) {
    return record.text(spec, field).value_or("");
}

std::optional<std::int64_t> integerOf(const KindSpec& spec, const NormalizedRecord& record, const char* field) {
    const auto& v = record.value(spec, field);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
    return std::nullopt;
}

std::optional<double> realOf(const KindSpec& spec, const NormalizedRecord& record, const char* field) {
    const auto& v = record.value(spec, field);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return std::nullopt;
}

bool presentField(const KindSpec& spec, const NormalizedRecord& record, const char* field) {
    for (std::size_t i = 0; i < spec.fields.size(); ++i)
        if (spec.fields[i].jsonName == field) return i < record.present.size() && record.present[i];
    return false;
}

// An llm_call step's details, read for the GenAI attributes a backend shows (model, tokens), under
// the names agents and the ingest API use.
void addModelUsage(KeyValues& attributes, const std::string& detailsJson, std::string& model) {
    if (detailsJson.empty() || detailsJson.front() != '{') return;
    Poco::JSON::Object::Ptr details;
    try {
        details = json::parse(detailsJson).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        return; // details are the submitter's; they were checked as JSON when accepted
    }
    for (const char* key : {"model", "gen_ai.request.model", "gen_ai.response.model"})
        if (model.empty() && details->has(key) && details->get(key).isString()) model = details->getValue<std::string>(key);
    addText(attributes, "gen_ai.request.model", model);
    auto tokens = [&](std::initializer_list<const char*> keys, const char* attribute) {
        for (const char* key : keys) {
            if (!details->has(key)) continue;
            const auto v = details->get(key);
            if (!v.isNumeric()) continue;
            try {
                addInt(attributes, attribute, v.convert<std::int64_t>());
            } catch (const Poco::Exception&) {
                continue;
            }
            return;
        }
    };
    tokens({"input_tokens", "prompt_tokens", "gen_ai.usage.input_tokens"}, "gen_ai.usage.input_tokens");
    tokens({"output_tokens", "completion_tokens", "gen_ai.usage.output_tokens"}, "gen_ai.usage.output_tokens");
}

} // namespace

std::uint64_t unixNanosOf(const std::string& timestamp) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0;
    char zone = 0;
    if (std::sscanf(timestamp.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6d%c", &year, &month, &day, &hour, &minute, &second,
                    &micros, &zone) != 8 ||
        zone != 'Z' || year < 1970)
        return 0;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t seconds = timegm(&tm);
    if (seconds < 0) return 0;
    return static_cast<std::uint64_t>(seconds) * 1000000000ULL + static_cast<std::uint64_t>(micros) * 1000ULL;
}

Span spanOfCall(const McpCallRecord& call) {
    Span span;
    span.traceId = call.traceId;
    span.spanId = call.spanId;
    span.parentSpanId = call.parentSpanId;
    span.name = call.target.empty() ? call.method : call.method + " " + call.target;
    span.kind = kClient;
    span.startTimeUnixNano = call.startUnixNano;
    span.endTimeUnixNano = call.endUnixNano;
    auto& a = span.attributes;
    addText(a, "mcp.method.name", call.method);
    addText(a, "mcp.protocol.version", call.protocolVersion);
    addText(a, "jsonrpc.request.id", std::to_string(call.requestId));
    if (call.method == "tools/call") {
        addText(a, "gen_ai.operation.name", "execute_tool");
        addText(a, "gen_ai.tool.name", call.target);
    }
    addText(a, "gen_ai.conversation.id", call.threadId);
    addText(a, "mc.mcp.id", call.mcpId);
    addText(a, "mc.mcp.transport", call.transport);
    if (call.transport == "stdio") {
        addText(a, "network.transport", "pipe");
    } else {
        try {
            const Poco::URI uri(call.endpoint);
            addText(a, "network.transport", "tcp");
            addText(a, "server.address", uri.getHost());
            if (uri.getPort()) addInt(a, "server.port", uri.getPort());
        } catch (const Poco::Exception&) {
            // an endpoint that is not a URL says nothing about the server's address
        }
    }
    addText(a, "mc.call.outcome", outcomeName(call.outcome));
    switch (call.outcome) {
    case McpCallRecord::Outcome::Ok: break;
    case McpCallRecord::Outcome::ToolError:
        addText(a, "error.type", "tool_error");
        span.statusCode = kStatusError;
        span.statusMessage = "the tool reported an error (isError)";
        break;
    case McpCallRecord::Outcome::RpcError:
        addText(a, "error.type", std::to_string(call.errorCode));
        addText(a, "rpc.response.status_code", std::to_string(call.errorCode));
        span.statusCode = kStatusError;
        span.statusMessage = call.errorMessage;
        break;
    case McpCallRecord::Outcome::Timeout:
    case McpCallRecord::Outcome::Disconnected:
    case McpCallRecord::Outcome::Cancelled:
        addText(a, "error.type", outcomeName(call.outcome));
        span.statusCode = kStatusError;
        span.statusMessage = call.errorMessage;
        break;
    }
    return span;
}

std::optional<Span> RecordSpans::spanOf(const KindSpec& spec, const NormalizedRecord& record) {
    if (spec.kind == "thread") return threadSpan(spec, record);
    if (spec.kind == "step") return stepSpan(spec, record);
    return std::nullopt;
}

std::optional<Span> RecordSpans::threadSpan(const KindSpec& spec, const NormalizedRecord& record) {
    const std::string status = textOf(spec, record, "status");
    const bool started = presentField(spec, record, "started_at");
    auto known = threads_.find(record.id);
    if (known == threads_.end()) {
        if (threads_.size() >= threadMemory_ && !order_.empty()) {
            threads_.erase(order_.front());
            order_.pop_front();
        }
        known = threads_.emplace(record.id, ThreadStart{}).first;
        order_.push_back(record.id);
    }
    ThreadStart& thread = known->second;
    // The earliest start any of its records gave (an update without started_at carries the write time).
    const std::uint64_t start = unixNanosOf(textOf(spec, record, "started_at"));
    if (start && (thread.startUnixNano == 0 || (started && start < thread.startUnixNano))) thread.startUnixNano = start;
    const std::string agent = textOf(spec, record, "mcp_id");
    if (thread.agent.empty()) thread.agent = agent;
    if (!mc::records::isTerminalStatus(status)) return std::nullopt;

    Span span;
    span.traceId = traceIdForThread(record.id);
    span.spanId = spanIdForRecord("thread", record.id);
    span.name = "invoke_agent " + thread.agent;
    span.kind = kInternal;
    span.startTimeUnixNano = thread.startUnixNano;
    span.endTimeUnixNano = unixNanosOf(textOf(spec, record, "ended_at"));
    if (span.endTimeUnixNano == 0) span.endTimeUnixNano = static_cast<std::uint64_t>(nowUnixUs()) * 1000; // learned now
    if (span.endTimeUnixNano < span.startTimeUnixNano) span.endTimeUnixNano = span.startTimeUnixNano;
    auto& a = span.attributes;
    addText(a, "gen_ai.operation.name", "invoke_agent");
    addText(a, "gen_ai.agent.name", thread.agent);
    addText(a, "gen_ai.conversation.id", record.id);
    addText(a, "mc.thread.status", status);
    addText(a, "mc.thread.parent_id", textOf(spec, record, "parent_id"));
    if (status == "error") {
        span.statusCode = kStatusError;
        span.statusMessage = "the thread ended in error";
    }
    threads_.erase(known); // ended: its span is made, nothing more will come
    return span;
}

std::optional<Span> RecordSpans::stepSpan(const KindSpec& spec, const NormalizedRecord& record) {
    const std::string threadId = textOf(spec, record, "thread_id");
    const std::string type = textOf(spec, record, "step_type");
    Span span;
    span.traceId = traceIdForThread(threadId);
    span.spanId = spanIdForRecord("step", record.id);
    span.parentSpanId = spanIdForRecord("thread", threadId);
    span.kind = kInternal;
    span.startTimeUnixNano = unixNanosOf(textOf(spec, record, "timestamp"));
    const double durationMs = realOf(spec, record, "duration_ms").value_or(0);
    span.endTimeUnixNano = span.startTimeUnixNano + static_cast<std::uint64_t>(durationMs > 0 ? durationMs * 1e6 : 0);
    auto& a = span.attributes;
    const std::string tool = textOf(spec, record, "tool");
    if (type == "llm_call") {
        std::string model;
        KeyValues usage;
        addModelUsage(usage, textOf(spec, record, "details"), model);
        span.name = model.empty() ? "chat" : "chat " + model;
        addText(a, "gen_ai.operation.name", "chat");
        a.insert(a.end(), usage.begin(), usage.end());
    } else if (type == "tool_call") {
        span.name = tool.empty() ? "execute_tool" : "execute_tool " + tool;
        addText(a, "gen_ai.operation.name", "execute_tool");
        addText(a, "gen_ai.tool.name", tool);
    } else if (type == "agent_run") {
        span.name = "invoke_agent";
        addText(a, "gen_ai.operation.name", "invoke_agent");
    } else {
        span.name = type;
    }
    addText(a, "gen_ai.conversation.id", threadId);
    addText(a, "mc.step.id", record.id);
    addText(a, "mc.step.type", type);
    if (const auto sequence = integerOf(spec, record, "sequence")) addInt(a, "mc.step.sequence", *sequence);
    const std::string status = textOf(spec, record, "status");
    addText(a, "mc.step.status", status);
    addText(a, "mc.mcp.id", textOf(spec, record, "mcp_id"));
    const std::string description = textOf(spec, record, "description");
    addText(a, "mc.step.description", description);
    if (status == "error" || status == "failed" || status == "timeout" || status == "denied" || status == "refused") {
        span.statusCode = kStatusError;
        span.statusMessage = description.empty() ? "step " + status : description;
        addText(a, "error.type", status);
    }
    return span;
}

} // namespace mc::host
