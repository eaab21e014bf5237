// Ingest benchmark: the whole host in-process (HostRuntime with the real store plugin), C concurrent
// HTTP clients posting batches of B log events to POST /api/ingest on keep-alive connections, and S
// raw-socket WebSocket subscribers on logs:* while the store is writing. Reports:
//   - throughput: events acknowledged (= committed) per second, and the per-request ack latency;
//   - ingest -> subscriber latency: each event carries its send time (wall clock, us) in
//     context.t; every subscriber subtracts it from its arrival time (same machine, same clock).
//
//   mc-bench-ingest [--store sqlite|postgres] [--postgres-url URL] [--events N] [--batch B]
//                   [--clients C] [--subscribers S] [--set key=value ...]
// Exit code: 0 when every event was acknowledged, committed and delivered to every subscriber.
#include "BenchSupport.h"
#include "config/HostConfig.h"
#include "app/HostRuntime.h"
#include "ingest/StoreWriter.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

using namespace mc::host;
using namespace mc::bench;

namespace {

struct Subscriber {
    NativeWebSocket socket;
    std::vector<long long> latenciesUs;
    std::size_t received = 0;
};

std::string batchBody(std::size_t first, std::size_t count) {
    std::string body = "{\"events\":[";
    for (std::size_t i = 0; i < count; ++i) {
        if (i) body += ',';
        body += "{\"type\":\"log\",\"level\":\"INFO\",\"service\":\"bench\",\"mcp_id\":\"bench\",\"message\":\"event " +
                std::to_string(first + i) + "\",\"context\":{\"t\":" + std::to_string(wallMicros()) + "}}";
    }
    return body + "]}";
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const std::string store = flag(argc, argv, "--store", "sqlite");
    const std::string postgresUrl = flag(argc, argv, "--postgres-url", "");
    const std::size_t events = std::strtoull(flag(argc, argv, "--events", "100000").c_str(), nullptr, 10);
    const std::size_t batch = std::strtoull(flag(argc, argv, "--batch", "100").c_str(), nullptr, 10);
    const std::size_t clients = std::strtoull(flag(argc, argv, "--clients", "4").c_str(), nullptr, 10);
    const std::size_t subscriberCount = std::strtoull(flag(argc, argv, "--subscribers", "50").c_str(), nullptr, 10);
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
        // Every subscriber receives every event: let its queue hold the whole run.
        {"ws.queue.max_messages", std::to_string(events + 1000)},
        {"ws.queue.max_bytes", std::to_string(static_cast<long long>(events + 1000) * 600)},
    };
    if (!postgresUrl.empty()) keys["store.postgres.url"] = postgresUrl;
    if (!applySetFlags(argc, argv, keys)) return 1;

    bool ok = true;
    try {
        HostRuntime runtime(hostConfig(keys), executableDir());
        runtime.start();
        const std::uint16_t port = runtime.port();
        std::printf("mc-bench-ingest: store %s; %zu events in HTTP batches of %zu from %zu clients; %zu subscribers on logs:*\n",
                    store.c_str(), events, batch, clients, subscriberCount);

        std::vector<std::unique_ptr<Subscriber>> subscribers;
        for (std::size_t i = 0; i < subscriberCount; ++i) {
            auto s = std::make_unique<Subscriber>();
            if (!s->socket.connect(port) || !s->socket.sendText(R"({"type":"subscribe","channel":"logs:*"})") ||
                !s->socket.receiveContaining("\"subscribed\"", std::chrono::seconds(5))) {
                std::fprintf(stderr, "subscriber %zu could not subscribe\n", i);
                return 1;
            }
            subscribers.push_back(std::move(s));
        }
        std::vector<std::thread> readers;
        for (auto& s : subscribers) {
            readers.emplace_back([&s, events] {
                const auto deadline = SteadyClock::now() + std::chrono::seconds(300);
                while (s->received < events) {
                    auto m = s->socket.receive(deadline);
                    if (!m) return;
                    if (m->first.rfind("{\"type\":\"log\"", 0) != 0) continue; // replies
                    if (auto t = intField(m->first, "t")) s->latenciesUs.push_back(m->second - *t);
                    ++s->received;
                }
            });
        }

        std::atomic<std::size_t> next{0}, acknowledged{0}, refused{0};
        std::mutex ackMutex;
        std::vector<long long> ackUs;
        const auto started = SteadyClock::now();
        std::vector<std::thread> posters;
        for (std::size_t c = 0; c < clients; ++c) {
            posters.emplace_back([&] {
                Poco::Net::HTTPClientSession session("127.0.0.1", port);
                session.setKeepAlive(true);
                for (;;) {
                    const std::size_t first = next.fetch_add(batch);
                    if (first >= events) return;
                    const std::size_t count = std::min(batch, events - first);
                    const Posted posted = postUntilTaken(session, "/api/ingest", "application/json", batchBody(first, count));
                    refused += posted.refused;
                    const auto accepted = intField(posted.reply, "accepted");
                    if (posted.status != Poco::Net::HTTPResponse::HTTP_OK || !accepted) {
                        std::fprintf(stderr, "ingest answered %d: %s\n", posted.status, posted.reply.c_str());
                        return;
                    }
                    acknowledged += static_cast<std::size_t>(*accepted);
                    std::lock_guard lock(ackMutex);
                    ackUs.push_back(posted.micros);
                }
            });
        }
        for (auto& t : posters) t.join();
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
        for (auto& t : readers) t.join();

        std::vector<long long> latencies;
        std::size_t delivered = 0;
        for (const auto& s : subscribers) {
            delivered += s->received;
            latencies.insert(latencies.end(), s->latenciesUs.begin(), s->latenciesUs.end());
        }
        const auto writer = runtime.writer().stats();
        std::printf("throughput: %zu events acknowledged in %.2f s = %.0f events/s committed (%zu requests refused with 503)\n",
                    acknowledged.load(), seconds, acknowledged.load() / seconds, refused.load());
        std::printf("ack latency per request of %zu: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", batch, percentileMs(ackUs, 0.5),
                    percentileMs(ackUs, 0.99), percentileMs(ackUs, 1.0));
        std::printf("ingest -> subscriber: %zu deliveries, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", delivered,
                    percentileMs(latencies, 0.5), percentileMs(latencies, 0.99), percentileMs(latencies, 1.0));
        std::printf("writer: %llu committed in %llu transactions (%.1f events each), %llu retries\n",
                    static_cast<unsigned long long>(writer.committed), static_cast<unsigned long long>(writer.batches),
                    writer.batches ? static_cast<double>(writer.committed) / writer.batches : 0.0,
                    static_cast<unsigned long long>(writer.retries));
        if (acknowledged != events) ok = failed(std::to_string(events - acknowledged) + " events not acknowledged");
        if (delivered != events * subscriberCount) ok = failed("deliveries missing: " + std::to_string(events * subscriberCount - delivered));
        runtime.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mc-bench-ingest: %s\n", e.what());
        return 1;
    }
    return ok ? 0 : 2;
}
