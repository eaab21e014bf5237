#pragma once
// Reading one MCP server definition ({"id", "transport", "log_level", ...the transport's own fields})
// against a transport's server table (a mc::sdk::Key<S>[] like an instance's settings table), with the
// messages POST /api/mcps has always answered ("\"command\" is required", "unknown field \"comand\"",
// "\"args\" must be an array of strings, not a string", ...). Shared by mcp-stdio and mcp-http
// (header-only; mcp-http has this folder on its include path).
//
// What it accepts besides the table's JSON types, because the host's flat configuration
// (mcp.servers.<id>.<field> = text) hands scalars on as text: an INT given as a string of digits, a
// BOOL given as true/false/yes/no/on/off/1/0 text. Those are normalized to JSON numbers/booleans before
// the table binds them, so the table's own checks (ranges, required) apply to every source alike.
#include "mc/json_value.hpp"
#include "mc/sdk.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mc::mcp_transport {

namespace json = mc::sdk::json;

// Members every definition may carry that belong to the gateway, not to the transport.
inline bool isGatewayField(std::string_view name) {
    return name == "id" || name == "transport" || name == "log_level";
}

[[noreturn]] inline void refuse(const std::string& message) { throw mc::sdk::Error(MC_ERR_CONFIG, message); }

inline std::string typeName(const json::Value& v) {
    switch (v.type()) {
    case json::Value::Type::Null: return "null";
    case json::Value::Type::Bool: return "a boolean";
    case json::Value::Type::Number: return "a number";
    case json::Value::Type::String: return "a string";
    case json::Value::Type::Array: return "an array";
    case json::Value::Type::Object: return "an object";
    }
    return "another type";
}

inline std::string quoted(std::string_view field) { return "\"" + std::string(field) + "\""; }

// "[A-Za-z_][A-Za-z0-9_]*": the names inherit_env (and ${env:NAME}) accept.
inline bool isValidEnvName(const std::string& name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "integer number of milliseconds" for *_ms keys, "integer number of bytes" for *_bytes, else "integer".
inline std::string integerWhat(std::string_view name) {
    const auto endsWith = [&](std::string_view tail) {
        return name.size() >= tail.size() && name.substr(name.size() - tail.size()) == tail;
    };
    if (endsWith("_ms")) return "an integer number of milliseconds";
    if (endsWith("_bytes")) return "an integer number of bytes";
    return "an integer";
}

// Checks `serverJson` against `table` with the gateway's messages, and returns it with INT/BOOL text
// normalized. `transports`: the names the plugin serves ("stdio"; "http,sse"); `plugin`: its id for
// messages; `otherFields`: fields of other transports, refused as "applies to <where> servers only".
template <class S, std::size_t N>
json::Value checkServerDefinition(const mc::sdk::Key<S> (&table)[N], std::string_view serverJson,
                                  std::string_view transports, std::string_view plugin,
                                  const std::map<std::string, std::string>& otherFields = {}) {
    json::Value root;
    try {
        root = json::parse(serverJson);
    } catch (const json::ParseError& e) {
        refuse(std::string("the server definition is not valid JSON: ") + e.what());
    }
    if (!root.isObject()) refuse("the server definition is not a JSON object");

    std::string transport;
    for (const auto& m : root.members()) {
        if (m.value.isNull()) continue;
        if (m.name == "id" || m.name == "transport" || m.name == "log_level") {
            if (!m.value.isString()) refuse(quoted(m.name) + " must be a string, not " + typeName(m.value));
            if (m.name == "transport") transport = m.value.str();
        }
    }
    if (!transport.empty() && !mc::sdk::detail::inChoices(transports, transport))
        refuse(quoted("transport") + " '" + transport + "' is not served by " + std::string(plugin) + " (it serves " +
               mc::sdk::detail::choiceList(transports) + ")");

    json::Value out = json::Value::object();
    for (const auto& m : root.members()) {
        if (isGatewayField(m.name)) {
            out.set(m.name, m.value);
            continue;
        }
        const mc::sdk::Key<S>* key = nullptr;
        for (const auto& k : table)
            if (mc::sdk::view(k.decl.name) == m.name) key = &k;
        if (!key) {
            if (auto other = otherFields.find(m.name); other != otherFields.end())
                refuse(quoted(m.name) + " applies to " + other->second + " servers only, not to transport " +
                       (transport.empty() ? mc::sdk::detail::choiceList(transports) : transport));
            refuse("unknown field " + quoted(m.name));
        }
        const mc_config_key& k = key->decl;
        const std::string field = quoted(m.name);
        json::Value v = m.value;
        if (v.isNull()) {
            out.set(m.name, v); // absent, as far as the table is concerned
            continue;
        }
        switch (k.type) {
        case MC_CONFIG_STRING:
        case MC_CONFIG_ENUM:
            if (!v.isString()) refuse(field + " must be a string, not " + typeName(v));
            if (v.str().find('\0') != std::string::npos) refuse(field + " contains a NUL character");
            if (k.type == MC_CONFIG_ENUM && !mc::sdk::detail::inChoices(mc::sdk::view(k.choices), v.str()))
                refuse(field + " must be one of " + mc::sdk::detail::choiceList(mc::sdk::view(k.choices)) + " (got '" +
                       v.str() + "')");
            break;
        case MC_CONFIG_INT: {
            std::int64_t n = 0;
            bool ok = v.isNumber() && v.asInt64(n);
            if (!ok && v.isString()) ok = mc::sdk::detail::parseInt(v.str(), n);
            if (!ok)
                refuse(field + " must be " + integerWhat(m.name) +
                       (v.isString() || v.isNumber() ? std::string() : ", not " + typeName(v)));
            if ((k.flags & MC_CONFIG_HAS_RANGE) && (double(n) < k.min || double(n) > k.max))
                refuse(field + " must be in " + mc::sdk::detail::formatNumber(k.min) + ".." +
                       mc::sdk::detail::formatNumber(k.max) + " (got " + std::to_string(n) + ")");
            v = json::Value::number(n);
            break;
        }
        case MC_CONFIG_BOOL: {
            bool b = false;
            bool ok = v.isBool();
            if (ok) b = v.asBool();
            else if (v.isString()) ok = mc::sdk::detail::parseBool(v.str(), b);
            if (!ok) refuse(field + " must be true or false, not " + (v.isString() ? "'" + v.str() + "'" : typeName(v)));
            v = json::Value::boolean(b);
            break;
        }
        case MC_CONFIG_LIST:
            if (!v.isArray()) refuse(field + " must be an array of strings, not " + typeName(v));
            for (std::size_t i = 0; i < v.items().size(); ++i) {
                const auto& item = v.items()[i];
                if (!item.isString())
                    refuse(field + "[" + std::to_string(i) + "] must be a string, not " + typeName(item));
                if (item.str().find('\0') != std::string::npos)
                    refuse(field + "[" + std::to_string(i) + "] contains a NUL character");
            }
            break;
        case MC_CONFIG_OBJECT:
            if (!v.isObject()) refuse(field + " must be an object of string values, not " + typeName(v));
            for (const auto& member : v.members()) {
                if (member.name.empty()) refuse(field + " has an empty name");
                if (!member.value.isString())
                    refuse(field + "." + member.name + " must be a string, not " + typeName(member.value));
                if (member.value.str().find('\0') != std::string::npos || member.name.find('\0') != std::string::npos)
                    refuse(field + "." + member.name + " contains a NUL character");
            }
            break;
        default: break;
        }
        out.set(m.name, std::move(v));
    }
    for (const auto& k : table) {
        if (!(k.decl.flags & MC_CONFIG_REQUIRED)) continue;
        const json::Value* given = out.find(mc::sdk::view(k.decl.name));
        if (!given || given->isNull()) refuse(quoted(mc::sdk::view(k.decl.name)) + " is required");
    }
    return out;
}

// checkServerDefinition, then the table binds the normalized definition into `into` (prefilled, e.g.
// with the instance's settings: a field the definition leaves out keeps its value).
template <class S, std::size_t N>
void readServerDefinition(const mc::sdk::Key<S> (&table)[N], std::string_view serverJson, std::string_view transports,
                          std::string_view plugin, S& into, const std::map<std::string, std::string>& otherFields = {}) {
    const json::Value normalized = checkServerDefinition(table, serverJson, transports, plugin, otherFields);
    mc::sdk::readSettingsInto(table, normalized.dump(), into);
}

// The string member `name` of a definition ("" when absent or not a string), e.g. its id for messages.
inline std::string memberText(std::string_view serverJson, std::string_view name) {
    try {
        const json::Value root = json::parse(serverJson);
        const json::Value* v = root.isObject() ? root.find(name) : nullptr;
        return v && v->isString() ? v->str() : std::string();
    } catch (const json::ParseError&) {
        return {};
    }
}

} // namespace mc::mcp_transport
