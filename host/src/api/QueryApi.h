#pragma once
// The query API (issue 6): threads, logs (+ streamed export), MCP status history, the execution graph,
// permissions, the audit trail and full-text search, each a GET route answered by one of the store's
// named queries (mc/records/QueryCatalog.h). Each route's query parameters are derived from the
// catalog, so the router's validation, the store's validation and the OpenAPI document agree.
namespace mc::host {

class Router;
class StoreService;

// `store` may be null (no store opened): every query route then answers 503.
void registerQueryRoutes(Router& router, StoreService* store);

} // namespace mc::host
