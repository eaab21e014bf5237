#pragma once
// A request of the MCP 2026-07-28 revision ("modern": no initialize, no session): what it says of
// itself in params._meta (protocol version, client, capabilities, log level, trace context), and
// whether the HTTP headers that mirror its body (MCP-Protocol-Version, Mcp-Method, Mcp-Name) agree
// with it. Read once at the edge; the face passes the result on.
#include "mc/mcp/ModernWire.h"

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

namespace mc::host {

struct ModernMeta {
    std::string protocolVersion;
    std::string clientName, clientVersion; // io.modelcontextprotocol/clientInfo ("" when absent)
    bool sampling = false, elicitation = false, roots = false; // io.modelcontextprotocol/clientCapabilities
    std::string logLevel;                                     // io.modelcontextprotocol/logLevel ("": no log messages)
    std::string traceparent;                                  // W3C trace context in _meta ("" when absent)
};

// Why a modern request is refused before it is served: a JSON-RPC error whose HTTP status the web layer
// picks from `kind`.
struct ModernRefusal {
    enum class Kind { BadRequest, NoSuchMethod };
    Kind kind = Kind::BadRequest;
    int code = 0;
    std::string message;
    std::string dataJson; // the error's "data" member ("" when none)
};

// What the request's HTTP headers said (nullopt: the header was absent).
struct ModernHeaders {
    std::optional<std::string> protocolVersion, method, name;
};

namespace modern {

using mc::mcp::modern::decodeHeaderValue;
using mc::mcp::modern::kHeaderMismatch;
using mc::mcp::modern::kMetaVersion;
using mc::mcp::modern::kMissingCapability;
using mc::mcp::modern::kUnsupportedVersion;
using mc::mcp::modern::kVersion;

// The protocol versions of the new era this server speaks, newest first.
const std::vector<std::string>& versions();
// A request is of the new era when its _meta names a protocol version (server/discover always is).
bool isModern(const std::string& method, const Poco::JSON::Object::Ptr& params);
// Reads params._meta; a refusal when the version is not spoken here (`allVersions`: every version, of
// both eras, named in the error) or a required member is missing or of the wrong type.
std::optional<ModernRefusal> readMeta(const Poco::JSON::Object::Ptr& params, const std::vector<std::string>& allVersions, ModernMeta& out);
// Whether the headers mirror the body: MCP-Protocol-Version = the _meta version, Mcp-Method = method,
// Mcp-Name = params.name (tools/call, prompts/get) or params.uri (resources/read), decoded from the
// =?base64?…?= form first.
std::optional<ModernRefusal> headersAgree(const ModernHeaders& headers, const std::string& method, const Poco::JSON::Object::Ptr& params,
                                          const std::string& version);
} // namespace modern
} // namespace mc::host
