#pragma once
// One JSON-RPC request the gateway made to an MCP server, as it ended: what an exporter writes as an
// MCP client span (OpenTelemetry's MCP conventions). The ids are chosen when the request is sent, so
// a traceparent could travel with it; a request in a thread belongs to the thread's trace.
#include <cstdint>
#include <functional>
#include <string>

namespace mc::host {

struct McpCallRecord {
    enum class Outcome { Ok, ToolError, RpcError, Timeout, Disconnected, Cancelled };
    std::string mcpId;
    std::string transport;       // the transport plugin's kind: stdio, http
    std::string endpoint;        // a URL, or the command
    std::string method;          // initialize, tools/list, tools/call, ping, ...
    std::string target;          // tools/call: the tool's name
    std::string threadId;        // the thread the call was made for, or empty
    std::string protocolVersion; // negotiated, or empty before initialize
    std::int64_t requestId = 0;
    std::string traceId, spanId, parentSpanId; // hex; parent empty for a root span
    std::uint64_t startUnixNano = 0;
    std::uint64_t endUnixNano = 0;
    Outcome outcome = Outcome::Ok;
    int errorCode = 0;           // RpcError: the JSON-RPC code
    std::string errorMessage;    // RpcError, Timeout, Disconnected, Cancelled: why
};

// Runs on the thread that completed the request: must return at once (hand the record off).
using McpCallSink = std::function<void(const McpCallRecord&)>;

const char* outcomeName(McpCallRecord::Outcome outcome); // ok, tool_error, rpc_error, timeout, disconnected, cancelled

} // namespace mc::host
