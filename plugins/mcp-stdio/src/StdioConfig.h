#pragma once
// The configuration of mcp-stdio, declared once:
//  - the instance's keys (mcp.stdio.*): the limits every stdio server gets unless its definition says
//    otherwise;
//  - the server table: the fields of one stdio server definition ({"id", "transport": "stdio",
//    "command", "args", "env", "inherit_env", "cwd", and any of the limits}), read by validate() and
//    open_connection() (see README.md).
#include "ChildProcess.h"

#include "mc/sdk.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mc::mcp_stdio {

// The limits (instance keys, and per-server fields of the same names).
struct Limits {
    std::int64_t shutdownGraceMs = 0;    // stdin closed -> SIGTERM
    std::int64_t terminateGraceMs = 0;   // SIGTERM -> SIGKILL
    std::int64_t maxLineBytes = 0;       // stdout line cap; longer closes the connection
    std::int64_t maxStderrLineBytes = 0; // stderr line cap; longer lines are truncated
    std::int64_t maxSendQueueBytes = 0;  // unwritten messages; more makes send() refuse
};

constexpr mc::sdk::Key<Limits> kSettings[] = {
    mc::sdk::key("shutdown_grace_ms", &Limits::shutdownGraceMs).byDefault("2000").range(0, 600000)
        .help("After closing the server's stdin, how long to wait for it to exit before SIGTERM"),
    mc::sdk::key("terminate_grace_ms", &Limits::terminateGraceMs).byDefault("2000").range(0, 600000)
        .help("After SIGTERM to the server's process group, how long to wait before SIGKILL"),
    mc::sdk::key("max_line_bytes", &Limits::maxLineBytes).byDefault("16777216").range(1024, 1073741824)
        .help("Longest stdout line (one JSON-RPC message) accepted; a longer one closes the connection"),
    mc::sdk::key("max_stderr_line_bytes", &Limits::maxStderrLineBytes).byDefault("65536").range(256, 16777216)
        .help("Longest stderr line logged as is; longer lines are truncated"),
    mc::sdk::key("max_send_queue_bytes", &Limits::maxSendQueueBytes).byDefault("67108864").range(1024, 1073741824)
        .help("Bytes of messages waiting for the server to read its stdin; beyond it send() refuses"),
};

// One stdio server definition as the table binds it.
struct StdioServer {
    std::string command;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::vector<std::string> inheritEnv;
    std::string cwd;
    // The limits, prefilled with the instance's.
    std::int64_t shutdownGraceMs = 0;
    std::int64_t terminateGraceMs = 0;
    std::int64_t maxLineBytes = 0;
    std::int64_t maxStderrLineBytes = 0;
    std::int64_t maxSendQueueBytes = 0;
};

// The server table: its fields, types, ranges and help. The limits have no default here: a definition
// that leaves one out gets the instance's (mcp.stdio.<key>, else its declared default).
constexpr mc::sdk::Key<StdioServer> kServerFields[] = {
    mc::sdk::key("command", &StdioServer::command).required()
        .help("The program to run: a name looked up on PATH, or a path (relative to cwd)"),
    mc::sdk::key("args", &StdioServer::args).help("Its arguments, a JSON array of strings, passed verbatim"),
    mc::sdk::key("env", &StdioServer::env)
        .help("Variables set in the server's environment, a JSON object of strings (values may hold ${env:..}/${file:..}, resolved by the host)"),
    mc::sdk::key("inherit_env", &StdioServer::inheritEnv)
        .help("Host variables passed on beyond the baseline (PATH, HOME, LANG, LC_*, TZ, TMPDIR); never MC_*"),
    mc::sdk::key("cwd", &StdioServer::cwd).help("Working directory of the server; empty: the host's"),
    mc::sdk::key("shutdown_grace_ms", &StdioServer::shutdownGraceMs).range(0, 600000)
        .help("Overrides mcp.stdio.shutdown_grace_ms for this server"),
    mc::sdk::key("terminate_grace_ms", &StdioServer::terminateGraceMs).range(0, 600000)
        .help("Overrides mcp.stdio.terminate_grace_ms for this server"),
    mc::sdk::key("max_line_bytes", &StdioServer::maxLineBytes).range(1024, 1073741824)
        .help("Overrides mcp.stdio.max_line_bytes for this server"),
    mc::sdk::key("max_stderr_line_bytes", &StdioServer::maxStderrLineBytes).range(256, 16777216)
        .help("Overrides mcp.stdio.max_stderr_line_bytes for this server"),
    mc::sdk::key("max_send_queue_bytes", &StdioServer::maxSendQueueBytes).range(1024, 1073741824)
        .help("Overrides mcp.stdio.max_send_queue_bytes for this server"),
};
static_assert(mc::sdk::detail::tableProblem(kServerFields).problem == mc::sdk::detail::KeyProblem::None,
              "invalid server table");

// The id (for messages), the process to spawn and its limits.
struct StdioConfig {
    std::string id; // the MCP's id, for log messages; may be empty
    SpawnSpec spawn;
    Limits limits;
};

// Reads one server definition against kServerFields with `defaults` (the instance's limits) for what
// it leaves out. Throws mc::sdk::Error(MC_ERR_CONFIG, reason) naming the offending field.
StdioConfig parseStdioServer(std::string_view serverJson, const Limits& defaults);

} // namespace mc::mcp_stdio
