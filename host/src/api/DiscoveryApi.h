#pragma once
// The discovery routes: GET /api/discovery (viewer), POST /api/discovery/{source}/refresh (operator).
namespace mc::host {

class DiscoveryService;
class Router;

void registerDiscoveryRoutes(Router& router, DiscoveryService& discovery);

} // namespace mc::host
