#include "api/IngestApi.h"

#include "util/Json.h"
#include "web/HttpUtil.h"
#include "web/Router.h"
#include "web/WebSocketHub.h"

#include <Poco/JSON/Array.h>

namespace mc::host {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr const char* kRetryAfterSeconds = "1";

} // namespace

void registerIngestRoutes(Router& router, IngestService& ingest, std::chrono::milliseconds ackTimeout) {
    IngestService* service = &ingest;
    Route route{
        "POST", "/api/ingest", Role::Operator,
        [service, ackTimeout](RequestContext& ctx) {
            // The router admits only these media types; a body without one is a 415 before it is read.
            const std::string type = mediaType(ctx.request.getContentType());
            const bool ndjson = type == "application/x-ndjson" || type == "application/ndjson";
            const std::string body = ctx.readBody();
            const std::vector<RawEvent> events = ndjson ? parseNdjsonEvents(body) : parseJsonEvents(body);

            // The reply waits for the commit without holding a worker.
            auto reply = ctx.defer(ackTimeout, [ackTimeout](Poco::Net::HTTPServerResponse& response) {
                response.set("Retry-After", kRetryAfterSeconds);
                throw HttpError(503, "not_confirmed",
                                "the events were accepted and broadcast but their commit was not confirmed within " +
                                    std::to_string(ackTimeout.count()) +
                                    " ms (ingest.ack_timeout_ms; is the store down? see /api/health); they stay queued. "
                                    "Re-sending them with their ids is idempotent");
            });
            // An ingest key's events say which source sent them; a token's come from "api".
            const std::string source = ctx.principal.ingestOnly ? ctx.principal.subject : std::string("api");
            const auto submitted = service->submit(events, source, [reply](IngestReply result) {
                reply->complete([&](Poco::Net::HTTPServerResponse& response) {
                    http::sendJson(response, Status::HTTP_OK, result.json());
                });
            });
            if (submitted != IngestService::Submitted::Queued) {
                reply->complete([submitted](Poco::Net::HTTPServerResponse& response) {
                    response.set("Retry-After", kRetryAfterSeconds);
                    if (submitted == IngestService::Submitted::Stopped)
                        throw HttpError(503, "shutting_down", "the host is stopping: nothing of this request was accepted");
                    throw HttpError(503, "queue_full",
                                    "the store writer's queue is full: nothing of this request was accepted; retry after " +
                                        std::string(kRetryAfterSeconds) + " s");
                });
            }
        },
        "Ingest events (operator or an ingest key): {\"events\":[...]} or NDJSON -> {accepted, rejected:[{index,reason}], ids} after commit.",
        {}, "application/json", {"application/json", "application/x-ndjson", "application/ndjson"}};
    route.acceptsIngestKeys = true;
    router.add(std::move(route));
}

void registerIngestMessages(WebSocketHub& hub, IngestService& ingest) {
    IngestService* service = &ingest;
    hub.registerHandler("publish", Role::Operator, [service](const std::shared_ptr<ClientSession>& session, const ClientMessage& message) {
        const std::string requestId = message.requestIdJson.empty() ? "null" : message.requestIdJson;
        const auto& body = *message.body;
        Poco::JSON::Object::Ptr payload =
            body.has("payload") && body.get("payload").type() == typeid(Poco::JSON::Object::Ptr) ? body.getObject("payload") : nullptr;
        if (!payload || !payload->has("events") || payload->get("events").type() != typeid(Poco::JSON::Array::Ptr)) {
            session->sendError("invalid_message", "publish needs \"payload\":{\"events\":[...]}", message.requestIdJson);
            return;
        }
        // Never waits on the event loop: thread lookups (if any) run on the ingest lane, and the reply
        // is sent from the writer's thread after the commit.
        const std::string requestIdJson = message.requestIdJson;
        service->submitWithoutWaiting(
            eventsOf(*payload->getArray("events")), "ws",
            [session, requestId](IngestReply reply) {
                session->send("{\"type\":\"publish_result\",\"request_id\":" + requestId + ",\"payload\":" + reply.json() + "}");
            },
            [session, requestIdJson](IngestService::Submitted refused) {
                if (refused == IngestService::Submitted::QueueFull)
                    session->sendError("queue_full",
                                       "the store writer's queue is full: nothing of this publish was accepted; retry later",
                                       requestIdJson);
                else
                    session->sendError("shutting_down", "the host is stopping: nothing of this publish was accepted",
                                       requestIdJson);
            });
    });
}

} // namespace mc::host
