#include "OtlpProtocol.h"

#include "mc/json_text.hpp"
#include "mc/otlp/ProtoWire.h"

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>

#include <sstream>

namespace mc::receiver_otlp {
namespace {

std::string lower(std::string_view s) {
    std::string out;
    for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::optional<Signal> signalOf(std::string_view path) {
    if (path == "/v1/logs") return Signal::Logs;
    if (path == "/v1/traces") return Signal::Traces;
    if (path == "/v1/metrics") return Signal::Metrics;
    return std::nullopt;
}

std::optional<Encoding> encodingOf(std::string_view contentType) {
    const std::string type = lower(contentType.substr(0, contentType.find(';')));
    const auto start = type.find_first_not_of(" \t");
    const auto end = type.find_last_not_of(" \t");
    const std::string media = start == std::string::npos ? std::string() : type.substr(start, end - start + 1);
    if (media == "application/x-protobuf") return Encoding::Protobuf;
    if (media == "application/json") return Encoding::Json;
    return std::nullopt;
}

std::string inflateGzip(std::string_view body, std::size_t limit) {
    std::istringstream in{std::string(body)};
    Poco::InflatingInputStream inflater(in, Poco::InflatingStreamBuf::STREAM_GZIP);
    std::string out;
    char buffer[16384];
    try {
        while (inflater.read(buffer, sizeof buffer) || inflater.gcount() > 0) {
            out.append(buffer, static_cast<std::size_t>(inflater.gcount()));
            if (out.size() > limit)
                throw InflateError("the gzip body inflates to more than " + std::to_string(limit) +
                                       " bytes (receiver.otlp.max_inflated_bytes)",
                                   true);
        }
    } catch (const Poco::Exception& e) {
        throw InflateError("the body is not valid gzip: " + e.displayText(), false);
    }
    if (inflater.bad()) throw InflateError("the body is not valid gzip", false);
    return out;
}

std::string exportResponse(Signal signal, Encoding encoding, std::int64_t rejected, std::string_view message) {
    if (rejected == 0 && message.empty()) return encoding == Encoding::Json ? "{}" : "";
    if (encoding == Encoding::Json) {
        const char* name = signal == Signal::Logs ? "rejectedLogRecords" : signal == Signal::Traces ? "rejectedSpans" : "rejectedDataPoints";
        return std::string("{\"partialSuccess\":{\"") + name + "\":\"" + std::to_string(rejected) +
               "\",\"errorMessage\":" + mc::sdk::json::quote(message) + "}}";
    }
    std::string partial;
    mc::otlp::wire::varintField(partial, 1, static_cast<std::uint64_t>(rejected));
    mc::otlp::wire::textField(partial, 2, message);
    std::string out;
    mc::otlp::wire::lenField(out, 1, partial);
    return out;
}

std::string statusBody(Encoding encoding, int code, std::string_view message) {
    if (encoding == Encoding::Json)
        return "{\"code\":" + std::to_string(code) + ",\"message\":" + mc::sdk::json::quote(message) + "}";
    std::string out;
    mc::otlp::wire::tag(out, 1, 0); // written even when 0 (OK), as the reply's code is always read
    mc::otlp::wire::varint(out, static_cast<std::uint64_t>(code));
    mc::otlp::wire::lenField(out, 2, message);
    return out;
}

const char* contentTypeOf(Encoding encoding) {
    return encoding == Encoding::Json ? "application/json" : "application/x-protobuf";
}

} // namespace mc::receiver_otlp
