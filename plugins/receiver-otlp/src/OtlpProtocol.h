#pragma once
// OTLP/HTTP's rules outside the payload (opentelemetry-proto docs/specification.md, "OTLP/HTTP"):
// which signal a path carries, the two encodings, gzip with a cap on the inflated size, and the
// reply bodies: Export*ServiceResponse with partial_success, google.rpc.Status for failures, each in
// the request's encoding.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mc::receiver_otlp {

enum class Signal { Logs, Traces, Metrics };
enum class Encoding { Protobuf, Json };

std::optional<Signal> signalOf(std::string_view path);          // "/v1/logs", "/v1/traces", "/v1/metrics"
std::optional<Encoding> encodingOf(std::string_view contentType); // "application/x-protobuf", "application/json"

class InflateError : public std::runtime_error {
public:
    InflateError(std::string message, bool tooLarge) : std::runtime_error(std::move(message)), tooLarge(tooLarge) {}
    bool tooLarge; // the limit was reached (413), else the data is not gzip (400)
};
// The gzip member(s) of `body` inflated, refusing more than `limit` bytes of output (a gzip bomb).
std::string inflateGzip(std::string_view body, std::size_t limit);

// The success reply: empty (protobuf) or {} (JSON) when nothing was rejected; else partial_success
// with the count of rejected log records, spans or data points and why.
std::string exportResponse(Signal signal, Encoding encoding, std::int64_t rejected, std::string_view message);
// A failure's body: google.rpc.Status{code, message}. `code`: a gRPC code (3 INVALID_ARGUMENT, 8
// RESOURCE_EXHAUSTED, 14 UNAVAILABLE, 13 INTERNAL).
std::string statusBody(Encoding encoding, int code, std::string_view message);
const char* contentTypeOf(Encoding encoding);

} // namespace mc::receiver_otlp
