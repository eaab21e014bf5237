#pragma once
// The MCP 2026-07-28 revision ("modern": no initialize, no session) as it appears on the wire: the
// version, the params._meta keys every request carries, the error codes of the era, and the HTTP
// headers that mirror a request's body (MCP-Protocol-Version, Mcp-Method, Mcp-Name) with the
// "=?base64?…?=" form for values a header cannot carry as they are. One definition for the host's
// server face and client, the stdio bridge and the mcp-http transport.
#include <optional>
#include <string>
#include <string_view>

namespace mc::mcp::modern {

inline constexpr const char* kVersion = "2026-07-28";

// params._meta keys
inline constexpr const char* kMetaVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kMetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kMetaLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";       // in a result's _meta
inline constexpr const char* kMetaSubscriptionId = "io.modelcontextprotocol/subscriptionId"; // on a listen stream's notifications
inline constexpr const char* kMetaPrefix = "io.modelcontextprotocol/";                     // the protocol's own keys

// JSON-RPC error codes of the era
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingCapability = -32021;
inline constexpr int kUnsupportedVersion = -32022;

// The params member that Mcp-Name mirrors for `method` ("name" for tools/call and prompts/get, "uri"
// for resources/read), or nullptr when the method has no Mcp-Name header.
const char* nameMember(std::string_view method);

// A header value as the transport carries it: as it is when it is visible ASCII without edge spaces
// (and does not itself look encoded), else "=?base64?<UTF-8 in base64>?=".
std::string encodeHeaderValue(const std::string& value);
// A header value as its sender meant it: "=?base64?<b64>?=" decoded, nullopt when that form does not
// decode; anything else as it is.
std::optional<std::string> decodeHeaderValue(const std::string& value);

} // namespace mc::mcp::modern
