#include "gateway/McpServerConfig.h"

#include "gateway/McpProtocol.h"
#include "gateway/SecretPlaceholders.h"
#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace mc::host {
namespace {

const std::set<std::string> kGatewayFields = {"id", "transport", "log_level", "protocol", "roots", "service_name"};

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

bool isTransportName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

// String values of an object field may hold placeholders; a malformed one is refused with the definition.
void requireValidPlaceholders(const std::string& field, const Poco::JSON::Object& object) {
    for (const auto& [name, value] : object) {
        if (!value.isString()) continue;
        try {
            secretPlaceholdersIn(value.extract<std::string>());
        } catch (const std::invalid_argument& e) {
            throw McpConfigError(field, "\"" + field + "\"." + name + ": " + e.what());
        }
    }
}

// inherit_env passes host variables on: never the host's own MC_* ones.
void checkInheritEnv(const Poco::Dynamic::Var& v) {
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) return; // its shape is the transport's to check
    const auto array = v.extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = array->get(static_cast<unsigned>(i));
        if (!item.isString()) continue;
        const std::string name = item.extract<std::string>();
        if (name.rfind("MC_", 0) == 0)
            throw McpConfigError("inherit_env", "\"inherit_env\"[" + std::to_string(i) + "] names " + name +
                                                    ": MC_* variables hold the host's own configuration and are never "
                                                    "passed to MCP servers");
    }
}

// "roots": an array of absolute paths or file:// URIs, or of {"uri","name"} objects; as the JSON array
// of {"uri"[,"name"]} that roots/list answers with.
std::string parseRoots(const Poco::Dynamic::Var& value) {
    if (value.type() != typeid(Poco::JSON::Array::Ptr))
        throw McpConfigError("roots", "\"roots\" must be an array of absolute paths, file:// URIs or {\"uri\",\"name\"} objects, not " +
                                          typeName(value));
    const auto array = value.extract<Poco::JSON::Array::Ptr>();
    std::string out;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = array->get(static_cast<unsigned>(i));
        const std::string at = "\"roots\"[" + std::to_string(i) + "]";
        std::string uri, name;
        if (item.isString()) {
            uri = item.extract<std::string>();
        } else if (item.type() == typeid(Poco::JSON::Object::Ptr)) {
            const auto object = item.extract<Poco::JSON::Object::Ptr>();
            if (!object->has("uri") || !object->get("uri").isString()) throw McpConfigError("roots", at + ".uri is required (a string)");
            uri = object->getValue<std::string>("uri");
            if (object->has("name")) {
                if (!object->get("name").isString()) throw McpConfigError("roots", at + ".name must be a string");
                name = object->getValue<std::string>("name");
            }
        } else {
            throw McpConfigError("roots", at + " must be a path, a file:// URI or an object, not " + typeName(item));
        }
        if (!uri.empty() && uri.front() == '/') uri = "file://" + uri;
        if (uri.rfind("file:///", 0) != 0)
            throw McpConfigError("roots", at + " '" + uri + "' is neither an absolute path nor a file:// URI (roots are file:// URIs)");
        out += std::string(out.empty() ? "" : ",") + "{\"uri\":" + json::quote(uri) + (name.empty() ? "" : ",\"name\":" + json::quote(name)) + "}";
    }
    return "[" + out + "]";
}

} // namespace

std::string McpServerConfig::text(const std::string& name) const {
    auto it = fields.find(name);
    return it != fields.end() && it->second.isString() ? it->second.extract<std::string>() : std::string();
}

std::vector<std::string> McpServerConfig::strings(const std::string& name) const {
    std::vector<std::string> out;
    auto it = fields.find(name);
    if (it == fields.end() || it->second.type() != typeid(Poco::JSON::Array::Ptr)) return out;
    const auto array = it->second.extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = array->get(static_cast<unsigned>(i));
        if (item.isString()) out.push_back(item.extract<std::string>());
    }
    return out;
}

std::map<std::string, std::string> McpServerConfig::stringMap(const std::string& name) const {
    std::map<std::string, std::string> out;
    auto it = fields.find(name);
    if (it == fields.end() || it->second.type() != typeid(Poco::JSON::Object::Ptr)) return out;
    for (const auto& [key, value] : *it->second.extract<Poco::JSON::Object::Ptr>())
        if (value.isString()) out[key] = value.extract<std::string>();
    return out;
}

std::string McpServerConfig::serverJson() const {
    std::string out = "{\"id\":" + json::quote(id) + ",\"transport\":" + json::quote(transport);
    if (!logLevel.empty()) out += ",\"log_level\":" + json::quote(logLevel);
    for (const auto& [name, value] : fields) out += "," + json::quote(name) + ":" + json::stringify(value);
    out += '}';
    return out;
}

std::string McpServerConfig::endpoint() const {
    if (const std::string url = text("url"); !url.empty()) return url;
    if (const std::string command = text("command"); !command.empty()) {
        std::string out = command;
        for (const auto& a : strings("args")) out += " " + a;
        return out;
    }
    return transport + ":" + id;
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
    c.transport = requireString(body, "transport", true);
    if (!isTransportName(c.transport))
        throw McpConfigError("transport", "\"transport\" '" + c.transport +
                                              "' is not a transport name (lower-case letters, digits, '-' or '_')");
    c.logLevel = requireString(body, "log_level", false);
    if (!c.logLevel.empty() && !mcp::isLoggingLevel(c.logLevel))
        throw McpConfigError("log_level", "\"log_level\" must be one of " + mcp::loggingLevelList() + " (got '" +
                                              c.logLevel + "')");
    if (const std::string protocol = requireString(body, "protocol", false); !protocol.empty()) {
        if (!mcp::isProtocolChoice(protocol))
            throw McpConfigError("protocol", "\"protocol\" must be one of " + mcp::protocolChoiceList() + " (got '" + protocol + "')");
        c.protocol = protocol;
    }
    if (body.has("roots") && !body.get("roots").isEmpty()) c.rootsJson = parseRoots(body.get("roots"));
    c.serviceName = requireString(body, "service_name", false);
    for (const auto& [key, value] : body) {
        if (kGatewayFields.count(key)) continue;
        if (key == "connect_address")
            throw McpConfigError(key, "\"connect_address\" is set by the host (discovery pins the address it judged), "
                                      "never by a definition");
        if (value.type() == typeid(Poco::JSON::Object::Ptr)) requireValidPlaceholders(key, *value.extract<Poco::JSON::Object::Ptr>());
        if (key == "inherit_env") checkInheritEnv(value);
        c.fields[key] = value;
    }
    return c;
}

std::vector<std::string> configuredMcpServerIds(const Poco::Util::AbstractConfiguration& config) {
    Poco::Util::AbstractConfiguration::Keys ids;
    config.keys("mcp.servers", ids);
    std::sort(ids.begin(), ids.end());
    return ids;
}

McpServerConfig readMcpServerConfig(const Poco::Util::AbstractConfiguration& config, const std::string& id) {
    const std::string prefix = "mcp.servers." + id;
    Poco::JSON::Object body;
    body.set("id", id);
    Poco::Util::AbstractConfiguration::Keys fields;
    config.keys(prefix, fields);
    for (const auto& field : fields) {
        const std::string value = Poco::trim(config.getRawString(prefix + "." + field, ""));
        Poco::Int64 number = 0;
        if (field == "id") {
            throw McpConfigError(prefix + ".id", "invalid configuration: " + prefix +
                                                     ".id: the id is the key's name (" + id + "), not a field");
        } else if (!value.empty() && (value.front() == '[' || value.front() == '{')) {
            try {
                body.set(field, json::parse(value));
            } catch (const Poco::Exception& e) {
                throw McpConfigError(prefix + "." + field, "invalid configuration: " + prefix + "." + field + " = '" + value +
                                                               "': expected JSON text (" + e.displayText() + ")");
            }
        } else if (Poco::NumberParser::tryParse64(value, number)) {
            body.set(field, number);
        } else if (value == "true" || value == "false") {
            body.set(field, value == "true");
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
