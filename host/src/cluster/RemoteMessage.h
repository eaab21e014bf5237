#pragma once
// What the hosts of a cluster send one another (to rpc.<host_id>, answers to the sender's), as JSON:
// - a tool call the host it reached checked and records, for the host that connects the server:
//   {"type":"tool_call","call":N,"mcp_id","tool","arguments":{...},"thread_id","call_id","traceparent",
//    "user","role","timeout_ms":N}
//   {"type":"tool_call_result","call":N,"outcome","refusal":"unavailable"|null,"error_code","message",
//    "details":{...},"result":{...}|null,"duration_ms":N}
// - an agent's other request, passed on as it is (resources/read, prompts/get, completion/complete):
//   {"type":"request","call":N,"mcp_id","method","params":{...},"target","thread_id","traceparent","timeout_ms":N}
//   {"type":"request_result","call":N,"kind":"result"|"error"|"timeout"|"disconnected"|"cancelled",
//    "result":{...}|null,"error_code":N,"message","data":any|null,"gateway_code"}
// - what a server offers, asked of the host that connects it when its heartbeat names a stamp the
//   asker has not mirrored (cluster/ClusterService):
//   {"type":"catalog_request","call":N,"mcp_id"}
//   {"type":"catalog","call":N,"mcp_id","owner","stamp","catalog":{"tools":[...],"resources":[...],
//    "resource_templates":[...],"prompts":[...]}|null}   (null: not connected there any more)
// What does not cross (yet): progress notifications, the server's requests during a call (sampling,
// elicitation), cancellation, and resource subscriptions.
#include "gateway/McpConnection.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mc::host {

struct RemoteMessage {
    enum class Type { Call, Result, Request, RequestResult, CatalogRequest, Catalog } type = Type::Call;
    std::uint64_t call = 0;
    std::string mcpId;         // Call, Request, CatalogRequest, Catalog
    ToolCallRequest request;   // Call
    ToolCallOutcome outcome;   // Result
    PassedRequest passed;      // Request
    RpcOutcome answer;         // RequestResult
    std::optional<McpConnection::Mirror> catalog; // Catalog: the lists with their owner and stamp (none: not connected there)
};

std::string encodeRemoteCall(std::uint64_t call, const std::string& mcpId, const ToolCallRequest& request);
std::string encodeRemoteResult(std::uint64_t call, const ToolCallOutcome& outcome);
std::string encodeRemoteRequest(std::uint64_t call, const std::string& mcpId, const PassedRequest& request);
std::string encodeRemoteAnswer(std::uint64_t call, const RpcOutcome& outcome);
std::string encodeCatalogRequest(std::uint64_t call, const std::string& mcpId);
// `catalogJson` as McpConnection::catalogJson(), or "" when the server is not connected here.
std::string encodeCatalog(std::uint64_t call, const std::string& mcpId, const std::string& owner, const std::string& stamp,
                          const std::string& catalogJson);
// std::invalid_argument saying what is wrong.
RemoteMessage decodeRemoteMessage(std::string_view text);

const char* refusalName(Refusal refusal);

} // namespace mc::host
