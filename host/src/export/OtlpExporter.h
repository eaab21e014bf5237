#pragma once
// Exports the host's own spans (SpanMapping.h) to an OTLP/HTTP collector (export.otlp.*): another
// Mission Control's receiver, an OpenTelemetry Collector, Jaeger, Tempo, ...
//
// Callers hand over what happened (a gateway request, an accepted record) and return at once: the
// queue is bounded (export.otlp.queue_max_spans; beyond it items are dropped and counted), and one
// thread maps, batches (up to batch_max_spans, or what came within batch_delay_ms), encodes and POSTs.
// A batch the collector could not take for now (a connection error, 429, 502, 503, 504) is sent again
// after a backoff (Retry-After when given) until retry.max_elapsed_ms, while new items queue; one it
// refused (another status) is dropped and logged. stop() sends what is queued, within timeout_ms.
#include "export/ExportSettings.h"
#include "export/SpanMapping.h"
#include "gateway/McpCallRecord.h"

#include "mc/records/RecordSchema.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

namespace Poco::Net {
class HTTPClientSession;
}

namespace mc::host {

struct OtlpExportStats {
    std::uint64_t offered = 0;      // items handed over that make a span
    std::uint64_t exported = 0;     // spans the collector took
    std::uint64_t rejected = 0;     // spans the collector's partial_success said it did not take
    std::uint64_t droppedQueueFull = 0;
    std::uint64_t failed = 0;       // spans of batches given up (refused, retries exhausted, not sent by stop())
    std::uint64_t requests = 0;     // export requests answered 2xx
    std::uint64_t requestErrors = 0; // attempts that failed (each retry counts)
    std::size_t queued = 0;         // waiting now (items, and the spans of a batch being retried)
};

class OtlpExporter {
public:
    // `version`: service.version of the exported resource.
    OtlpExporter(OtlpExportSettings settings, std::string version);
    ~OtlpExporter(); // stop()
    OtlpExporter(const OtlpExporter&) = delete;
    OtlpExporter& operator=(const OtlpExporter&) = delete;

    void start();
    void stop();

    // From any thread; never wait on the network. Pings are skipped unless export.otlp.include_pings.
    void offerCall(const McpCallRecord& call);
    // An accepted record: threads and steps make spans, except records a receiver brought (the agent's
    // own telemetry, kept as it came: not exported again) and the gateway's tool-call steps (their
    // MCP client span, from offerCall, stands for them).
    void offerRecord(std::string_view source, bool received, const mc::records::KindSpec& spec,
                     const mc::records::NormalizedRecord& record);

    OtlpExportStats stats() const;
    const OtlpExportSettings& settings() const { return settings_; }

private:
    struct RecordItem {
        const mc::records::KindSpec* spec;
        mc::records::NormalizedRecord record;
    };
    using Item = std::variant<McpCallRecord, RecordItem>;
    struct Batch {
        std::string body;
        std::size_t spans = 0;
    };
    enum class Sent { Ok, Retry, Refused };

    void offer(Item item);
    void run();
    Batch encode(std::deque<Item>& items);
    Sent post(const Batch& batch, std::chrono::milliseconds& retryAfter);
    void deliver(Batch batch, std::chrono::steady_clock::time_point giveUpAt);

    const OtlpExportSettings settings_;
    const std::string version_;
    const std::string instanceId_;
    RecordSpans recordSpans_; // the exporter thread's
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Item> queue_;
    std::chrono::steady_clock::time_point oldest_{};
    std::size_t retrying_ = 0; // spans of the batch being retried
    bool stopping_ = false;
    std::chrono::steady_clock::time_point stopDeadline_{}; // stop(): what is queued by then is sent, the rest is not
    bool started_ = false;
    OtlpExportStats stats_;
    std::thread thread_;
};

} // namespace mc::host
