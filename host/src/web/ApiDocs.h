#pragma once
// The API's documentation generated from the router's own route table (method, pattern, role, summary,
// query parameters): an OpenAPI 3.1 document at /api/openapi.json and an HTML page at /docs. Nothing is
// listed twice, so a route cannot be served undocumented or documented but missing.
#include <string>

namespace mc::host {

class Router;

std::string openApiJson(const Router& router);
std::string docsHtml(const Router& router);

// Adds GET /api/openapi.json (viewer) and GET /docs (open); both describe every route at request time.
void registerDocsRoutes(Router& router);

} // namespace mc::host
