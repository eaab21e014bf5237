#include "gateway/McpCallRecord.h"

namespace mc::host {

const char* outcomeName(McpCallRecord::Outcome outcome) {
    switch (outcome) {
    case McpCallRecord::Outcome::Ok: return "ok";
    case McpCallRecord::Outcome::ToolError: return "tool_error";
    case McpCallRecord::Outcome::RpcError: return "rpc_error";
    case McpCallRecord::Outcome::Timeout: return "timeout";
    case McpCallRecord::Outcome::Disconnected: return "disconnected";
    case McpCallRecord::Outcome::Cancelled: return "cancelled";
    }
    return "unknown";
}

} // namespace mc::host
