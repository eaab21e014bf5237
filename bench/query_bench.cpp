// Query API benchmark: the whole host in-process (HostRuntime with the real store plugin from
// build/plugins), seeded through the store's own write path in bulk batches, then every query route
// measured over HTTP on loopback (sequential requests on a keep-alive connection): p50/p99/max per
// endpoint, plus one full streamed log export with the host's RSS before and after.
//
//   build/bin/mc-bench-query [--logs 1000000] [--threads 100000] [--requests 200] [--batch 5000]
//                            [--db PATH (sqlite: keep the database there and reuse it when it exists)]
//                            [--postgres-url CONNINFO (store-postgres on that server) [--db reuse]]
#include "BenchSupport.h"
#include "config/HostConfig.h"
#include "app/HostRuntime.h"
#include "store/StoreService.h"
#include "util/Json.h"

#include <Poco/File.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/TemporaryFile.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

using namespace mc::host;
using Clock = std::chrono::steady_clock;

using mc::bench::executableDir;
using mc::bench::flag;
using mc::bench::percentileMs;

namespace {



// kB of a /proc/self/status line ("VmRSS", "VmHWM").
long procStatusKb(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key) + 1);
    return -1;
}


std::string ts(long long seconds, int micros = 0) {
    // 2026-01-01T00:00:00Z + seconds
    const long long base = 1767225600;
    return mc::host::json::isoTimestamp((base + seconds) * 1000000 + micros);
}

std::string threadId(long i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "T-%06ld", i);
    return buf;
}

void writeBatch(StoreService& store, const char* kind, const std::string& records) {
    std::string result, error;
    const mc_status status = store.write(kind, records, result, error);
    if (status != MC_OK || result.find("\"rejected\":[]") == std::string::npos) {
        std::fprintf(stderr, "seeding %s failed: %s %s\n", kind, error.c_str(), result.substr(0, 300).c_str());
        std::exit(1);
    }
}

void seed(StoreService& store, long logs, long threads, long batch) {
    static const char* statuses[] = {"complete", "complete", "complete", "error", "running", "cancelled"};
    static const char* levels[] = {"INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "INFO", "INFO", "DEBUG", "INFO",
                                   "INFO", "INFO", "DEBUG", "WARN", "INFO", "INFO", "INFO", "DEBUG", "INFO", "ERROR"};
    static const char* words[] = {"request", "handled", "cache", "miss", "database", "query", "timeout", "retry",
                                  "upstream", "latency", "token", "refresh", "session", "expired", "tool", "call"};
    const auto started = Clock::now();
    std::string records;
    for (long i = 0; i < threads;) {
        records = "[";
        for (long n = 0; n < batch && i < threads; ++n, ++i) {
            records += std::string(n ? "," : "") + "{\"id\":\"" + threadId(i) + "\",\"mcp_id\":\"mcp-" +
                       std::to_string(i % 20) + "\",\"status\":\"" + statuses[i % 6] + "\",\"started_at\":\"" + ts(i * 10) +
                       "\",\"user_input\":\"" + words[i % 16] + " " + words[(i / 16) % 16] + " " + std::to_string(i) + "\"" +
                       (i % 10 ? ",\"parent_id\":\"" + threadId(i - i % 10) + "\"" : std::string()) + "}";
        }
        writeBatch(store, "thread", records + "]");
    }
    for (long i = 0; i < threads;) {
        records = "[";
        for (long n = 0; n < batch && i < threads; ++n, ++i)
            records += std::string(n ? "," : "") + "{\"thread_id\":\"" + threadId(i) + "\",\"sequence\":1,\"timestamp\":\"" +
                       ts(i * 10 + 1) + "\",\"step_type\":\"tool_call\",\"mcp_id\":\"mcp-" + std::to_string(i % 20) +
                       "\",\"tool\":\"tool-" + std::to_string(i % 7) + "\"}";
        writeBatch(store, "step", records + "]");
    }
    for (long i = 0; i < threads;) {
        records = "[";
        for (long n = 0; n < batch && i < threads; ++n, ++i)
            records += std::string(n ? "," : "") + "{\"thread_id\":\"" + threadId(i) + "\",\"sequence\":1,\"timestamp\":\"" +
                       ts(i * 10 + 2) + "\",\"role\":\"assistant\",\"content\":\"" + words[(i + 3) % 16] + " " +
                       words[(i / 7) % 16] + " answered " + std::to_string(i) + "\"}";
        writeBatch(store, "transcript", records + "]");
    }
    std::printf("  threads, steps, transcripts: %ld each in %.1f s\n", threads,
                std::chrono::duration<double>(Clock::now() - started).count());
    const auto logsStarted = Clock::now();
    const long spanSeconds = threads * 10;
    for (long i = 0; i < logs;) {
        records = "[";
        for (long n = 0; n < batch && i < logs; ++n, ++i) {
            const long second = i * spanSeconds / logs;
            records += std::string(n ? "," : "") + "{\"timestamp\":\"" + ts(second, static_cast<int>(i % 1000)) +
                       "\",\"level\":\"" + levels[(i / 20) % 20] + "\",\"service\":\"svc-" + std::to_string(i % 5) +
                       "\",\"mcp_id\":\"mcp-" + std::to_string(i % 20) + "\"" +
                       (i % 2 ? ",\"thread_id\":\"" + threadId(second / 10) + "\"" : std::string()) + ",\"message\":\"" +
                       words[i % 16] + " " + words[(i / 16) % 16] + " " + words[(i / 256) % 16] + " #" + std::to_string(i) +
                       "\"}";
        }
        writeBatch(store, "log", records + "]");
    }
    std::printf("  logs: %ld in %.1f s\n", logs, std::chrono::duration<double>(Clock::now() - logsStarted).count());
    records = "[";
    for (long i = 0; i < 2000; ++i)
        records += std::string(i ? "," : "") + "{\"mcp_id\":\"mcp-" + std::to_string(i % 20) + "\",\"status\":\"" +
                   (i % 2 ? "connected" : "disconnected") + "\",\"timestamp\":\"" + ts(i * 500) + "\"}";
    writeBatch(store, "mcp_status", records + "]");
    records = "[";
    for (long i = 0; i < 20000; ++i)
        records += std::string(i ? "," : "") + "{\"user_id\":\"user-" + std::to_string(i % 50) + "\",\"resource\":\"res-" +
                   std::to_string(i % 30) + "\",\"action\":\"" + (i % 3 ? "read" : "write") + "\",\"granted\":" +
                   (i % 4 ? "true" : "false") + ",\"thread_id\":\"" + threadId(i % threads) + "\",\"timestamp\":\"" +
                   ts(i * 50) + "\"}";
    writeBatch(store, "permission", records + "]");
    records = "[";
    for (long i = 0; i < 2000; ++i)
        records += std::string(i ? "," : "") + "{\"actor\":\"admin-" + std::to_string(i % 5) + "\",\"action\":\"" +
                   (i % 2 ? "mcp.registered" : "mcp.removed") + "\",\"target\":\"mcp-" + std::to_string(i % 20) +
                   "\",\"timestamp\":\"" + ts(i * 500) + "\"}";
    writeBatch(store, "audit", records + "]");
}

class Client {
public:
    explicit Client(std::uint16_t port) : session_("127.0.0.1", port) { session_.setKeepAlive(true); }
    // Status; the body is read and dropped (counted).
    int get(const std::string& path, std::size_t* bytes = nullptr, std::string* body = nullptr) {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
        session_.sendRequest(request);
        Poco::Net::HTTPResponse response;
        auto& in = session_.receiveResponse(response);
        char buf[65536];
        std::size_t total = 0;
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            total += static_cast<std::size_t>(in.gcount());
            if (body) body->append(buf, static_cast<std::size_t>(in.gcount()));
        }
        if (bytes) *bytes = total;
        return static_cast<int>(response.getStatus());
    }

private:
    Poco::Net::HTTPClientSession session_;
};

} // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // progress shows while seeding
    const long logs = std::stol(flag(argc, argv, "--logs", "1000000"));
    const long threads = std::stol(flag(argc, argv, "--threads", "100000"));
    const long requests = std::stol(flag(argc, argv, "--requests", "200"));
    const long batch = std::stol(flag(argc, argv, "--batch", "5000"));
    const std::string postgresUrl = flag(argc, argv, "--postgres-url", ""); // set: store-postgres on that server
    const std::string backend = postgresUrl.empty() ? "sqlite" : "postgres";
    std::string dbPath = flag(argc, argv, "--db", "");

    Poco::TemporaryFile storeDir;
    storeDir.createDirectories();
    // sqlite: --db names a file kept for reruns; postgres: --db reuse means "already seeded".
    const bool reuse = !dbPath.empty() && (backend == "postgres" || Poco::File(dbPath).exists());
    if (dbPath.empty()) dbPath = storeDir.path() + "/bench.db";
    std::map<std::string, std::string> keys = {{"http.port", "0"},
                                               {"log.level", "warn"},
                                               {"store.backend", backend},
                                               {"store.sqlite.path", dbPath},
                                               {"shutdown.drain_timeout_ms", "500"}};
    if (!postgresUrl.empty()) keys["store.postgres.url"] = postgresUrl;
    HostRuntime runtime(mc::bench::hostConfig(keys), executableDir());
    runtime.loadPlugins();
    runtime.openStore();
    runtime.startWeb();
    std::printf("mc-bench-query: backend %s, %ld logs, %ld threads, %ld requests per endpoint\n", backend.c_str(), logs,
                threads, requests);
    if (!reuse) seed(*runtime.store(), logs, threads, batch);
    else std::printf("  reusing seeded database %s\n", dbPath.c_str());

    Client client(runtime.port());
    std::mt19937 random(42);
    auto someThread = [&] { return threadId(static_cast<long>(random() % static_cast<unsigned>(threads))); };
    auto someRoot = [&] { return threadId(static_cast<long>(random() % static_cast<unsigned>(threads / 10)) * 10); };
    auto someTime = [&] { return ts(static_cast<long long>(random() % static_cast<unsigned>(threads * 10))); };
    auto window = [&] {
        const long long start = static_cast<long long>(random() % static_cast<unsigned>(threads * 10 - 3600));
        return "from=" + ts(start) + "&to=" + ts(start + 3600);
    };
    // A cursor 20 pages deep into the newest logs: what a UI scrolling back asks for.
    std::string deepCursor;
    {
        std::string path = "/api/logs?limit=100";
        for (int page = 0; page < 20; ++page) {
            std::string body;
            client.get(path, nullptr, &body);
            const auto at = body.rfind("\"next_cursor\":\"");
            if (at == std::string::npos) break;
            deepCursor = body.substr(at + 15, body.find('"', at + 15) - at - 15);
            path = "/api/logs?limit=100&cursor=" + deepCursor;
        }
    }
    struct Endpoint {
        const char* label;
        std::function<std::string()> path;
    };
    const std::vector<Endpoint> endpoints = {
        {"threads (newest 100)", [] { return std::string("/api/threads?limit=100"); }},
        {"threads status=error", [] { return std::string("/api/threads?status=error&limit=100"); }},
        {"threads mcp_id", [&] { return "/api/threads?mcp_id=mcp-" + std::to_string(random() % 20) + "&limit=100"; }},
        {"threads 1h window", [&] { return "/api/threads?limit=100&" + window(); }},
        {"threads parent_id", [&] { return "/api/threads?parent_id=" + someRoot(); }},
        {"thread detail", [&] { return "/api/threads/" + someThread(); }},
        {"thread timeline", [&] { return "/api/threads/" + someThread() + "/timeline"; }},
        {"thread transcript", [&] { return "/api/threads/" + someThread() + "/transcript"; }},
        {"thread children", [&] { return "/api/threads/" + someRoot() + "/children"; }},
        {"logs (newest 100)", [] { return std::string("/api/logs?limit=100"); }},
        {"logs page 21 (cursor)", [&] { return "/api/logs?limit=100&cursor=" + deepCursor; }},
        {"logs oldest first", [] { return std::string("/api/logs?limit=100&order=asc"); }},
        {"logs mcp_id", [&] { return "/api/logs?mcp_id=mcp-" + std::to_string(random() % 20) + "&limit=100"; }},
        {"logs thread_id", [&] { return "/api/logs?thread_id=" + someThread(); }},
        {"logs min_level=ERROR", [] { return std::string("/api/logs?min_level=ERROR&limit=100"); }},
        {"logs min_level=WARN mcp_id", [&] { return "/api/logs?min_level=WARN&mcp_id=mcp-" + std::to_string(random() % 20); }},
        {"logs service", [&] { return "/api/logs?service=svc-" + std::to_string(random() % 5) + "&limit=100"; }},
        {"logs 1h window", [&] { return "/api/logs?limit=100&" + window(); }},
        {"logs from (asc)", [&] { return "/api/logs?order=asc&limit=100&from=" + someTime(); }},
        {"logs contains (common)", [] { return std::string("/api/logs?contains=timeout&limit=100"); }},
        {"mcp history", [&] { return "/api/mcps/mcp-" + std::to_string(random() % 20) + "/history"; }},
        {"permissions user_id", [&] { return "/api/permissions?user_id=user-" + std::to_string(random() % 50); }},
        {"permissions granted=false", [] { return std::string("/api/permissions?granted=false"); }},
        {"audit actor", [&] { return "/api/audit?actor=admin-" + std::to_string(random() % 5); }},
        {"search 1 word (top 20)", [] { return std::string("/api/search?q=timeout"); }},
        {"search 2 words", [] { return std::string("/api/search?q=database%20retry"); }},
        {"search logs only", [] { return std::string("/api/search?q=expired%20session&kinds=log"); }},
        {"graph one tree", [&] { return "/api/graph?thread_id=" + someRoot(); }},
        {"graph 1h window", [&] { return "/api/graph?" + window(); }},
    };
    bool allOk = true;
    for (const auto& e : endpoints) {
        std::vector<long long> us;
        std::size_t bytes = 0;
        for (long i = 0; i < requests; ++i) {
            const std::string path = e.path();
            const auto t0 = Clock::now();
            const int status = client.get(path, &bytes);
            us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
            if (status != 200) {
                std::fprintf(stderr, "  %s: %s -> %d\n", e.label, path.c_str(), status);
                allOk = false;
                break;
            }
        }
        std::printf("  %-28s n=%-5zu p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  (%zu B)\n", e.label, us.size(),
                    percentileMs(us, 0.5), percentileMs(us, 0.99), percentileMs(us, 1.0), bytes);
    }
    for (const char* format : {"ndjson", "csv"}) {
        const long rssBefore = procStatusKb("VmRSS");
        const auto t0 = Clock::now();
        std::size_t bytes = 0;
        const int status = client.get(std::string("/api/logs/export?format=") + format, &bytes);
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf("  export %-6s status %d: %.1f MB in %.1f s (%.0f rows/s); host RSS %ld -> %ld kB (peak %ld kB)\n",
                    format, status, bytes / 1e6, seconds, logs / seconds, rssBefore, procStatusKb("VmRSS"),
                    procStatusKb("VmHWM"));
        allOk &= status == 200;
    }
    runtime.stop();
    return allOk ? 0 : 1;
}
