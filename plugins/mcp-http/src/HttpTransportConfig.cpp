#include "HttpTransportConfig.h"

#include "ServerDefinition.h"

#include <Poco/String.h>

#include <algorithm>
#include <cctype>

namespace mc::mcp_http {
namespace {

using mcp_transport::refuse;
namespace json = mc::sdk::json;

// Headers the transport sets itself; a configured value would break the protocol.
bool isManagedHeader(const std::string& name) {
    static const char* const kManaged[] = {"accept", "content-type", "content-length", "mcp-session-id",
                                           "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id", "host",
                                           "transfer-encoding", "connection"};
    const std::string lower = Poco::toLower(name);
    return std::any_of(std::begin(kManaged), std::end(kManaged), [&](const char* m) { return lower == m; });
}

// RFC 9110 token characters only.
bool validHeaderName(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// The flat properties form ("headers.<Name>": value members) folded into "headers".
std::string foldFlatHeaders(std::string_view serverJson) {
    json::Value root;
    try {
        root = json::parse(serverJson);
    } catch (const json::ParseError&) {
        return std::string(serverJson); // the table's check reports it
    }
    if (!root.isObject()) return std::string(serverJson);
    bool flat = false;
    for (const auto& m : root.members()) flat = flat || m.name.rfind("headers.", 0) == 0;
    if (!flat) return std::string(serverJson);
    json::Value out = json::Value::object();
    json::Value headers = json::Value::object();
    if (const json::Value* given = root.find("headers"); given && given->isObject()) headers = *given;
    for (const auto& m : root.members()) {
        if (m.name.rfind("headers.", 0) == 0) headers.set(m.name.substr(8), m.value);
        else if (m.name != "headers") out.set(m.name, m.value);
    }
    if (const json::Value* given = root.find("headers"); given && !given->isObject() && !given->isNull())
        out.set("headers", *given); // refused as it is by the check
    else
        out.set("headers", std::move(headers));
    return out.dump();
}

} // namespace

std::string HttpTransportConfig::describe() const {
    return id.empty() ? url.toString() : id + " (" + url.toString() + ")";
}

HttpTransportConfig HttpTransportConfig::parse(std::string_view serverJson, const InstanceSettings& instance) {
    const std::string folded = foldFlatHeaders(serverJson);
    HttpServer server;
    server.connectTimeoutMs = instance.connectTimeoutMs;
    server.readTimeoutMs = instance.readTimeoutMs;
    server.tlsVerify = instance.tlsVerify;
    static const std::map<std::string, std::string> kStdioFields = {
        {"command", "stdio"}, {"args", "stdio"}, {"env", "stdio"}, {"inherit_env", "stdio"}, {"cwd", "stdio"},
        {"shutdown_grace_ms", "stdio"}, {"terminate_grace_ms", "stdio"}, {"max_line_bytes", "stdio"},
        {"max_stderr_line_bytes", "stdio"}, {"max_send_queue_bytes", "stdio"}};
    mcp_transport::readServerDefinition(kServerFields, folded, "http,sse,streamable-http,streamablehttp", "mcp-http",
                                        server, kStdioFields);

    HttpTransportConfig config;
    config.id = mcp_transport::memberText(folded, "id");
    const std::string transport = Poco::toLower(mcp_transport::memberText(folded, "transport"));
    config.mode = transport == "sse" ? TransportMode::LegacySse : TransportMode::StreamableWithFallback;

    const std::string& urlText = server.url;
    if (Poco::trim(urlText).empty()) refuse("\"url\" is required");
    try {
        config.url = Poco::URI(urlText);
    } catch (const Poco::Exception& e) {
        refuse("\"url\" is not a valid URL: " + e.displayText());
    }
    const std::string scheme = Poco::toLower(config.url.getScheme());
    if (scheme != "http" && scheme != "https")
        refuse("\"url\" must be an http:// or https:// URL (got '" + urlText + "')");
    if (config.url.getHost().empty()) refuse("\"url\" has no host: '" + urlText + "'");
    if (!config.url.getUserInfo().empty()) refuse("\"url\" must not carry credentials; use \"headers\" instead");
    if (config.url.getPath().empty()) config.url.setPath("/");
    config.url.setFragment("");

    for (const auto& [name, value] : server.headers) {
        if (!validHeaderName(name)) refuse("\"headers\" name '" + name + "' is not a valid HTTP header name");
        if (isManagedHeader(name)) refuse("\"headers\"." + name + " is set by the transport and cannot be configured");
        if (value.find_first_of("\r\n") != std::string::npos) refuse("\"headers\"." + name + " must not contain line breaks");
        config.headers.emplace_back(name, value);
    }

    const std::string address = Poco::trim(server.connectAddress);
    if (!address.empty()) {
        Poco::Net::IPAddress parsed;
        if (!Poco::Net::IPAddress::tryParse(address, parsed))
            refuse("\"connect_address\" must be an IP address, got '" + address + "'");
        config.connectAddress = parsed;
    }
    config.connectTimeoutMs = server.connectTimeoutMs;
    config.readTimeoutMs = server.readTimeoutMs;
    config.tlsVerify = server.tlsVerify;
    config.maxBodyBytes = static_cast<std::size_t>(instance.maxBodyBytes);
    config.maxQueuedMessages = static_cast<std::size_t>(instance.maxQueuedMessages);
    config.maxConnections = static_cast<std::size_t>(instance.maxConnections);
    return config;
}

} // namespace mc::mcp_http
