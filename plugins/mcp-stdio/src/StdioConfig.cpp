#include "StdioConfig.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <limits>

namespace mc::mcp_stdio {
namespace {

[[noreturn]] void invalid(const std::string& reason) { throw sdk::Error(MC_ERR_CONFIG, "invalid mcp-stdio configuration: " + reason); }

bool hasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::string requireString(const Poco::Dynamic::Var& value, const std::string& field) {
    if (!value.isString()) invalid("'" + field + "' must be a string");
    std::string s = value.extract<std::string>();
    if (hasNul(s)) invalid("'" + field + "' contains a NUL character");
    return s;
}

struct Limit {
    const char* key;
    std::int64_t min;
    std::int64_t max;
    std::int64_t StdioConfig::*field;
};

const Limit kLimits[] = {
    {"shutdown_grace_ms", 0, 600000, &StdioConfig::shutdownGraceMs},
    {"terminate_grace_ms", 0, 600000, &StdioConfig::terminateGraceMs},
    {"max_line_bytes", 1024, 1024LL * 1024 * 1024, &StdioConfig::maxLineBytes},
    {"max_stderr_line_bytes", 256, 16LL * 1024 * 1024, &StdioConfig::maxStderrLineBytes},
    {"max_send_queue_bytes", 1024, 1024LL * 1024 * 1024, &StdioConfig::maxSendQueueBytes},
};

// A JSON integer, or a string holding one (flat configuration hands every value on as text).
std::int64_t integerOf(const Poco::Dynamic::Var& value, const Limit& limit, const std::string& origin) {
    std::int64_t parsed = 0;
    bool ok = false;
    if (value.isString()) {
        Poco::Int64 n = 0;
        ok = Poco::NumberParser::tryParse64(value.extract<std::string>(), n);
        parsed = n;
    } else if (value.isInteger()) {
        try {
            parsed = value.convert<Poco::Int64>();
            ok = true;
        } catch (const Poco::Exception&) {
        }
    }
    if (!ok) invalid(origin + "'" + limit.key + "' must be an integer, got '" + value.toString() + "'");
    if (parsed < limit.min || parsed > limit.max)
        invalid(origin + "'" + limit.key + "' = " + std::to_string(parsed) + " is out of range " +
                std::to_string(limit.min) + ".." + std::to_string(limit.max));
    return parsed;
}

} // namespace

StdioConfig parseStdioConfig(std::string_view json, const sdk::Host& host) {
    Poco::JSON::Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(std::string(json));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) invalid("expected a JSON object");
        root = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        invalid("not valid JSON: " + e.displayText());
    }

    StdioConfig config;
    if (root->has("id") && !root->get("id").isEmpty()) config.id = requireString(root->get("id"), "id");
    if (root->has("transport") && !root->get("transport").isEmpty()) {
        const std::string transport = requireString(root->get("transport"), "transport");
        if (transport != "stdio") invalid("transport '" + transport + "' is not served by mcp-stdio (it serves \"stdio\")");
    }

    if (!root->has("command") || root->get("command").isEmpty()) invalid("'command' is required");
    config.spawn.command = requireString(root->get("command"), "command");
    if (config.spawn.command.empty()) invalid("'command' must not be empty");

    if (root->has("args") && !root->get("args").isEmpty()) {
        Poco::JSON::Array::Ptr args = root->getArray("args");
        if (!args) invalid("'args' must be an array of strings");
        for (std::size_t i = 0; i < args->size(); ++i)
            config.spawn.args.push_back(requireString(args->get(i), "args[" + std::to_string(i) + "]"));
    }

    if (root->has("env") && !root->get("env").isEmpty()) {
        Poco::JSON::Object::Ptr env = root->getObject("env");
        if (!env) invalid("'env' must be an object of string values");
        for (const auto& [name, value] : *env) {
            if (name.empty() || name.find('=') != std::string::npos || hasNul(name))
                invalid("'env' has an invalid variable name '" + name + "'");
            config.spawn.env[name] = requireString(value, "env." + name);
        }
    }

    if (root->has("inherit_env") && !root->get("inherit_env").isEmpty()) {
        Poco::JSON::Array::Ptr names = root->getArray("inherit_env");
        if (!names) invalid("'inherit_env' must be an array of variable names");
        for (std::size_t i = 0; i < names->size(); ++i) {
            const std::string field = "inherit_env[" + std::to_string(i) + "]";
            const std::string name = requireString(names->get(i), field);
            if (name.empty() || name.find('=') != std::string::npos) invalid("'" + field + "' is not a variable name: '" + name + "'");
            if (name.rfind("MC_", 0) == 0)
                invalid("'" + field + "' names " + name +
                        ": MC_* variables hold the host's own configuration and are never passed to MCP servers");
            config.spawn.inheritEnv.push_back(name);
        }
    }

    if (root->has("cwd") && !root->get("cwd").isEmpty()) {
        config.spawn.cwd = requireString(root->get("cwd"), "cwd");
        if (config.spawn.cwd.empty()) invalid("'cwd' must not be empty when given");
    }

    for (const Limit& limit : kLimits) {
        if (root->has(limit.key) && !root->get(limit.key).isEmpty()) {
            config.*limit.field = integerOf(root->get(limit.key), limit, "");
        } else if (auto fromHost = host.config(limit.key); fromHost && !fromHost->empty()) {
            config.*limit.field = integerOf(Poco::Dynamic::Var(*fromHost), limit, "plugin key ");
        }
    }
    return config;
}

} // namespace mc::mcp_stdio
