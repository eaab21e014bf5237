#pragma once
// What the gateway knows of MCP revisions and vocabulary, kept in one place: which protocol
// versions it offers and accepts (the 2025 era after initialize, the 2026-07-28 era without a
// session), who it says it is, the logging levels, and how they map onto the host's levels.
#include "mc/mcp/ModernWire.h"
#include "mc/plugin_abi.h"

#include <string>
#include <vector>

namespace mc::host::mcp {

inline constexpr const char* kOfferedProtocolVersion = "2025-11-25";

struct ProtocolRevision {
    const char* version;
    bool initializeHandshake; // false for stateless revisions
};

// Newest first: the sessionless revision, then the ones initialize negotiates (the first of those is
// offered in initialize).
const std::vector<ProtocolRevision>& supportedRevisions();
// The revision a server answered with, or nullptr when the gateway does not speak it.
const ProtocolRevision* findRevision(const std::string& version);
std::string supportedVersionList(); // "2026-07-28, 2025-11-25, 2025-06-18, ..."

// The gateway as a client names itself: {"name":"mission-control","title":…,"version":…}.
std::string clientInfoJson();

// What every request of the 2026-07-28 era carries in params._meta, as object members without the
// braces: the protocol version, the client, its capabilities (a JSON object) and, when not empty, the
// log level the server should send messages at.
std::string modernMetaMembers(const std::string& capabilitiesJson, const std::string& logLevel);

// How a server is spoken to (mcp.servers.<id>.protocol): "auto" probes the new era with server/discover
// and falls back to initialize; a version pins its era.
inline constexpr const char* kProtocolAuto = "auto";
bool isProtocolChoice(const std::string& choice);
std::string protocolChoiceList(); // "auto, 2026-07-28, 2025-11-25"

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
