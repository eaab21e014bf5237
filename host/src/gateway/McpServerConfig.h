#pragma once
// The definition of one MCP server the gateway connects to, from either source: a REST body
// (POST /api/mcps) or host.properties (`mcp.servers.<id>.<field>`). The gateway knows only what it
// uses itself: `id`, `transport` (a name some transport plugin serves), `log_level`, `protocol`, `roots` and `service_name`. Everything
// else is the transport's own (command/args/env for stdio, url/headers for http, ...): kept as
// written, handed to the transport plugin as server_json, and checked by the plugin's validate()
// (McpGateway), whose message names the field.
//
// Secrets: string values of object fields (e.g. headers.*, env.*) may hold ${env:..}/${file:..}
// placeholders, resolved by the host just before the definition goes to open_connection
// (SecretPlaceholders.h); nothing the API answers, publishes or logs holds a resolved value.
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

// An invalid server definition; `field` names the offending field ("id", "transport", ...).
class McpConfigError : public std::runtime_error {
public:
    McpConfigError(std::string field, const std::string& message)
        : std::runtime_error(message), field(std::move(field)) {}
    std::string field;
};

struct McpServerConfig {
    std::string id;
    std::string transport; // e.g. "stdio", "http", "sse": the transport plugin that serves it decides the rest
    std::string logLevel;  // MCP logging level for logging/setLevel; empty: the gateway default
    // Which era the server is spoken to in: "auto" (server/discover, then initialize when the server
    // is not of the new era), "2026-07-28" or "2025-11-25". Never handed to the transport.
    std::string protocol = "auto";
    // The roots the gateway offers this server as its client (roots/list): a JSON array of
    // {"uri":"file:///…"[,"name":…]}, "" when none (then no roots capability is declared).
    std::string rootsJson;
    // The service.name under which the server exports its own OpenTelemetry, when it is not its id:
    // what the OTLP receiver gets from it is joined to this server ("" when none).
    std::string serviceName;
    // The transport's own fields, as written (member name -> JSON value). Never interpreted by the
    // gateway; the read-only views below serve the host's own policies (discovery's deduplication
    // and allowlists, POST /api/mcps's stdio switch, display).
    std::map<std::string, Poco::Dynamic::Var> fields;

    bool has(const std::string& name) const { return fields.count(name) > 0; }
    std::string text(const std::string& name) const;                      // a string field, else ""
    std::vector<std::string> strings(const std::string& name) const;      // an array of strings, else {}
    std::map<std::string, std::string> stringMap(const std::string& name) const; // an object's string members
    void set(const std::string& name, Poco::Dynamic::Var value) { fields[name] = std::move(value); }

    // The transport that starts a process on this host (what gateway.allow_api_stdio and discovery's
    // stdio rules are about).
    bool startsProcess() const { return transport == "stdio"; }

    // The server_json handed to the transport plugin's validate() and open_connection():
    // {"id","transport"[,"log_level"],...fields}.
    std::string serverJson() const;
    // What an operator sees as the server's address: its "url", else its "command" line, else
    // "<transport>:<id>".
    std::string endpoint() const;
};

// "[A-Za-z_][A-Za-z0-9_]*": the names inherit_env and ${env:NAME} accept.
bool isValidEnvName(const std::string& name);

// "[a-z0-9][a-z0-9_-]{0,63}": the id appears in channel names (logs:mcp:<id>) and URLs.
bool isValidMcpId(const std::string& id);

// From a REST body: id, transport and log_level checked; every other member kept as the transport's
// (placeholders in object members must be well-formed; inherit_env names never MC_*). Throws
// McpConfigError.
McpServerConfig parseMcpServerConfig(const Poco::JSON::Object& body);

// From `mcp.servers.<id>.*` in the host configuration: a value that is JSON array or object text
// ("[..]", "{..}") is that JSON, an integer is a number, true/false a boolean, anything else a string.
// Throws McpConfigError with the full key as field (e.g. "mcp.servers.files.args").
McpServerConfig readMcpServerConfig(const Poco::Util::AbstractConfiguration& config, const std::string& id);

// The ids under `mcp.servers`, sorted.
std::vector<std::string> configuredMcpServerIds(const Poco::Util::AbstractConfiguration& config);

} // namespace mc::host
