#pragma once
// /mcp: the host's MCP server face (mcpserver/McpServerFace.h) over Streamable HTTP. POST carries one
// JSON-RPC message and is answered with one JSON body (202 for a notification); DELETE ends a session;
// GET (a server-to-client stream) is not offered (405). The router's Origin/Host checks and auth
// apply (operator role). docs/mcp-server.md.
namespace mc::host {

class McpServerFace;
class Router;

void registerMcpEndpointRoutes(Router& router, McpServerFace& face);

} // namespace mc::host
