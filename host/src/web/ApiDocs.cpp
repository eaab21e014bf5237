#include "web/ApiDocs.h"

#include "web/HttpUtil.h"
#include "web/Router.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <sstream>

namespace mc::host {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

Object::Ptr ordered() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::vector<std::string> pathParams(const std::string& pattern) {
    std::vector<std::string> out;
    for (std::size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1))
        out.push_back(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
    return out;
}

const char* typeName(ParamType type) {
    switch (type) {
    case ParamType::Integer: return "integer";
    case ParamType::Boolean: return "boolean";
    case ParamType::Timestamp: return "timestamp (RFC 3339)";
    case ParamType::Enum: return "enum";
    case ParamType::EnumList: return "comma-separated list";
    default: return "string";
    }
}

Object::Ptr schemaOf(const QueryParam& p) {
    auto schema = ordered();
    switch (p.type) {
    case ParamType::Integer:
        schema->set("type", "integer");
        schema->set("minimum", p.minimum);
        schema->set("maximum", p.maximum);
        if (!p.defaultValue.empty()) schema->set("default", std::stoll(p.defaultValue));
        return schema;
    case ParamType::Boolean: schema->set("type", "boolean"); break;
    case ParamType::Timestamp:
        schema->set("type", "string");
        schema->set("format", "date-time");
        break;
    case ParamType::Enum: {
        schema->set("type", "string");
        Array::Ptr values = new Array;
        for (const auto& v : p.values) values->add(v);
        schema->set("enum", values);
        break;
    }
    case ParamType::EnumList: {
        schema->set("type", "string");
        std::string pattern;
        for (const auto& v : p.values) pattern += (pattern.empty() ? "" : "|") + v;
        schema->set("pattern", "^(" + pattern + ")(,(" + pattern + "))*$");
        break;
    }
    default: schema->set("type", "string");
    }
    if (!p.defaultValue.empty()) schema->set("default", p.defaultValue);
    return schema;
}

Object::Ptr errorResponse(const std::string& description) {
    auto response = ordered();
    response->set("description", description);
    auto content = ordered();
    auto json = ordered();
    auto schema = ordered();
    schema->set("$ref", "#/components/schemas/Error");
    json->set("schema", schema);
    content->set("application/json", json);
    response->set("content", content);
    return response;
}

Object::Ptr components() {
    auto out = ordered();
    auto schemes = ordered();
    auto bearer = ordered();
    bearer->set("type", "http");
    bearer->set("scheme", "bearer");
    bearer->set("bearerFormat", "JWT");
    schemes->set("bearer", bearer);
    auto token = ordered();
    token->set("type", "apiKey");
    token->set("in", "query");
    token->set("name", "token");
    schemes->set("token", token);
    out->set("securitySchemes", schemes);

    auto error = ordered();
    error->set("type", "object");
    Array::Ptr required = new Array;
    required->add("error");
    error->set("required", required);
    auto inner = ordered();
    inner->set("type", "object");
    Array::Ptr innerRequired = new Array;
    for (const char* f : {"code", "message", "details"}) innerRequired->add(f);
    inner->set("required", innerRequired);
    auto props = ordered();
    for (const char* f : {"code", "message"}) {
        auto s = ordered();
        s->set("type", "string");
        props->set(f, s);
    }
    auto details = ordered();
    details->set("type", "object");
    props->set("details", details);
    inner->set("properties", props);
    auto errorProps = ordered();
    errorProps->set("error", inner);
    error->set("properties", errorProps);
    auto schemas = ordered();
    schemas->set("Error", error);
    out->set("schemas", schemas);
    return out;
}

std::string operationId(const std::string& method, const std::string& pattern) {
    std::string out;
    for (char c : method) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool upper = true;
    for (char c : pattern) {
        if (c == '/' || c == '{' || c == '}' || c == '.' || c == '-') {
            upper = true;
            continue;
        }
        out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return out;
}

} // namespace

std::string openApiJson(const Router& router) {
    auto doc = ordered();
    doc->set("openapi", "3.1.0");
    auto info = ordered();
    info->set("title", "Mission Control API");
    info->set("version", MC_VERSION);
    info->set("description", "Observability host for MCP servers. Errors always have the shape "
                             "{\"error\": {\"code\", \"message\", \"details\"}}. Unknown query parameters are rejected "
                             "(400). Generated from the host's route table.");
    doc->set("info", info);
    auto paths = ordered();
    auto pathItem = [&](const std::string& pattern) {
        if (!paths->has(pattern)) paths->set(pattern, ordered());
        return paths->getObject(pattern);
    };
    for (const auto& route : router.routes()) {
        auto op = ordered();
        op->set("summary", route.summary);
        op->set("operationId", operationId(route.method, route.pattern));
        op->set("x-minimum-role", route.minimumRole ? roleName(*route.minimumRole) : "none");
        Array::Ptr security = new Array;
        if (route.minimumRole) {
            auto bearer = ordered();
            bearer->set("bearer", Array::Ptr(new Array));
            security->add(bearer);
            auto token = ordered();
            token->set("token", Array::Ptr(new Array));
            security->add(token);
        }
        op->set("security", security);
        Array::Ptr params = new Array;
        for (const auto& name : pathParams(route.pattern)) {
            auto p = ordered();
            p->set("name", name);
            p->set("in", "path");
            p->set("required", true);
            auto schema = ordered();
            schema->set("type", "string");
            p->set("schema", schema);
            params->add(p);
        }
        for (const auto& q : route.query) {
            auto p = ordered();
            p->set("name", q.name);
            p->set("in", "query");
            p->set("description", q.description);
            p->set("required", q.required);
            p->set("schema", schemaOf(q));
            params->add(p);
        }
        op->set("parameters", params);
        auto responses = ordered();
        auto ok = ordered();
        ok->set("description", "success");
        auto content = ordered();
        content->set(route.contentType, ordered());
        ok->set("content", content);
        responses->set(route.method == "POST" ? "2XX" : route.method == "DELETE" ? "204" : "200", ok);
        if (!route.query.empty()) responses->set("400", errorResponse("a query parameter is unknown or invalid"));
        if (route.minimumRole) {
            responses->set("401", errorResponse("no valid token (when authentication is on)"));
            responses->set("403", errorResponse("the token's role is below " + std::string(roleName(*route.minimumRole))));
        }
        responses->set("default", errorResponse("any other error, in the same shape"));
        op->set("responses", responses);
        std::string method = route.method;
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        pathItem(route.pattern)->set(method, op);
    }
    for (const auto& raw : router.rawRoutes()) {
        auto op = ordered();
        op->set("summary", raw.summary);
        op->set("operationId", operationId(raw.method, raw.path));
        op->set("parameters", Array::Ptr(new Array));
        auto responses = ordered();
        auto upgraded = ordered();
        upgraded->set("description", "Switching Protocols: the connection speaks WebSocket (docs/websocket-protocol.md)");
        responses->set("101", upgraded);
        responses->set("default", errorResponse("the upgrade was refused"));
        op->set("responses", responses);
        std::string method = raw.method;
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        pathItem(raw.path)->set(method, op);
    }
    doc->set("paths", paths);
    doc->set("components", components());
    std::ostringstream out;
    doc->stringify(out);
    return out.str();
}

std::string docsHtml(const Router& router) {
    std::string html =
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mission Control API</title>"
        "<style>body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}"
        "h2{margin-top:2em;font-size:1.05em;font-family:monospace}.m{display:inline-block;min-width:4.5em;"
        "font-weight:bold}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em "
        ".6em;text-align:left;vertical-align:top}code{background:#f4f4f4;padding:0 .2em}.r{color:#666}</style>"
        "</head><body><h1>Mission Control API</h1><p>Generated from the host's route table; the same source as "
        "<a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1). Errors always have the shape "
        "<code>{\"error\": {\"code\", \"message\", \"details\"}}</code>; unknown query parameters are rejected with "
        "400. Authenticate with <code>Authorization: Bearer &lt;jwt&gt;</code> or <code>?token=&lt;jwt&gt;</code>."
        "</p>";
    for (const auto& route : router.routes()) {
        html += "<h2 id=\"" + http::htmlEscape(operationId(route.method, route.pattern)) + "\"><span class=\"m\">" +
                route.method + "</span>" + http::htmlEscape(route.pattern) + "</h2><p>" + http::htmlEscape(route.summary) +
                " <span class=\"r\">(role: " + (route.minimumRole ? roleName(*route.minimumRole) : "none") + "; " +
                http::htmlEscape(route.contentType) + ")</span></p>";
        if (route.query.empty()) continue;
        html += "<table><tr><th>parameter</th><th>type</th><th>values</th><th>default</th><th>meaning</th></tr>";
        for (const auto& q : route.query) {
            std::string values;
            if (q.type == ParamType::Integer) values = std::to_string(q.minimum) + " .. " + std::to_string(q.maximum);
            for (const auto& v : q.values) values += (values.empty() ? "" : ", ") + v;
            html += "<tr><td><code>" + http::htmlEscape(q.name) + "</code>" + (q.required ? " (required)" : "") + "</td><td>" +
                    typeName(q.type) + "</td><td>" + http::htmlEscape(values) + "</td><td>" + http::htmlEscape(q.defaultValue) +
                    "</td><td>" + http::htmlEscape(q.description) + "</td></tr>";
        }
        html += "</table>";
    }
    for (const auto& raw : router.rawRoutes())
        html += "<h2><span class=\"m\">" + raw.method + "</span>" + http::htmlEscape(raw.path) + "</h2><p>" +
                http::htmlEscape(raw.summary) + "</p>";
    return html + "</body></html>";
}

void registerDocsRoutes(Router& router) {
    Router* self = &router;
    router.add(Route{"GET", "/api/openapi.json", Role::Viewer,
                     [self](RequestContext& ctx) { http::sendJson(ctx.response, Status::HTTP_OK, openApiJson(*self)); },
                     "This API as an OpenAPI 3.1 document, generated from the route table."});
    router.add(Route{"GET", "/docs", std::nullopt,
                     [self](RequestContext& ctx) {
                         const std::string html = docsHtml(*self);
                         ctx.response.setStatus(Status::HTTP_OK);
                         ctx.response.setContentType("text/html; charset=utf-8");
                         ctx.response.setContentLength(static_cast<std::streamsize>(html.size()));
                         ctx.response.send() << html;
                     },
                     "This API as a human-readable page (no external assets).", {}, "text/html"});
}

} // namespace mc::host
