#include "OtlpReceiver.h"

#include "OtlpProtocol.h"
#include "TelemetryMapping.h"

#include "mc/json_value.hpp"
#include "mc/otlp/Otlp.h"

#include <memory>
#include <set>

namespace mc::receiver_otlp {
namespace {

constexpr int kInvalidArgument = 3;
constexpr int kInternal = 13;
constexpr int kUnavailable = 14;

const char* itemsName(Signal signal) {
    return signal == Signal::Logs ? "log records" : signal == Signal::Traces ? "spans" : "data points";
}

} // namespace

std::string OtlpReceiver::routes() {
    std::string out = "{\"routes\":[";
    const char* types = "\"media_types\":[\"application/x-protobuf\",\"application/json\"]";
    out += std::string("{\"method\":\"POST\",\"path\":\"/v1/logs\",") + types + "},";
    out += std::string("{\"method\":\"POST\",\"path\":\"/v1/traces\",") + types + "},";
    out += std::string("{\"method\":\"POST\",\"path\":\"/v1/metrics\",") + types + "}";
    out += "],\"listen\":[";
    for (std::size_t i = 0; i < settings_.listen.size(); ++i)
        out += (i ? "," : "") + mc::sdk::json::quote(settings_.listen[i]);
    return out + "]}";
}

void OtlpReceiver::handle(const mc::sdk::HttpRequest& request, mc::sdk::Responder reply) {
    const auto signal = signalOf(request.path);
    const auto encoding = encodingOf(request.contentType).value_or(Encoding::Json);
    const auto fail = [&](int status, int code, const std::string& message, std::string_view headers = {}) {
        reply.respond(status, contentTypeOf(encoding), statusBody(encoding, code, message), headers);
    };
    if (!signal) return fail(404, kInvalidArgument, "no OTLP signal at " + std::string(request.path) + " (/v1/logs, /v1/traces, /v1/metrics)");
    if (!encodingOf(request.contentType))
        return fail(415, kInvalidArgument, "Content-Type '" + std::string(request.contentType) +
                                               "' is neither application/x-protobuf nor application/json");
    std::string inflated;
    std::string_view body = request.body;
    if (request.contentEncoding == "gzip") {
        try {
            inflated = inflateGzip(body, static_cast<std::size_t>(settings_.maxInflatedBytes));
        } catch (const InflateError& e) {
            return fail(e.tooLarge ? 413 : 400, kInvalidArgument, e.what());
        }
        body = inflated;
    } else if (!request.contentEncoding.empty() && request.contentEncoding != "identity") {
        return fail(415, kInvalidArgument, "Content-Encoding '" + std::string(request.contentEncoding) + "' is not supported (gzip or none)");
    }

    auto mapped = std::make_shared<Mapped>();
    try {
        if (*signal == Signal::Logs)
            *mapped = mapLogs(encoding == Encoding::Json ? otlp::decodeLogsJson(body) : otlp::decodeLogsProtobuf(body));
        else if (*signal == Signal::Traces)
            *mapped = mapTraces(encoding == Encoding::Json ? otlp::decodeTracesJson(body) : otlp::decodeTracesProtobuf(body));
        else
            *mapped = mapMetrics(encoding == Encoding::Json ? otlp::decodeMetricsJson(body) : otlp::decodeMetricsProtobuf(body),
                                 *cumulative_);
    } catch (const otlp::DecodeError& e) {
        return fail(400, kInvalidArgument, std::string("malformed ") + (encoding == Encoding::Json ? "OTLP/JSON" : "OTLP protobuf") +
                                               " request: " + e.what());
    }
    if (mapped->records.empty()) return reply.respond(200, contentTypeOf(encoding), exportResponse(*signal, encoding, 0, {}));
    noteSender(*mapped, request.principal);

    const AbiBatch batch = toAbi(mapped->records);
    const Signal s = *signal;
    const std::string retryAfter = "{\"Retry-After\":\"" + std::to_string(settings_.retryAfterSeconds) + "\"}";
    records().submit(batch.records.data(), batch.records.size(), [mapped, reply, s, encoding, retryAfter,
                                                                  cumulative = cumulative_](const mc::sdk::SubmitResult& result) {
        // Points not stored are sent again: the cumulative totals they advanced go back.
        if (result.status != MC_OK) cumulative->undo(mapped->remembered);
        if (result.status == MC_ERR_UNAVAILABLE) {
            reply.respond(503, contentTypeOf(encoding),
                          statusBody(encoding, kUnavailable, "the host's store queue is full: nothing of this request was accepted; retry"),
                          retryAfter);
            return;
        }
        if (result.status != MC_OK) {
            reply.respond(500, contentTypeOf(encoding), statusBody(encoding, kInternal, "the host did not take the records"));
            return;
        }
        // The host answers per record; OTLP counts the log records or spans that were not stored.
        std::set<std::size_t> rejectedItems;
        std::string firstReason;
        try {
            const auto outcome = mc::sdk::json::parse(result.resultJson);
            if (const auto* rejected = outcome.find("rejected"); rejected && rejected->isArray()) {
                for (const auto& entry : rejected->items()) {
                    const auto* index = entry.find("index");
                    std::int64_t at = -1;
                    if (!index || !index->asInt64(at) || at < 0) continue;
                    const auto i = static_cast<std::size_t>(at);
                    if (i >= mapped->records.size()) continue;
                    if (firstReason.empty())
                        if (const auto* reason = entry.find("reason"); reason && reason->isString()) firstReason = reason->str();
                    if (mapped->records[i].item != MappedRecord::kNoItem) rejectedItems.insert(mapped->records[i].item);
                }
            }
        } catch (const std::exception& e) {
            firstReason = std::string("the host's answer could not be read: ") + e.what();
        }
        std::string message;
        if (!rejectedItems.empty())
            message = std::to_string(rejectedItems.size()) + " of " + std::to_string(mapped->items) + " " + itemsName(s) +
                      " were not stored: " + firstReason;
        else if (!firstReason.empty())
            message = "stored, with a warning: " + firstReason;
        reply.respond(200, contentTypeOf(encoding),
                      exportResponse(s, encoding, static_cast<std::int64_t>(rejectedItems.size()), message));
    });
}

} // namespace mc::receiver_otlp
