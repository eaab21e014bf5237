#include "gateway/McpServerConfig.h"

#include "gateway/McpProtocol.h"
#include "gateway/SecretPlaceholders.h"
#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace mc::host {
namespace {

const std::set<std::string> kStdioFields = {"command", "args", "env", "inherit_env", "cwd", "shutdown_grace_ms"};
const std::set<std::string> kHttpFields = {"url", "headers", "connect_timeout_ms", "read_timeout_ms"};
const std::set<std::string> kCommonFields = {"id", "transport", "log_level"};

std::string typeName(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "an object";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "an array";
    if (v.isString()) return "a string";
    if (v.isBoolean()) return "a boolean";
    if (v.isNumeric()) return "a number";
    return "another type";
}

std::string requireString(const Poco::JSON::Object& body, const std::string& field, bool required) {
    if (!body.has(field) || body.get(field).isEmpty()) {
        if (required) throw McpConfigError(field, "\"" + field + "\" is required");
        return {};
    }
    const auto v = body.get(field);
    if (!v.isString()) throw McpConfigError(field, "\"" + field + "\" must be a string, not " + typeName(v));
    return v.extract<std::string>();
}

long long readMillis(const Poco::JSON::Object& body, const std::string& field, long long fallback, long long min,
                     long long max) {
    if (!body.has(field) || body.get(field).isEmpty()) return fallback;
    const auto v = body.get(field);
    long long value = 0;
    if (v.isInteger()) {
        value = v.convert<long long>();
    } else if (v.isString()) {
        Poco::Int64 parsed = 0;
        if (!Poco::NumberParser::tryParse64(Poco::trim(v.extract<std::string>()), parsed))
            throw McpConfigError(field, "\"" + field + "\" must be an integer number of milliseconds");
        value = parsed;
    } else {
        throw McpConfigError(field, "\"" + field + "\" must be an integer number of milliseconds, not " + typeName(v));
    }
    if (value < min || value > max)
        throw McpConfigError(field, "\"" + field + "\" must be in " + std::to_string(min) + ".." + std::to_string(max) +
                                        " (got " + std::to_string(value) + ")");
    return value;
}

std::map<std::string, std::string> readStringMap(const Poco::JSON::Object& body, const std::string& field) {
    std::map<std::string, std::string> out;
    if (!body.has(field) || body.get(field).isEmpty()) return out;
    const auto v = body.get(field);
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
        throw McpConfigError(field, "\"" + field + "\" must be an object of string values, not " + typeName(v));
    const auto object = v.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [key, value] : *object) {
        if (key.empty()) throw McpConfigError(field, "\"" + field + "\" has an empty name");
        if (!value.isString())
            throw McpConfigError(field, "\"" + field + "\"." + key + " must be a string, not " + typeName(value));
        out[key] = value.extract<std::string>();
    }
    return out;
}

bool validHeaderName(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// Header and env values may hold placeholders; a malformed one is refused with the definition.
void requireValidPlaceholders(const std::string& field, const std::map<std::string, std::string>& values) {
    for (const auto& [name, value] : values) {
        try {
            secretPlaceholdersIn(value);
        } catch (const std::invalid_argument& e) {
            throw McpConfigError(field, "\"" + field + "\"." + name + ": " + e.what());
        }
    }
}

void appendStringMap(std::string& out, const char* name, const std::map<std::string, std::string>& map) {
    out += ",\"";
    out += name;
    out += "\":{";
    bool first = true;
    for (const auto& [k, v] : map) {
        if (!first) out += ',';
        first = false;
        out += json::quote(k) + ":" + json::quote(v);
    }
    out += '}';
}

} // namespace

const char* transportName(McpTransportKind kind) {
    switch (kind) {
    case McpTransportKind::Stdio: return "stdio";
    case McpTransportKind::Http: return "http";
    case McpTransportKind::Sse: return "sse";
    }
    return "stdio";
}

bool isValidEnvName(const std::string& name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool isValidMcpId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    if (!std::isalnum(static_cast<unsigned char>(id[0])) || std::isupper(static_cast<unsigned char>(id[0]))) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (std::isalnum(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c))) || c == '-' ||
               c == '_';
    });
}

McpServerConfig parseMcpServerConfig(const Poco::JSON::Object& body) {
    McpServerConfig c;
    c.id = requireString(body, "id", true);
    if (!isValidMcpId(c.id))
        throw McpConfigError("id", "\"id\" '" + c.id +
                                       "' is invalid: use 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit");
    const std::string transport = requireString(body, "transport", true);
    if (transport == "stdio") c.transport = McpTransportKind::Stdio;
    else if (transport == "http") c.transport = McpTransportKind::Http;
    else if (transport == "sse") c.transport = McpTransportKind::Sse;
    else throw McpConfigError("transport", "\"transport\" must be stdio, http or sse (got '" + transport + "')");

    const bool stdio = c.transport == McpTransportKind::Stdio;
    for (const auto& [key, value] : body) {
        if (kCommonFields.count(key)) continue;
        if (kStdioFields.count(key)) {
            if (!stdio) throw McpConfigError(key, "\"" + key + "\" applies to stdio servers only, not to transport " + transport);
            continue;
        }
        if (kHttpFields.count(key)) {
            if (stdio) throw McpConfigError(key, "\"" + key + "\" applies to http/sse servers only, not to transport stdio");
            continue;
        }
        throw McpConfigError(key, "unknown field \"" + key + "\"");
    }

    if (stdio) {
        c.command = requireString(body, "command", true);
        if (Poco::trim(c.command).empty()) throw McpConfigError("command", "\"command\" must not be empty");
        if (body.has("args") && !body.get("args").isEmpty()) {
            const auto v = body.get("args");
            if (v.type() != typeid(Poco::JSON::Array::Ptr))
                throw McpConfigError("args", "\"args\" must be an array of strings, not " + typeName(v));
            const auto array = v.extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < array->size(); ++i) {
                const auto item = array->get(static_cast<unsigned>(i));
                if (!item.isString())
                    throw McpConfigError("args", "\"args\"[" + std::to_string(i) + "] must be a string, not " + typeName(item));
                c.args.push_back(item.extract<std::string>());
            }
        }
        c.env = readStringMap(body, "env");
        for (const auto& [k, v] : c.env)
            if (k.find('=') != std::string::npos) throw McpConfigError("env", "\"env\" name '" + k + "' contains '='");
        requireValidPlaceholders("env", c.env);
        if (body.has("inherit_env") && !body.get("inherit_env").isEmpty()) {
            const auto v = body.get("inherit_env");
            if (v.type() != typeid(Poco::JSON::Array::Ptr))
                throw McpConfigError("inherit_env", "\"inherit_env\" must be an array of variable names, not " + typeName(v));
            const auto array = v.extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < array->size(); ++i) {
                const auto item = array->get(static_cast<unsigned>(i));
                const std::string at = "\"inherit_env\"[" + std::to_string(i) + "]";
                if (!item.isString()) throw McpConfigError("inherit_env", at + " must be a string, not " + typeName(item));
                const std::string name = item.extract<std::string>();
                if (!isValidEnvName(name))
                    throw McpConfigError("inherit_env", at + " '" + name + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
                if (name.rfind("MC_", 0) == 0)
                    throw McpConfigError("inherit_env", at + " names " + name +
                                                            ": MC_* variables hold the host's own configuration and are "
                                                            "never passed to MCP servers");
                c.inheritEnv.push_back(name);
            }
        }
        c.cwd = requireString(body, "cwd", false);
        c.shutdownGraceMs = readMillis(body, "shutdown_grace_ms", 2000, 0, 600000);
    } else {
        c.url = requireString(body, "url", true);
        try {
            Poco::URI uri(c.url);
            const std::string scheme = Poco::toLower(uri.getScheme());
            if (scheme != "http" && scheme != "https")
                throw McpConfigError("url", "\"url\" must be an http:// or https:// URL (got '" + c.url + "')");
            if (uri.getHost().empty()) throw McpConfigError("url", "\"url\" has no host: '" + c.url + "'");
        } catch (const Poco::SyntaxException& e) {
            throw McpConfigError("url", "\"url\" is not a valid URL: " + e.displayText());
        }
        c.headers = readStringMap(body, "headers");
        for (const auto& [k, v] : c.headers) {
            if (!validHeaderName(k)) throw McpConfigError("headers", "\"headers\" name '" + k + "' is not a valid HTTP header name");
            if (v.find_first_of("\r\n") != std::string::npos)
                throw McpConfigError("headers", "\"headers\"." + k + " must not contain line breaks");
        }
        requireValidPlaceholders("headers", c.headers);
        c.connectTimeoutMs = readMillis(body, "connect_timeout_ms", 5000, 1, 600000);
        c.readTimeoutMs = readMillis(body, "read_timeout_ms", 30000, 1, 3600000);
    }
    c.logLevel = requireString(body, "log_level", false);
    if (!c.logLevel.empty() && !mcp::isLoggingLevel(c.logLevel))
        throw McpConfigError("log_level", "\"log_level\" must be one of " + mcp::loggingLevelList() + " (got '" +
                                              c.logLevel + "')");
    return c;
}

std::string McpServerConfig::serverJson() const {
    std::string out = "{\"id\":" + json::quote(id) + ",\"transport\":" + json::quote(transportName(transport));
    if (transport == McpTransportKind::Stdio) {
        out += ",\"command\":" + json::quote(command) + ",\"args\":[";
        for (std::size_t i = 0; i < args.size(); ++i) out += (i ? "," : "") + json::quote(args[i]);
        out += ']';
        appendStringMap(out, "env", env);
        out += ",\"inherit_env\":[";
        for (std::size_t i = 0; i < inheritEnv.size(); ++i) out += (i ? "," : "") + json::quote(inheritEnv[i]);
        out += ']';
        if (!cwd.empty()) out += ",\"cwd\":" + json::quote(cwd);
        out += ",\"shutdown_grace_ms\":" + std::to_string(shutdownGraceMs);
    } else {
        out += ",\"url\":" + json::quote(url);
        appendStringMap(out, "headers", headers);
        if (!connectAddress.empty()) out += ",\"connect_address\":" + json::quote(connectAddress);
        out += ",\"connect_timeout_ms\":" + std::to_string(connectTimeoutMs);
        out += ",\"read_timeout_ms\":" + std::to_string(readTimeoutMs);
    }
    out += '}';
    return out;
}

std::string McpServerConfig::endpoint() const {
    if (transport != McpTransportKind::Stdio) return url;
    std::string out = command;
    for (const auto& a : args) out += " " + a;
    return out;
}

std::vector<std::string> configuredMcpServerIds(const Poco::Util::AbstractConfiguration& config) {
    Poco::Util::AbstractConfiguration::Keys ids;
    config.keys("mcp.servers", ids);
    std::sort(ids.begin(), ids.end());
    return ids;
}

McpServerConfig readMcpServerConfig(const Poco::Util::AbstractConfiguration& config, const std::string& id) {
    const std::string prefix = "mcp.servers." + id;
    static const std::set<std::string> jsonFields = {"args", "env", "inherit_env", "headers"};
    Poco::JSON::Object body;
    body.set("id", id);
    Poco::Util::AbstractConfiguration::Keys fields;
    config.keys(prefix, fields);
    for (const auto& field : fields) {
        const std::string value = Poco::trim(config.getRawString(prefix + "." + field, ""));
        if (jsonFields.count(field)) {
            try {
                Poco::JSON::Parser parser;
                body.set(field, parser.parse(value));
            } catch (const Poco::Exception& e) {
                throw McpConfigError(prefix + "." + field, "invalid configuration: " + prefix + "." + field + " = '" + value +
                                                               "': expected JSON text (" + e.displayText() + ")");
            }
        } else if (field == "id") {
            throw McpConfigError(prefix + ".id", "invalid configuration: " + prefix +
                                                     ".id: the id is the key's name (" + id + "), not a field");
        } else {
            body.set(field, value);
        }
    }
    try {
        return parseMcpServerConfig(body);
    } catch (const McpConfigError& e) {
        const std::string key = e.field == "id" ? prefix : prefix + "." + e.field;
        throw McpConfigError(key, "invalid configuration: " + key + ": " + e.what());
    }
}

} // namespace mc::host
