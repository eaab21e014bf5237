// OTLP receiver benchmark: the whole host in-process (HostRuntime, the real receiver-otlp and store
// plugins), C concurrent HTTP clients posting OTLP export requests of B items each to the receiver's
// own listener on keep-alive connections. The receiver answers after the commit, so what is
// acknowledged is stored. Reports items acknowledged per second and the per-request latency.
//
//   mc-bench-otlp [--signal traces|logs] [--encoding protobuf|json] [--items N] [--batch B]
//                 [--clients C] [--session yes|no] [--store sqlite|postgres] [--postgres-url URL]
//                 [--set key=value ...]
//
// traces: spans of a GenAI chat (gen_ai.* attributes, 4 of them); with --session yes each client's
// spans belong to one session (they become steps of its thread), with no they become log records.
// logs: Claude Code api_request events (body claude_code.api_request, 9 attributes, one session per
// client): llm_call steps. Exit code 0 when every item was acknowledged.
#include "BenchSupport.h"
#include "ProtoWriter.h"
#include "app/HostRuntime.h"
#include "ingest/StoreWriter.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

using namespace mc::host;
using namespace mc::bench;
using mc::test::Pb;
using mc::test::pbKeyValue;
using mc::test::pbString;

namespace {

constexpr std::uint64_t kT0 = 1767225600000000000ull; // 2026-01-01T00:00:00Z

std::string hex(std::uint64_t v, int digits) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
    return buf;
}
std::string raw(std::uint64_t hi, std::uint64_t lo, int bytes) {
    std::string out;
    for (int i = 0; i < 8 && bytes > 8; ++i) out += static_cast<char>((hi >> (56 - 8 * i)) & 0xff);
    for (int i = 0; i < 8; ++i) out += static_cast<char>((lo >> (56 - 8 * i)) & 0xff);
    return out;
}

// ExportTraceServiceRequest / ExportLogsServiceRequest of items [first, first+count) of `client`.
std::string protobufBody(bool traces, std::size_t client, std::size_t first, std::size_t count, bool session) {
    const std::string resource = Pb().len(1, pbKeyValue("service.name", pbString(traces ? "bench-agent" : "claude-code"))).out;
    const std::string sessionId = "bench-session-" + std::to_string(client);
    Pb scope;
    scope.len(1, Pb().len(1, traces ? "bench" : "com.anthropic.claude_code.events").out);
    for (std::size_t i = first; i < first + count; ++i) {
        const std::uint64_t start = kT0 + i * 1000; // 1 us apart: distinct step sequences in a thread
        if (traces) {
            Pb span;
            span.len(1, raw(client + 1, i + 1, 16)).len(2, raw(0, (client << 40) | (i + 1), 8)).len(5, "chat bench-model").number(6, 3)
                .fixed64(7, start).fixed64(8, start + 5000000)
                .len(9, pbKeyValue("gen_ai.operation.name", pbString("chat")))
                .len(9, pbKeyValue("gen_ai.request.model", pbString("bench-model")))
                .len(9, pbKeyValue("gen_ai.usage.input_tokens", mc::test::pbInt(120)))
                .len(9, pbKeyValue("gen_ai.usage.output_tokens", mc::test::pbInt(30)));
            if (session) span.len(9, pbKeyValue("session.id", pbString(sessionId)));
            scope.len(2, span.out);
        } else {
            Pb record;
            record.fixed64(1, start).len(5, pbString("claude_code.api_request"))
                .len(6, pbKeyValue("event.name", pbString("api_request")))
                .len(6, pbKeyValue("session.id", pbString(sessionId)))
                .len(6, pbKeyValue("event.sequence", mc::test::pbInt(static_cast<std::int64_t>(i))))
                .len(6, pbKeyValue("model", pbString("bench-model")))
                .len(6, pbKeyValue("input_tokens", pbString("120")))
                .len(6, pbKeyValue("output_tokens", pbString("30")))
                .len(6, pbKeyValue("cost_usd", pbString("0.0012")))
                .len(6, pbKeyValue("duration_ms", pbString("250")))
                .len(6, pbKeyValue("request_id", pbString("req_" + std::to_string(i))));
            scope.len(2, record.out);
        }
    }
    return Pb().len(1, Pb().len(1, resource).len(2, scope.out).out).out;
}

std::string kv(const std::string& key, const std::string& value) {
    return "{\"key\":\"" + key + "\",\"value\":" + value + "}";
}
std::string str(const std::string& s) { return "{\"stringValue\":\"" + s + "\"}"; }

std::string jsonBody(bool traces, std::size_t client, std::size_t first, std::size_t count, bool session) {
    const std::string sessionId = "bench-session-" + std::to_string(client);
    std::string items;
    for (std::size_t i = first; i < first + count; ++i) {
        const std::uint64_t start = kT0 + i * 1000;
        if (!items.empty()) items += ',';
        if (traces) {
            items += "{\"traceId\":\"" + hex(client + 1, 16) + hex(i + 1, 16) + "\",\"spanId\":\"" + hex((client << 40) | (i + 1), 16) +
                     "\",\"name\":\"chat bench-model\",\"kind\":3,\"startTimeUnixNano\":\"" + std::to_string(start) +
                     "\",\"endTimeUnixNano\":\"" + std::to_string(start + 5000000) + "\",\"attributes\":[" +
                     kv("gen_ai.operation.name", str("chat")) + "," + kv("gen_ai.request.model", str("bench-model")) + "," +
                     kv("gen_ai.usage.input_tokens", "{\"intValue\":\"120\"}") + "," + kv("gen_ai.usage.output_tokens", "{\"intValue\":\"30\"}") +
                     (session ? "," + kv("session.id", str(sessionId)) : "") + "]}";
        } else {
            items += "{\"timeUnixNano\":\"" + std::to_string(start) + "\",\"body\":" + str("claude_code.api_request") + ",\"attributes\":[" +
                     kv("event.name", str("api_request")) + "," + kv("session.id", str(sessionId)) + "," +
                     kv("event.sequence", "{\"intValue\":\"" + std::to_string(i) + "\"}") + "," + kv("model", str("bench-model")) + "," +
                     kv("input_tokens", str("120")) + "," + kv("output_tokens", str("30")) + "," + kv("cost_usd", str("0.0012")) + "," +
                     kv("duration_ms", str("250")) + "," + kv("request_id", str("req_" + std::to_string(i))) + "]}";
        }
    }
    if (traces)
        return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" + kv("service.name", str("bench-agent")) +
               "]},\"scopeSpans\":[{\"scope\":{\"name\":\"bench\"},\"spans\":[" + items + "]}]}]}";
    return "{\"resourceLogs\":[{\"resource\":{\"attributes\":[" + kv("service.name", str("claude-code")) +
           "]},\"scopeLogs\":[{\"scope\":{\"name\":\"com.anthropic.claude_code.events\"},\"logRecords\":[" + items + "]}]}]}";
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const bool traces = flag(argc, argv, "--signal", "traces") == "traces";
    const bool json = flag(argc, argv, "--encoding", "protobuf") == "json";
    const bool session = flag(argc, argv, "--session", "yes") == "yes";
    const std::string store = flag(argc, argv, "--store", "sqlite");
    const std::string postgresUrl = flag(argc, argv, "--postgres-url", "");
    const std::size_t items = std::strtoull(flag(argc, argv, "--items", "200000").c_str(), nullptr, 10);
    const std::size_t batch = std::strtoull(flag(argc, argv, "--batch", "500").c_str(), nullptr, 10);
    const std::size_t clients = std::strtoull(flag(argc, argv, "--clients", "4").c_str(), nullptr, 10);
    if (store == "postgres" && postgresUrl.empty()) {
        std::fprintf(stderr, "--store postgres needs --postgres-url postgresql://user@127.0.0.1:PORT/db\n");
        return 1;
    }
    Poco::TemporaryFile storeDir;
    storeDir.createDirectories();
    std::map<std::string, std::string> keys = {
        {"http.port", "0"},
        {"log.level", "warn"},
        {"store.backend", store},
        {"store.sqlite.path", storeDir.path() + "/bench.db"},
        {"shutdown.drain_timeout_ms", "5000"},
        {"receiver.otlp.listen", "127.0.0.1:0"},
    };
    if (!postgresUrl.empty()) keys["store.postgres.url"] = postgresUrl;
    if (!applySetFlags(argc, argv, keys)) return 1;

    bool ok = true;
    try {
        HostRuntime runtime(hostConfig(keys), executableDir());
        runtime.start();
        const std::uint16_t port = runtime.receiverPort("receiver-otlp");
        if (!port) {
            std::fprintf(stderr, "mc-bench-otlp: the receiver has no listener (is receiver-otlp.so in the plugins directory?)\n");
            return 1;
        }
        const std::size_t perClient = (items + clients - 1) / clients;
        // The bodies are made before the clock starts: the host's work is what is measured.
        std::vector<std::vector<std::pair<std::size_t, std::string>>> bodies(clients);
        std::size_t bytes = 0;
        for (std::size_t c = 0; c < clients; ++c)
            for (std::size_t first = c * perClient; first < std::min(items, (c + 1) * perClient); first += batch) {
                const std::size_t count = std::min({batch, items - first, (c + 1) * perClient - first});
                bodies[c].emplace_back(count, json ? jsonBody(traces, c, first, count, session) : protobufBody(traces, c, first, count, session));
                bytes += bodies[c].back().second.size();
            }
        std::printf("mc-bench-otlp: store %s; %zu %s (%s, %s) in requests of %zu from %zu clients; %.1f MB of bodies\n", store.c_str(),
                    items, traces ? "spans" : "log records", json ? "OTLP/JSON" : "protobuf",
                    traces ? (session ? "one session per client: steps" : "no session: log records") : "Claude Code api_request events: steps",
                    batch, clients, bytes / 1e6);

        std::atomic<std::size_t> acknowledged{0}, refused{0};
        std::mutex ackMutex;
        std::vector<long long> ackUs;
        const auto started = SteadyClock::now();
        std::vector<std::thread> posters;
        for (std::size_t c = 0; c < clients; ++c) {
            posters.emplace_back([&, c] {
                Poco::Net::HTTPClientSession http("127.0.0.1", port);
                http.setKeepAlive(true);
                for (const auto& [count, body] : bodies[c]) {
                    const Posted posted = postUntilTaken(http, traces ? "/v1/traces" : "/v1/logs",
                                                         json ? "application/json" : "application/x-protobuf", body);
                    refused += posted.refused;
                    // Everything stored: an empty response (protobuf) or {} (JSON), no partial_success.
                    if (posted.status != Poco::Net::HTTPResponse::HTTP_OK || (json ? posted.reply != "{}" : !posted.reply.empty())) {
                        std::fprintf(stderr, "the receiver answered %d: %s\n", posted.status, posted.reply.c_str());
                        return;
                    }
                    acknowledged += count;
                    std::lock_guard lock(ackMutex);
                    ackUs.push_back(posted.micros);
                }
            });
        }
        for (auto& t : posters) t.join();
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
        const auto writer = runtime.writer().stats();
        std::printf("throughput: %zu %s acknowledged (committed) in %.2f s = %.0f/s (%zu requests refused with 503)\n",
                    acknowledged.load(), traces ? "spans" : "log records", seconds, acknowledged.load() / seconds, refused.load());
        std::printf("latency per request of %zu: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", batch, percentileMs(ackUs, 0.5),
                    percentileMs(ackUs, 0.99), percentileMs(ackUs, 1.0));
        std::printf("writer: %llu records committed in %llu transactions\n", static_cast<unsigned long long>(writer.committed),
                    static_cast<unsigned long long>(writer.batches));
        if (acknowledged != items) ok = failed(std::to_string(items - acknowledged) + " items not acknowledged");
        runtime.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mc-bench-otlp: %s\n", e.what());
        return 1;
    }
    return ok ? 0 : 2;
}
