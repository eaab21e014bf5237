#include "HttpTransportConfig.h"

#include "mc/sdk.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>

namespace mc::mcp_http {
namespace {

[[noreturn]] void invalid(const std::string& reason) { throw sdk::Error(MC_ERR_CONFIG, "mcp-http config: " + reason); }

// Structured config carries numbers and booleans; the flat properties form carries strings. Both work.
long long milliseconds(const Poco::JSON::Object& obj, const std::string& key, long long fallback) {
    if (!obj.has(key) || obj.get(key).isEmpty()) return fallback;
    const Poco::Dynamic::Var value = obj.get(key);
    long long ms = 0;
    if (value.isString()) {
        const std::string text = Poco::trim(value.toString());
        if (text.empty()) return fallback;
        std::size_t used = 0;
        try {
            ms = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size()) invalid("'" + key + "' must be a whole number of milliseconds, got '" + text + "'");
    } else if (value.isNumeric()) {
        const double d = value.convert<double>();
        ms = static_cast<long long>(d);
        if (static_cast<double>(ms) != d) invalid("'" + key + "' must be a whole number of milliseconds");
    } else {
        invalid("'" + key + "' must be a number of milliseconds");
    }
    if (ms <= 0 || ms > 3600000) invalid("'" + key + "' must be between 1 and 3600000 ms, got " + std::to_string(ms));
    return ms;
}

bool boolean(const Poco::JSON::Object& obj, const std::string& key, bool fallback) {
    if (!obj.has(key) || obj.get(key).isEmpty()) return fallback;
    const Poco::Dynamic::Var value = obj.get(key);
    if (value.isBoolean()) return value.extract<bool>();
    if (value.isString()) {
        const std::string text = Poco::toLower(Poco::trim(value.toString()));
        if (text.empty()) return fallback;
        if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
        if (text == "false" || text == "no" || text == "off" || text == "0") return false;
    }
    invalid("'" + key + "' must be true or false, got '" + value.toString() + "'");
}

// Headers the transport sets itself; a configured value would break the protocol.
bool isManagedHeader(const std::string& name) {
    static const char* const kManaged[] = {"accept", "content-type", "content-length", "mcp-session-id",
                                           "mcp-protocol-version", "last-event-id", "host",
                                           "transfer-encoding", "connection"};
    const std::string lower = Poco::toLower(name);
    return std::any_of(std::begin(kManaged), std::end(kManaged), [&](const char* m) { return lower == m; });
}

void addHeader(HttpTransportConfig& config, const std::string& name, const Poco::Dynamic::Var& value) {
    if (name.empty()) invalid("a header name is empty");
    for (unsigned char c : name) {
        // RFC 9110 token characters only.
        if (!(std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos))
            invalid("header name '" + name + "' is not a valid HTTP token");
    }
    if (isManagedHeader(name)) invalid("header '" + name + "' is set by the transport and cannot be configured");
    if (!value.isString()) invalid("header '" + name + "' must have a string value");
    const std::string text = value.toString();
    if (text.find_first_of("\r\n") != std::string::npos || text.find('\0') != std::string::npos)
        invalid("header '" + name + "' contains a line break");
    config.headers.emplace_back(name, text);
}

} // namespace

std::string HttpTransportConfig::describe() const {
    return id.empty() ? url.toString() : id + " (" + url.toString() + ")";
}

HttpTransportConfig HttpTransportConfig::parse(std::string_view json) {
    Poco::JSON::Object::Ptr obj;
    try {
        obj = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        invalid("not a JSON object");
    }
    if (!obj) invalid("not a JSON object");

    HttpTransportConfig config;
    if (obj->has("id")) config.id = obj->get("id").toString();

    const std::string transport = obj->has("transport") ? Poco::toLower(obj->get("transport").toString()) : "http";
    if (transport == "http" || transport == "streamable-http" || transport == "streamablehttp")
        config.mode = TransportMode::StreamableWithFallback;
    else if (transport == "sse")
        config.mode = TransportMode::LegacySse;
    else
        invalid("'transport' must be \"http\" or \"sse\", got \"" + transport + "\"");

    if (!obj->has("url") || obj->get("url").isEmpty() || obj->get("url").toString().empty())
        invalid("'url' is required (e.g. http://127.0.0.1:3001/mcp)");
    const std::string urlText = obj->get("url").toString();
    try {
        config.url = Poco::URI(urlText);
    } catch (const std::exception&) {
        invalid("'url' is not a valid URL: '" + urlText + "'");
    }
    const std::string scheme = Poco::toLower(config.url.getScheme());
    if (scheme != "http" && scheme != "https") invalid("'url' must start with http:// or https://, got '" + urlText + "'");
    if (config.url.getHost().empty()) invalid("'url' has no host: '" + urlText + "'");
    if (!config.url.getUserInfo().empty()) invalid("'url' must not carry credentials; use 'headers' instead");
    if (config.url.getPath().empty()) config.url.setPath("/");
    config.url.setFragment("");

    if (obj->has("headers") && !obj->get("headers").isEmpty()) {
        const Poco::Dynamic::Var headers = obj->get("headers");
        if (headers.type() != typeid(Poco::JSON::Object::Ptr)) invalid("'headers' must be an object of name: value");
        const auto headerObj = headers.extract<Poco::JSON::Object::Ptr>();
        for (const auto& [name, value] : *headerObj) addHeader(config, name, value);
    }
    // The flat properties form: headers.<Name> = value
    for (const auto& [key, value] : *obj) {
        if (key.rfind("headers.", 0) == 0) addHeader(config, key.substr(8), value);
    }

    if (obj->has("connect_address") && !obj->get("connect_address").isEmpty()) {
        const std::string text = Poco::trim(obj->get("connect_address").toString());
        Poco::Net::IPAddress address;
        if (!text.empty()) {
            if (!Poco::Net::IPAddress::tryParse(text, address))
                invalid("'connect_address' must be an IP address, got '" + text + "'");
            config.connectAddress = address;
        }
    }

    config.connectTimeoutMs = milliseconds(*obj, "connect_timeout_ms", config.connectTimeoutMs);
    config.readTimeoutMs = milliseconds(*obj, "read_timeout_ms", config.readTimeoutMs);
    config.tlsVerify = boolean(*obj, "tls_verify", true);
    return config;
}

} // namespace mc::mcp_http
