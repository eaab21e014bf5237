#pragma once
// The definition of one MCP server the gateway connects to, from either source: a REST body
// (POST /api/mcps) or host.properties (`mcp.servers.<id>.<field>`, with args/env/headers as JSON
// text). Both paths end in the same validation, so an invalid server is refused with the same
// message wherever it comes from.
#include <Poco/JSON/Object.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

// An invalid server definition; `field` names the offending field ("args", "url", ...).
class McpConfigError : public std::runtime_error {
public:
    McpConfigError(std::string field, const std::string& message)
        : std::runtime_error(message), field(std::move(field)) {}
    std::string field;
};

enum class McpTransportKind { Stdio, Http, Sse };

const char* transportName(McpTransportKind kind); // "stdio", "http", "sse"

struct McpServerConfig {
    std::string id;
    McpTransportKind transport = McpTransportKind::Stdio;
    // stdio
    std::string command;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;    // values may hold ${env:..}/${file:..} placeholders
    std::vector<std::string> inheritEnv;       // host variables passed on beyond the baseline; never MC_*
    std::string cwd;
    long long shutdownGraceMs = 2000;
    // http / sse
    std::string url;
    std::map<std::string, std::string> headers; // values may hold placeholders
    // The address to connect to instead of resolving the URL's host (the Host header, TLS name and
    // certificate check still use the URL's host). Set by discovery, which pins the address it
    // judged; never read from a REST body or host.properties.
    std::string connectAddress;
    long long connectTimeoutMs = 5000;
    long long readTimeoutMs = 30000;
    // gateway side
    std::string logLevel; // MCP logging level for logging/setLevel; empty: the gateway default

    // The server_json handed to the transport plugin's validate() and open_connection():
    // {"id","transport",...the transport's own fields}.
    std::string serverJson() const;
    // What an operator sees as the server's address: the URL, or the command line.
    std::string endpoint() const;
};

// "[A-Za-z_][A-Za-z0-9_]*": the names inherit_env and ${env:NAME} accept.
bool isValidEnvName(const std::string& name);

// "[a-z0-9][a-z0-9_-]{0,63}": the id appears in channel names (logs:mcp:<id>) and URLs.
bool isValidMcpId(const std::string& id);

// From a REST body. Unknown fields are refused (they are most likely typos). Throws McpConfigError.
McpServerConfig parseMcpServerConfig(const Poco::JSON::Object& body);

// From `mcp.servers.<id>.*` in the host configuration. Throws McpConfigError with the full key as
// field (e.g. "mcp.servers.files.args").
McpServerConfig readMcpServerConfig(const Poco::Util::AbstractConfiguration& config, const std::string& id);

// The ids under `mcp.servers`, sorted.
std::vector<std::string> configuredMcpServerIds(const Poco::Util::AbstractConfiguration& config);

} // namespace mc::host
