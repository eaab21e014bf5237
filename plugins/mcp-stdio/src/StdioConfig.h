#pragma once
// The MCP server definition a transport instance is created with (the gateway's JSON object; see
// README.md). Limits absent from the object fall back to the plugin's declared keys, then defaults.
#include "ChildProcess.h"

#include "mc/sdk.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace mc::mcp_stdio {

struct StdioConfig {
    std::string id;                                  // the MCP's id, for log messages; may be empty
    SpawnSpec spawn;
    std::int64_t shutdownGraceMs = 2000;             // stdin closed -> SIGTERM
    std::int64_t terminateGraceMs = 2000;            // SIGTERM -> SIGKILL
    std::int64_t maxLineBytes = 16 * 1024 * 1024;    // stdout line cap; longer closes the connection
    std::int64_t maxStderrLineBytes = 64 * 1024;     // stderr line cap; longer lines are truncated
    std::int64_t maxSendQueueBytes = 64 * 1024 * 1024; // unwritten messages; more makes send() refuse
};

// Throws mc::sdk::Error(MC_ERR_CONFIG, reason) naming the offending field.
StdioConfig parseStdioConfig(std::string_view json, const sdk::Host& host);

} // namespace mc::mcp_stdio
