#include "api/ReceiverApi.h"

#include "log/Logging.h"
#include "mc/abi_text.hpp"
#include "util/Json.h"
#include "web/Router.h"

#include <Poco/JSON/Object.h>

#include <atomic>

namespace mc::host {
namespace {

constexpr const char* kRetryAfterSeconds = "1";


// One request's responder: completes the deferred reply when the receiver answers (a no-op when the
// timeout answered first). Held by the receiver until it answers (the ABI's contract) and by the host
// until its call of `handle` returned; a receiver that fails without answering gives its hold up (the
// ABI: the host answers then), so the last of the two frees it.
struct Responder {
    mc_http_responder api{};
    std::shared_ptr<DeferredReply> reply;
    std::string what; // "<receiver> POST /v1/logs", for the log
    std::atomic<bool> answered{false};
    std::atomic<int> holders{2};

    void release() {
        if (holders.fetch_sub(1) == 1) delete this;
    }

    static void respond(void* ctx, int status, mc_str contentType, mc_str headersJson, mc_str body) {
        auto* self = static_cast<Responder*>(ctx);
        struct Release {
            Responder* responder;
            ~Release() { responder->release(); }
        } release{self};
        self->answered = true;
        if (status < 100 || status > 599) {
            logging::get("receiver")->error("{} answered with HTTP status {}; answering 500", self->what, status);
            status = 500;
        }
        std::vector<std::pair<std::string, std::string>> headers;
        if (headersJson.len) {
            try {
                const auto parsed = json::parse(mc::sdk::view(headersJson));
                if (const auto object = parsed.extract<Poco::JSON::Object::Ptr>())
                    for (const auto& [name, value] : *object) headers.emplace_back(name, value.toString());
            } catch (const Poco::Exception& e) {
                logging::get("receiver")->warn("{}: its reply headers are not a JSON object ({}); sent without them",
                                               self->what, e.displayText());
            }
        }
        self->reply->complete([status, type = std::string(mc::sdk::view(contentType)), headers, payload = std::string(mc::sdk::view(body))](
                                  Poco::Net::HTTPServerResponse& response) {
            response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            for (const auto& [name, value] : headers) response.set(name, value);
            if (!type.empty()) response.setContentType(type);
            response.sendBuffer(payload.data(), payload.size());
        });
    }
};

} // namespace

void registerReceiverRoutes(Router& router, Receiver& receiver, std::chrono::milliseconds ackTimeout) {
    Receiver* target = &receiver;
    for (const auto& route : receiver.routes()) {
        Route added{
            route.method, route.path, Role::Operator,
            [target, ackTimeout](RequestContext& ctx) {
                const std::string body = ctx.readBody();
                const std::string what = target->pluginId() + " " + ctx.request.getMethod() + " " + ctx.request.getURI();
                auto reply = ctx.defer(ackTimeout, [ackTimeout](Poco::Net::HTTPServerResponse& response) {
                    response.set("Retry-After", kRetryAfterSeconds);
                    throw HttpError(503, "not_confirmed",
                                    "the receiver did not confirm this request within " + std::to_string(ackTimeout.count()) +
                                        " ms (ingest.ack_timeout_ms; is the store down? see /api/health); what it "
                                        "accepted stays queued, and sending it again is idempotent");
                });
                auto responder = std::make_unique<Responder>();
                responder->api = mc_http_responder{sizeof(mc_http_responder), responder.get(), &Responder::respond};
                responder->reply = reply;
                responder->what = what;
                const std::string method = ctx.request.getMethod();
                const std::string path = ctx.request.getURI().substr(0, ctx.request.getURI().find('?'));
                const std::string contentType = ctx.request.getContentType();
                const std::string encoding = ctx.request.get("Content-Encoding", "");
                const std::string principal = ctx.principal.subject;
                const mc_http_request request{sizeof(mc_http_request),
                                              {method.data(), method.size()},
                                              {path.data(), path.size()},
                                              {contentType.data(), contentType.size()},
                                              {encoding.data(), encoding.size()},
                                              {body.data(), body.size()},
                                              {principal.data(), principal.size()}};
                // From here the receiver holds the responder too, until it answers.
                Responder* lent = responder.release();
                std::string error;
                bool reached = false;
                const mc_status status = target->handle(request, lent->api, error, reached);
                // A receiver that was not reached, or failed without answering, will not answer.
                if (!reached || (status != MC_OK && !lent->answered)) lent->release();
                lent->release(); // the host's hold: `lent` may be gone from here
                if (!reached) { // the plugin was removed: the responder never left the host
                    reply->complete([error](Poco::Net::HTTPServerResponse& response) -> void {
                        response.set("Retry-After", kRetryAfterSeconds);
                        throw HttpError(503, "receiver_unavailable", error);
                    });
                } else if (status != MC_OK) {
                    logging::get("receiver")->error("{} failed ({}): {}", what, statusName(status), error);
                    reply->complete([error](Poco::Net::HTTPServerResponse&) -> void {
                        throw HttpError(500, "receiver_failed", "the receiver failed: " + error);
                    });
                }
            },
            "Telemetry for receiver " + receiver.pluginId() + " (operator or an ingest key): answered in the receiver's protocol.",
            {}, route.mediaTypes.empty() ? std::string("application/json") : route.mediaTypes.front(),
            route.mediaTypes.empty() ? std::vector<std::string>{"application/json"} : route.mediaTypes};
        added.acceptsIngestKeys = true;
        router.add(std::move(added));
    }
}

} // namespace mc::host
