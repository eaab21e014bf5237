#pragma once
// A tool call forwarded between the hosts of a cluster, and its outcome, as JSON on the bus: the host
// the call reached checks the policy and records it, the host that connects the server runs it.
//   {"type":"tool_call","call":N,"mcp_id","tool","arguments":{...},"thread_id","call_id","traceparent",
//    "user","role","timeout_ms":N}
//   {"type":"tool_call_result","call":N,"outcome","refusal":"unavailable"|null,"error_code","message",
//    "details":{...},"result":{...}|null,"duration_ms":N}
// What does not cross (yet): progress notifications, the server's requests during the call
// (sampling, elicitation) and cancellation.
#include "gateway/McpConnection.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace mc::host {

struct RemoteMessage {
    enum class Type { Call, Result } type = Type::Call;
    std::uint64_t call = 0;
    std::string mcpId;         // Call
    ToolCallRequest request;   // Call
    ToolCallOutcome outcome;   // Result
};

std::string encodeRemoteCall(std::uint64_t call, const std::string& mcpId, const ToolCallRequest& request);
std::string encodeRemoteResult(std::uint64_t call, const ToolCallOutcome& outcome);
// std::invalid_argument saying what is wrong.
RemoteMessage decodeRemoteMessage(std::string_view text);

const char* refusalName(Refusal refusal);

} // namespace mc::host
