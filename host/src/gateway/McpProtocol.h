#pragma once
// What the gateway knows of MCP revisions and vocabulary, kept in one place: which protocol
// versions it offers and accepts, the logging levels, and how they map onto the host's levels.
// A future stateless revision (2026-07-28: no initialize handshake) is added by a new
// ProtocolRevision entry and a branch in McpConnection's handshake, not by scattering checks.
#include "mc/plugin_abi.h"

#include <string>
#include <vector>

namespace mc::host::mcp {

inline constexpr const char* kOfferedProtocolVersion = "2025-11-25";

struct ProtocolRevision {
    const char* version;
    bool initializeHandshake; // false for stateless revisions
};

// Newest first; the first one is offered.
const std::vector<ProtocolRevision>& supportedRevisions();
// The revision a server answered with, or nullptr when the gateway does not speak it.
const ProtocolRevision* findRevision(const std::string& version);
std::string supportedVersionList(); // "2025-11-25, 2025-06-18, ..."

// JSON-RPC error codes the gateway interprets.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

// RFC 5424 levels as MCP names them (debug, info, notice, warning, error, critical, alert, emergency).
bool isLoggingLevel(const std::string& level);
std::string loggingLevelList();
// DEBUG, INFO, WARN or ERROR (the StructuredLog levels): notice -> INFO, critical/alert/emergency ->
// ERROR. An unknown level maps to INFO (the original is kept in the event).
const char* structuredLevelFor(const std::string& mcpLevel);
// A transport's on_log level as a StructuredLog level.
const char* structuredLevelFor(mc_log_level level);

} // namespace mc::host::mcp
