#pragma once
// The gateway's REST routes (/api/mcps...) and its WebSocket message type (call_tool).
// Documented in docs/rest-api.md, docs/websocket-protocol.md and docs/mcp-gateway.md.
namespace mc::host {

class McpGateway;
class Router;
class WebSocketHub;

void registerGatewayRoutes(Router& router, McpGateway& gateway);
void registerGatewayMessages(WebSocketHub& hub, McpGateway& gateway);

} // namespace mc::host
