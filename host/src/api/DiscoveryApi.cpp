#include "api/DiscoveryApi.h"

#include "discovery/DiscoveryService.h"
#include "util/Json.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

namespace mc::host {

void registerDiscoveryRoutes(Router& router, DiscoveryService& discovery) {
    using Status = Poco::Net::HTTPResponse::HTTPStatus;
    router.add(Route{"GET", "/api/discovery", Role::Viewer,
                     [&discovery](RequestContext& ctx) { http::sendJson(ctx.response, Status::HTTP_OK, discovery.reportJson()); },
                     "Discovery sources: state, last run, what each found (probe result, MCP id), deduplicated endpoints."});
    router.add(Route{"POST", "/api/discovery/{source}/refresh", Role::Operator,
                     [&discovery](RequestContext& ctx) {
                         const std::string source = ctx.pathParams.at("source");
                         std::string error;
                         if (const auto refused = discovery.refresh(source, error))
                             throw HttpError(*refused,
                                             *refused == Refusal::NotFound       ? "unknown_source"
                                             : *refused == Refusal::NotSupported ? "not_supported"
                                                                                 : "refresh_failed",
                                             error, "{\"source\":" + json::quote(source) + "}");
                         http::sendJson(ctx.response, Status::HTTP_ACCEPTED,
                                        "{\"source\":" + json::quote(source) + ",\"refresh\":\"requested\"}");
                     },
                     "Asks a discovery source to re-scan now (operator)."});
}

} // namespace mc::host
