#include "export/OtlpExporter.h"

#include "log/Logging.h"
#include "mc/records/RandomId.h"
#include "mc/thread_name.hpp"

#include <Poco/DeflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <sstream>

namespace mc::host {
namespace {

using Clock = std::chrono::steady_clock;

std::string gzipped(const std::string& body) {
    std::ostringstream out;
    Poco::DeflatingOutputStream deflate(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflate.write(body.data(), static_cast<std::streamsize>(body.size()));
    deflate.close();
    return out.str();
}

mc::otlp::AnyValue text(std::string value) {
    mc::otlp::AnyValue v;
    v.type = mc::otlp::AnyValue::Type::String;
    v.text = std::move(value);
    return v;
}

bool retryable(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

} // namespace

OtlpExporter::OtlpExporter(OtlpExportSettings settings, std::string version)
    : settings_(std::move(settings)), version_(std::move(version)),
      instanceId_(records::randomUuid()) {}

OtlpExporter::~OtlpExporter() { stop(); }

void OtlpExporter::start() {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-otlp-export");
        run();
    });
    logging::get("export")->info("exporting spans to {} (OTLP/HTTP, {}{})", settings_.url, settings_.json ? "json" : "protobuf",
                                 settings_.gzip ? ", gzip" : "");
}

void OtlpExporter::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        stopDeadline_ = Clock::now() + settings_.timeout;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void OtlpExporter::offerCall(const McpCallRecord& call) {
    if (call.method == "ping" && !settings_.includePings) return;
    offer(call);
}

void OtlpExporter::offerRecord(std::string_view source, bool received, const mc::records::KindSpec& spec,
                               const mc::records::NormalizedRecord& record) {
    if (received) return;
    if (spec.kind == "step") {
        if (source == "gateway") return;
    } else if (spec.kind != "thread") {
        return;
    }
    offer(RecordItem{&spec, record});
}

void OtlpExporter::offer(Item item) {
    bool full = false, wake = false;
    std::uint64_t dropped = 0;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() + retrying_ >= settings_.queueMaxSpans) {
            full = true;
            dropped = ++stats_.droppedQueueFull;
        } else {
            // The first item starts the batch's delay (the thread sleeps without a deadline while the queue is
            // empty); a full batch goes at once.
            wake = queue_.empty() || queue_.size() + 1 == settings_.batchMaxSpans;
            if (queue_.empty()) oldest_ = Clock::now();
            queue_.push_back(std::move(item));
            ++stats_.offered;
        }
    }
    if (full && (dropped == 1 || dropped % 10000 == 0))
        logging::get("export")->warn("the export queue is full ({} spans): spans are dropped ({} so far)", settings_.queueMaxSpans,
                                     dropped);
    if (wake) changed_.notify_all();
}

OtlpExportStats OtlpExporter::stats() const {
    std::lock_guard lock(mutex_);
    OtlpExportStats s = stats_;
    s.queued = queue_.size() + retrying_;
    return s;
}

void OtlpExporter::run() {
    for (;;) {
        std::deque<Item> items;
        bool stopping = false;
        {
            std::unique_lock lock(mutex_);
            for (;;) {
                if (stopping_) break;
                if (queue_.size() >= settings_.batchMaxSpans) break;
                if (!queue_.empty() && Clock::now() >= oldest_ + settings_.batchDelay) break;
                if (queue_.empty()) changed_.wait(lock);
                else changed_.wait_until(lock, oldest_ + settings_.batchDelay);
            }
            stopping = stopping_;
            if (stopping && Clock::now() >= stopDeadline_) {
                if (!queue_.empty())
                    logging::get("export")->warn("{} spans not exported: the host stopped before they could be sent", queue_.size());
                stats_.failed += queue_.size();
                queue_.clear();
                return;
            }
            const std::size_t take = std::min(queue_.size(), settings_.batchMaxSpans);
            for (std::size_t i = 0; i < take; ++i) {
                items.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (!queue_.empty()) oldest_ = Clock::now(); // what is left goes in the next batch at once (it is full) or soon
            if (stopping && items.empty()) return;
        }
        Batch batch = encode(items);
        if (batch.spans == 0) continue;
        // Stopping: what is queued gets timeout_ms in all, and no retry beyond it.
        deliver(std::move(batch), stopping ? stopDeadline_ : Clock::now() + settings_.retryMaxElapsed);
    }
}

OtlpExporter::Batch OtlpExporter::encode(std::deque<Item>& items) {
    mc::otlp::TracesRequest request;
    auto& resource = request.resources.emplace_back();
    resource.resource = {{"service.name", text(settings_.serviceName)},
                         {"service.version", text(version_)},
                         {"service.instance.id", text(instanceId_)},
                         {"telemetry.sdk.name", text("mission-control")},
                         {"telemetry.sdk.language", text("cpp")}};
    auto& scope = resource.scopes.emplace_back();
    scope.scope.name = "mission-control";
    scope.scope.version = version_;
    for (auto& item : items) {
        if (auto* call = std::get_if<McpCallRecord>(&item)) {
            scope.spans.push_back(spanOfCall(*call));
        } else {
            auto& r = std::get<RecordItem>(item);
            if (auto span = recordSpans_.spanOf(*r.spec, r.record)) scope.spans.push_back(std::move(*span));
        }
    }
    Batch batch;
    batch.spans = scope.spans.size();
    if (batch.spans == 0) return batch;
    try {
        batch.body = settings_.json ? mc::otlp::encodeTracesJson(request) : mc::otlp::encodeTracesProtobuf(request);
    } catch (const std::invalid_argument& e) { // an id the mapping made wrong: a bug, said loudly once per batch
        logging::get("export")->error("a batch of {} spans could not be encoded: {}", batch.spans, e.what());
        std::lock_guard lock(mutex_);
        stats_.failed += batch.spans;
        batch.spans = 0;
        return batch;
    }
    if (settings_.gzip) batch.body = gzipped(batch.body);
    return batch;
}

void OtlpExporter::deliver(Batch batch, Clock::time_point giveUpAt) {
    auto log = logging::get("export");
    auto delay = settings_.retryInitial;
    {
        std::lock_guard lock(mutex_);
        retrying_ = batch.spans;
    }
    for (unsigned attempt = 1;; ++attempt) {
        std::chrono::milliseconds retryAfter{0};
        const Sent sent = post(batch, retryAfter);
        if (sent == Sent::Ok) break;
        const auto wait = std::max(delay, retryAfter);
        const bool giveUp = sent == Sent::Refused || Clock::now() + wait > giveUpAt;
        if (giveUp) {
            std::lock_guard lock(mutex_);
            stats_.failed += batch.spans;
            retrying_ = 0;
            if (sent == Sent::Retry)
                log->error("{} spans not exported to {}: it did not take them in {} attempts", batch.spans, settings_.url, attempt);
            return;
        }
        log->debug("export to {} failed (attempt {}); retrying in {} ms", settings_.url, attempt, wait.count());
        {
            std::unique_lock lock(mutex_);
            // stop() cuts the wait short: what is left gets its last attempts now.
            if (changed_.wait_for(lock, wait, [this] { return stopping_; })) giveUpAt = std::min(giveUpAt, stopDeadline_);
        }
        delay = std::min(delay * 2, settings_.retryMax);
    }
    std::lock_guard lock(mutex_);
    retrying_ = 0;
}

OtlpExporter::Sent OtlpExporter::post(const Batch& batch, std::chrono::milliseconds& retryAfter) {
    auto log = logging::get("export");
    auto failed = [this] {
        std::lock_guard lock(mutex_);
        ++stats_.requestErrors;
    };
    try {
        if (!session_) {
            if (settings_.scheme == "https") {
                Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                                         Poco::Net::Context::VERIFY_RELAXED, 9, true);
                session_ = std::make_unique<Poco::Net::HTTPSClientSession>(settings_.host, settings_.port, context);
            } else {
                session_ = std::make_unique<Poco::Net::HTTPClientSession>(settings_.host, settings_.port);
            }
            session_->setTimeout(Poco::Timespan(static_cast<long>(settings_.timeout.count() / 1000),
                                                static_cast<long>(settings_.timeout.count() % 1000) * 1000));
        }
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, settings_.path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType(settings_.json ? "application/json" : "application/x-protobuf");
        if (settings_.gzip) request.set("Content-Encoding", "gzip");
        request.setContentLength(static_cast<std::streamsize>(batch.body.size()));
        request.set("User-Agent", "mission-control/" + version_);
        for (const auto& [name, value] : settings_.headers) request.set(name, value);
        session_->sendRequest(request).write(batch.body.data(), static_cast<std::streamsize>(batch.body.size()));
        Poco::Net::HTTPResponse response;
        std::istream& in = session_->receiveResponse(response);
        std::string body;
        Poco::StreamCopier::copyToString(in, body);
        const int status = static_cast<int>(response.getStatus());
        if (status >= 200 && status < 300) {
            mc::otlp::PartialSuccess partial;
            try {
                partial = mc::otlp::decodeTracesResponse(body, settings_.json);
            } catch (const mc::otlp::DecodeError& e) {
                log->warn("{} answered {} with a body that is not an ExportTraceServiceResponse: {}", settings_.url, status, e.what());
            }
            const auto rejected = static_cast<std::uint64_t>(std::clamp<std::int64_t>(partial.rejected, 0, batch.spans));
            if (rejected || !partial.message.empty())
                log->warn("{} did not take {} of {} spans: {}", settings_.url, rejected, batch.spans, partial.message);
            std::lock_guard lock(mutex_);
            ++stats_.requests;
            stats_.exported += batch.spans - rejected;
            stats_.rejected += rejected;
            return Sent::Ok;
        }
        failed();
        if (retryable(status)) {
            const std::string after = response.get("Retry-After", "");
            if (!after.empty() && std::all_of(after.begin(), after.end(), ::isdigit) && after.size() < 7)
                retryAfter = std::chrono::seconds(std::stol(after));
            log->debug("{} answered {}: retrying", settings_.url, status);
            return Sent::Retry;
        }
        log->error("{} refused {} spans with {} {}: {}", settings_.url, batch.spans, status, response.getReason(),
                   body.substr(0, 300));
        return Sent::Refused;
    } catch (const Poco::Exception& e) {
        failed();
        session_.reset(); // a fresh connection next time
        log->warn("export to {} failed: {}", settings_.url, e.displayText());
        return Sent::Retry;
    } catch (const std::exception& e) {
        failed();
        session_.reset();
        log->warn("export to {} failed: {}", settings_.url, e.what());
        return Sent::Retry;
    }
}

} // namespace mc::host
