#pragma once
// The configuration of mcp-http, declared once (see README.md):
//  - the instance's keys (mcp.http.*): defaults of every server (timeouts, TLS verification) and the
//    connection limits;
//  - the server table: the fields of one http/sse server definition ({"id", "transport": "http" |
//    "sse", "url", "headers", "connect_address", and the per-server timeouts / tls_verify}), read by
//    validate() and open_connection().
#include "mc/sdk.hpp"

#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>

#include <cstdint>
#include <map>

#include <optional>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::mcp_http {

enum class TransportMode {
    StreamableWithFallback, // "http": Streamable HTTP, legacy HTTP+SSE when the server does not speak it
    LegacySse               // "sse": the 2024-11-05 HTTP+SSE transport only
};

struct InstanceSettings {
    std::int64_t connectTimeoutMs = 0;
    std::int64_t readTimeoutMs = 0;
    bool tlsVerify = true;
    std::int64_t maxBodyBytes = 0;
    std::int64_t maxQueuedMessages = 0;
    std::int64_t maxConnections = 0;
};

constexpr mc::sdk::Key<InstanceSettings> kSettings[] = {
    mc::sdk::key("connect_timeout_ms", &InstanceSettings::connectTimeoutMs).byDefault("5000").range(1, 600000)
        .help("TCP (and TLS) connect timeout per request, for servers that do not set their own"),
    mc::sdk::key("read_timeout_ms", &InstanceSettings::readTimeoutMs).byDefault("30000").range(1, 3600000)
        .help("Longest silence on a response or stream before it counts as failed, for servers that do not set their own"),
    mc::sdk::key("tls_verify", &InstanceSettings::tlsVerify).byDefault("true")
        .help("Verify https:// certificates against the system CAs, for servers that do not set their own"),
    mc::sdk::key("max_body_bytes", &InstanceSettings::maxBodyBytes).byDefault("67108864").range(1024, 1073741824)
        .help("Largest JSON response body read; a larger one fails the request"),
    mc::sdk::key("max_queued_messages", &InstanceSettings::maxQueuedMessages).byDefault("10000").range(1, 1000000)
        .help("Messages waiting to be sent per connection; beyond it send() refuses"),
    mc::sdk::key("max_connections", &InstanceSettings::maxConnections).byDefault("16").range(1, 256)
        .help("Requests in flight per server, each on its own keep-alive TCP connection read by one of as many "
              "workers; a further request waits for one to finish (a server's open GET stream has a thread of its own)"),
};

// One http/sse server definition as the table binds it.
struct HttpServer {
    std::string url;
    std::map<std::string, std::string> headers;
    std::string connectAddress;
    // Prefilled with the instance's.
    std::int64_t connectTimeoutMs = 0;
    std::int64_t readTimeoutMs = 0;
    bool tlsVerify = true;
};

// The server table. The timeouts and tls_verify have no default here: a definition that leaves one out
// gets the instance's (mcp.http.<key>, else its declared default).
constexpr mc::sdk::Key<HttpServer> kServerFields[] = {
    mc::sdk::key("url", &HttpServer::url).required()
        .help("The server's MCP endpoint, http:// or https:// (e.g. http://127.0.0.1:3001/mcp; the /sse URL for legacy servers)"),
    mc::sdk::key("headers", &HttpServer::headers)
        .help("Extra headers on every request, an object of name: value (values may hold ${env:..}/${file:..}, resolved by the host)"),
    mc::sdk::key("connect_address", &HttpServer::connectAddress)
        .help("Connect to this IP address instead of resolving the URL's host (set by discovery, which pins the address it judged)"),
    mc::sdk::key("connect_timeout_ms", &HttpServer::connectTimeoutMs).range(1, 600000)
        .help("Overrides mcp.http.connect_timeout_ms for this server"),
    mc::sdk::key("read_timeout_ms", &HttpServer::readTimeoutMs).range(1, 3600000)
        .help("Overrides mcp.http.read_timeout_ms for this server"),
    mc::sdk::key("tls_verify", &HttpServer::tlsVerify)
        .help("Overrides mcp.http.tls_verify for this server (keep true outside tests)"),
};
static_assert(mc::sdk::detail::tableProblem(kServerFields).problem == mc::sdk::detail::KeyProblem::None,
              "invalid server table");

struct HttpTransportConfig {
    std::string id;            // the MCP's id, for messages only
    TransportMode mode = TransportMode::StreamableWithFallback;
    Poco::URI url;
    std::vector<std::pair<std::string, std::string>> headers; // sent on every request
    // Connect here instead of resolving url's host (which still goes in Host, SNI and the certificate
    // check): the host's discovery pins the address it judged, so DNS cannot change it in between.
    std::optional<Poco::Net::IPAddress> connectAddress;
    long long connectTimeoutMs = 5000;
    long long readTimeoutMs = 30000;
    bool tlsVerify = true;
    std::size_t maxBodyBytes = 64u << 20;
    std::size_t maxQueuedMessages = 10000;
    std::size_t maxConnections = 16;

    bool isHttps() const { return url.getScheme() == "https"; }
    // "<id> (<url>)" or just the url, for error texts.
    std::string describe() const;

    // Reads one server definition against kServerFields with the instance's settings for what it leaves
    // out. Throws mc::sdk::Error(MC_ERR_CONFIG, reason) naming the field.
    static HttpTransportConfig parse(std::string_view json, const InstanceSettings& instance);
};

} // namespace mc::mcp_http
