#pragma once
// `mission-control bridge`: for MCP clients that only start commands (Claude Desktop and many others).
// It speaks MCP's stdio transport to the client (one JSON-RPC message per line on stdin and stdout) and
// Streamable HTTP to the host's /mcp: each message is POSTed with the session id the host gave at
// initialize, the protocol version it answered and the token; each answer (a JSON body, or the
// messages of an event stream) is written back as one line. Requests run concurrently (a long tool call
// does not hold up a ping or a cancellation), answers are written whole, one at a time.
//
// It ends cleanly when either side closes: at the end of stdin it waits for the answers still due,
// ends the session (DELETE) and exits 0; when the host cannot be reached it answers the request that
// found out with a JSON-RPC error saying so and exits 1. Nothing but protocol messages goes to stdout;
// diagnostics go to stderr.
#include <chrono>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

struct BridgeOptions {
    std::string url;                           // http(s)://host:port/mcp
    std::string token;                         // bearer token ("" when auth is off); --token or MC_BRIDGE_TOKEN
    std::map<std::string, std::string> headers; // more headers, --header "Name: value"
    std::chrono::milliseconds timeout{600000}; // longest wait for one answer (--timeout-ms)
};

// The arguments after "bridge". Throws std::invalid_argument saying what is wrong; `help` is set for
// --help (nothing else is read then).
BridgeOptions parseBridgeArguments(const std::vector<std::string>& args, const char* tokenFromEnvironment, bool& help);
std::string bridgeUsage();

// Runs the bridge over file descriptors `in` and `out` (0 and 1); returns the exit status.
int runBridge(const BridgeOptions& options, int in, int out, std::ostream& diagnostics);

} // namespace mc::host
