#pragma once
// What the host exports, as OTLP spans (docs/otel.md#out):
// - each request the gateway made to an MCP server: an MCP client span (OpenTelemetry's MCP
//   conventions: "<method> <tool>", mcp.method.name, gen_ai.tool.name, jsonrpc.request.id, error.type);
// - each thread, once it has ended, and each step of the host's own records: GenAI spans
//   (invoke_agent, chat, execute_tool) in the thread's trace, with gen_ai.conversation.id = the thread.
#include "gateway/McpCallRecord.h"

#include "mc/otlp/Otlp.h"
#include "mc/records/RecordSchema.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace mc::host {

mc::otlp::Span spanOfCall(const McpCallRecord& call);

// "2026-01-02T03:04:05.123456Z" (a normalized record timestamp) in nanoseconds since the epoch; 0 when it is not one.
std::uint64_t unixNanosOf(const std::string& timestamp);

// Spans of records. A thread's span is made when a record says it ended; its start and agent are
// remembered from its first record (an update need not repeat them), for at most `threadMemory`
// threads (the oldest forgotten first). Not thread-safe: one exporter thread uses it.
class RecordSpans {
public:
    explicit RecordSpans(std::size_t threadMemory = 100000) : threadMemory_(threadMemory) {}

    // A step's span; an ended thread's span; nullopt for anything else (a running thread, another kind).
    std::optional<mc::otlp::Span> spanOf(const mc::records::KindSpec& spec, const mc::records::NormalizedRecord& record);
    std::size_t threadsRemembered() const { return threads_.size(); }

private:
    struct ThreadStart {
        std::uint64_t startUnixNano = 0;
        std::string agent;
    };
    std::optional<mc::otlp::Span> threadSpan(const mc::records::KindSpec& spec, const mc::records::NormalizedRecord& record);
    std::optional<mc::otlp::Span> stepSpan(const mc::records::KindSpec& spec, const mc::records::NormalizedRecord& record);

    std::size_t threadMemory_;
    std::unordered_map<std::string, ThreadStart> threads_;
    std::deque<std::string> order_; // first seen first
};

} // namespace mc::host
