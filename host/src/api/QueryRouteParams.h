#pragma once
// A query route's parameter table, derived from the record catalog (mc/records/QueryCatalog.h): what
// the router validates before the store sees a query. Apart from QueryApi.cpp so that fuzz/router_query
// checks the very tables the routes use, without a store.
#include "web/Router.h"

#include <string>
#include <vector>

namespace mc::host {

// The catalog's parameters of `queryName` as the route's query table, minus `pathParam` (the one the
// path carries; "" for none).
std::vector<QueryParam> routeParams(const std::string& queryName, const std::string& pathParam);

} // namespace mc::host
