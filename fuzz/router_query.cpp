// Query strings of the query API (host/src/web/HttpUtil.cpp queryParameters, Router.cpp
// validateQuery) on the routes' parameter tables, then the store's catalog (libs/records
// QueryCatalog.cpp) on the params object the route hands on. Byte 0 picks the query; the rest is the
// request target's query string.
//
// Checked: no crash/UB/leak; a bad query string or parameter is refused with std::invalid_argument
// (400 bad_request) or HttpError 400 and nothing else; what validateQuery hands on validates to
// itself (normalized once); the catalog refuses what it refuses with QueryError or
// MC_ERR_INVALID_ARGUMENT (400), never with another exception (500).
#include "FuzzSupport.h"

#include "api/QueryRouteParams.h"
#include "mc/records/QueryCatalog.h"
#include "mc/sdk.hpp"
#include "util/Json.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

using namespace mc::host;
using mc::records::ParamKind;

namespace {

struct QueryRoute {
    std::string query;
    std::string pathParam; // the parameter the path's {id} carries, not the query string
};

const std::vector<QueryRoute>& routes() {
    static const std::vector<QueryRoute> all = {
        {"threads.list", ""},  {"threads.get", "id"},      {"threads.timeline", "id"}, {"threads.transcript", "id"},
        {"threads.children", "id"}, {"logs.list", ""},     {"logs.export", ""},        {"mcps.history", "mcp_id"},
        {"graph", ""},         {"permissions.list", ""},   {"audit.list", ""},         {"search", ""}};
    return all;
}

// The route's table as api/QueryApi.cpp registers it (logs.export adds its own `format`).
std::vector<QueryParam> tableOf(const QueryRoute& route) {
    std::vector<QueryParam> out = routeParams(route.query, route.pathParam);
    if (route.query == "logs.export")
        out.push_back(QueryParam{"format", ParamType::Enum, "", {"ndjson", "csv", "json"}, 0, 0, false, "ndjson"});
    return out;
}

// As api/QueryApi.cpp builds the store's params object (paramsJson).
std::string paramsJson(const QueryRoute& route, const std::map<std::string, std::string>& query) {
    std::string out = "{";
    auto add = [&out](const std::string& name, const std::string& valueJson) {
        out += (out.size() > 1 ? "," : "") + json::quote(name) + ":" + valueJson;
    };
    if (!route.pathParam.empty()) add(route.pathParam, json::quote("T-1"));
    for (const auto& p : mc::records::queryParameters(route.query)) {
        auto it = query.find(p.name);
        if (it == query.end()) continue;
        if (p.kind == ParamKind::Integer || p.kind == ParamKind::Boolean) add(p.name, it->second);
        else add(p.name, json::quote(it->second));
    }
    return out + "}";
}

void runCatalog(const std::string& name, const std::string& params) {
    try {
        if (const auto* list = mc::records::findListQuery(name)) {
            mc::records::parseList(*list, params);
        } else if (name == "search") {
            mc::records::parseSearch(params);
        } else if (name == "graph") {
            mc::records::parseGraph(params);
        } else {
            mc::records::parseParams(name, params, mc::records::queryParameters(name));
        }
    } catch (const mc::records::QueryError&) {
    } catch (const mc::sdk::Error& e) {
        MC_FUZZ_CHECK(e.status() == MC_ERR_INVALID_ARGUMENT, std::string("catalog status for ") + e.what());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const QueryRoute& route = routes()[data[0] % routes().size()];
    const std::string target = "/api/x?" + std::string(reinterpret_cast<const char*>(data + 1), size - 1);
    std::map<std::string, std::string> given;
    try {
        given = http::queryParameters(target);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    const auto table = tableOf(route);
    std::map<std::string, std::string> valid;
    try {
        valid = validateQuery(table, given);
    } catch (const HttpError& e) {
        MC_FUZZ_CHECK(e.status == 400, "status " + std::to_string(e.status));
        MC_FUZZ_CHECK(std::string(e.what()).find("'") != std::string::npos, std::string("reason names nothing: ") + e.what());
        return 0;
    }
    std::map<std::string, std::string> again;
    try {
        again = validateQuery(table, valid);
    } catch (const HttpError& e) {
        MC_FUZZ_CHECK(false, std::string("a validated query does not validate again: ") + e.what());
    }
    MC_FUZZ_CHECK(again == valid, "validated values are not normalized once");
    runCatalog(route.query, paramsJson(route, valid));
    return 0;
}
