#include "StdioConfig.h"

#include "ServerDefinition.h"

namespace mc::mcp_stdio {

using mcp_transport::refuse;

StdioConfig parseStdioServer(std::string_view serverJson, const Limits& defaults) {
    StdioServer server;
    server.shutdownGraceMs = defaults.shutdownGraceMs;
    server.terminateGraceMs = defaults.terminateGraceMs;
    server.maxLineBytes = defaults.maxLineBytes;
    server.maxStderrLineBytes = defaults.maxStderrLineBytes;
    server.maxSendQueueBytes = defaults.maxSendQueueBytes;
    static const std::map<std::string, std::string> kHttpFields = {
        {"url", "http/sse"}, {"headers", "http/sse"}, {"connect_timeout_ms", "http/sse"},
        {"read_timeout_ms", "http/sse"}, {"tls_verify", "http/sse"}, {"connect_address", "http/sse"}};
    mcp_transport::readServerDefinition(kServerFields, serverJson, "stdio", "mcp-stdio", server, kHttpFields);

    if (server.command.find_first_not_of(" \t\r\n") == std::string::npos) refuse("\"command\" must not be empty");
    for (const auto& [name, value] : server.env)
        if (name.find('=') != std::string::npos) refuse("\"env\" name '" + name + "' contains '='");
    for (std::size_t i = 0; i < server.inheritEnv.size(); ++i) {
        const std::string& name = server.inheritEnv[i];
        const std::string at = "\"inherit_env\"[" + std::to_string(i) + "]";
        if (!mcp_transport::isValidEnvName(name))
            refuse(at + " '" + name + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
        if (name.rfind("MC_", 0) == 0)
            refuse(at + " names " + name + ": MC_* variables hold the host's own configuration and are never passed to MCP servers");
    }

    StdioConfig config;
    config.id = mcp_transport::memberText(serverJson, "id");
    config.spawn.command = server.command;
    config.spawn.args = server.args;
    config.spawn.env = server.env;
    config.spawn.inheritEnv = server.inheritEnv;
    config.spawn.cwd = server.cwd; // empty: the host's working directory
    config.limits = Limits{server.shutdownGraceMs, server.terminateGraceMs, server.maxLineBytes,
                           server.maxStderrLineBytes, server.maxSendQueueBytes};
    return config;
}

} // namespace mc::mcp_stdio
