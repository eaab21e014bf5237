// The OTLP receiver's request path (plugins/receiver-otlp): what an exporter posts to /v1/logs,
// /v1/traces or /v1/metrics, handled by the plugin itself — media type, gzip (capped), decoding, the
// mapping to records, the reply. Byte 0 chooses the signal (bit 0 traces, bit 3 metrics, else logs),
// the encoding (bit 1) and gzip (bit 2; the rest of the input is then inflated, so corrupt and
// bomb-like gzip is fuzzed too).
//
// Checked: no crash/UB/leak/hang; every request is answered exactly once with 200, 400, 413 or 415;
// every record the mapping submits is one the host accepts as it is (its kind's fields, types and
// rules: mc::records::normalize succeeds), so a valid request never makes the host refuse a record
// for its shape.
#include "FuzzSupport.h"
#include "OtlpReceiver.h"
#include "RecordChecks.h"

#include "mc/records/RecordAbi.h"
#include "mc/records/RecordSchema.h"

#include <Poco/JSON/Parser.h>

#include <string>

using namespace mc::receiver_otlp;

namespace {

int answers = 0;
int lastStatus = 0;

void respond(void*, int status, mc_str, mc_str, mc_str) {
    ++answers;
    lastStatus = status;
}

// What the host does with each submitted record (ReceiverService::eventsOf): normalizeRecord() must
// take it; and each JSON field it let through must parse with another parser too (Poco's).
mc_status submit(void*, const mc_record* records, std::size_t count, std::size_t recordSize, mc_submit_done_fn done, void* ctx) {
    MC_FUZZ_CHECK(recordSize == sizeof(mc_record), "record_size " + std::to_string(recordSize));
    for (std::size_t i = 0; i < count; ++i) {
        const mc_record r = mc::records::recordAt(records, i, recordSize);
        const std::string kind(r.kind.ptr, r.kind.len);
        MC_FUZZ_CHECK(kind != "audit", "a record of kind audit");
        mc::records::TypedRecord typed;
        try {
            typed = mc::records::normalizeRecord(r, mc::fuzz::fixedNow);
        } catch (const std::invalid_argument& e) {
            MC_FUZZ_CHECK(false, "the host would refuse a mapped " + kind + ": " + e.what());
        }
        for (std::size_t f = 0; f < typed.spec->fields.size(); ++f) {
            const auto* text = std::get_if<std::string>(&typed.record.values[f]);
            if (typed.spec->fields[f].type != mc::records::FieldType::Json || !text) continue;
            try {
                Poco::JSON::Parser().parse(*text);
            } catch (const Poco::Exception& e) {
                MC_FUZZ_CHECK(false, "field " + typed.spec->fields[f].jsonName + " of a " + kind + " passed as JSON but is not: " + e.displayText());
            }
        }
    }
    const std::string result = "{\"accepted\":" + std::to_string(count) + ",\"rejected\":[]}";
    done(ctx, MC_OK, mc_str{result.data(), result.size()});
    return MC_OK;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const mc_receiver_output output{sizeof(mc_receiver_output), nullptr, &submit};
    static const Settings settings{{}, 1 << 20, 1};
    OtlpReceiver receiver(mc::sdk::Host(), settings, mc::sdk::Records(&output));
    const bool metrics = data[0] & 8;
    const bool traces = !metrics && (data[0] & 1);
    const bool json = data[0] & 2;
    const bool gzip = data[0] & 4;
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    answers = 0;
    const mc_http_responder responder{sizeof(mc_http_responder), nullptr, &respond};
    mc::sdk::HttpRequest request{"POST", metrics ? "/v1/metrics" : traces ? "/v1/traces" : "/v1/logs", json ? "application/json" : "application/x-protobuf",
                                 gzip ? "gzip" : "", body, ""};
    receiver.handle(request, mc::sdk::Responder(&responder));
    MC_FUZZ_CHECK(answers == 1, std::to_string(answers) + " answers to one request");
    MC_FUZZ_CHECK(lastStatus == 200 || lastStatus == 400 || lastStatus == 413, "status " + std::to_string(lastStatus));
    return 0;
}
