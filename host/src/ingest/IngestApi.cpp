#include "ingest/IngestApi.h"

#include "util/Json.h"
#include "web/HttpUtil.h"
#include "web/Router.h"
#include "web/WebSocketHub.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>


namespace mc::host {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr const char* kRetryAfterSeconds = "1";

// The events of an array, each an object or an event with its error.
std::vector<RawEvent> eventsOf(const Poco::JSON::Array& array) {
    std::vector<RawEvent> out;
    out.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
        RawEvent e;
        e.object = array.getObject(static_cast<unsigned>(i));
        if (!e.object) e.error = "event is not a JSON object";
        out.push_back(std::move(e));
    }
    return out;
}

// Throws HttpError 400 naming what is wrong with a {"events":[...]} body.
std::vector<RawEvent> parseJsonEvents(const std::string& body) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(body);
    } catch (const Poco::Exception& e) {
        throw HttpError(400, "invalid_json", "the request body is not valid JSON: " + e.displayText());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw HttpError(400, "bad_request", "the request body must be a JSON object {\"events\":[...]}");
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    if (!object->has("events") || object->get("events").type() != typeid(Poco::JSON::Array::Ptr))
        throw HttpError(400, "bad_request", "the request body needs an \"events\" array", "{\"field\":\"events\"}");
    return eventsOf(*object->getArray("events"));
}

} // namespace

std::vector<RawEvent> parseNdjsonEvents(const std::string& body) {
    std::vector<RawEvent> out;
    std::size_t start = 0;
    std::size_t line = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        ++line;
        const std::string text = Poco::trim(body.substr(start, end - start));
        start = end + 1;
        if (text.empty()) continue;
        RawEvent e;
        try {
            auto parsed = Poco::JSON::Parser().parse(text);
            if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) e.object = parsed.extract<Poco::JSON::Object::Ptr>();
            else e.error = "line " + std::to_string(line) + ": not a JSON object";
        } catch (const Poco::Exception& ex) {
            e.error = "line " + std::to_string(line) + ": not valid JSON: " + ex.displayText();
        }
        out.push_back(std::move(e));
    }
    return out;
}

void registerIngestRoutes(Router& router, IngestService& ingest, std::chrono::milliseconds ackTimeout) {
    IngestService* service = &ingest;
    router.add(Route{
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
            const auto submitted = service->submit(events, "api", [reply](IngestReply result) {
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
        "Ingest events (operator): {\"events\":[...]} or NDJSON -> {accepted, rejected:[{index,reason}], ids} after commit.",
        {}, "application/json", {"application/json", "application/x-ndjson", "application/ndjson"}});
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
        const auto events = eventsOf(*payload->getArray("events"));
        // Never blocks the I/O thread: the reply is sent from the writer's thread after the commit.
        const auto submitted = service->submit(events, "ws", [session, requestId](IngestReply reply) {
            session->send("{\"type\":\"publish_result\",\"request_id\":" + requestId + ",\"payload\":" + reply.json() + "}");
        });
        if (submitted == IngestService::Submitted::QueueFull)
            session->sendError("queue_full", "the store writer's queue is full: nothing of this publish was accepted; retry later",
                               message.requestIdJson);
        else if (submitted == IngestService::Submitted::Stopped)
            session->sendError("shutting_down", "the host is stopping: nothing of this publish was accepted", message.requestIdJson);
    });
}

} // namespace mc::host
