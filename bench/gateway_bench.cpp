// Gateway benchmark: the whole host in-process (HostRuntime with the real mcp-stdio / mcp-http
// plugins), real MCP servers as child processes, native clients over loopback. Two measurements:
//
// 1. MCP log notification -> WebSocket subscriber latency: tests/mcp-peers/log-burst-peer.mjs emits
//    `notifications/message` stamped with its wall-clock send time; a raw-socket WebSocket client
//    subscribed to logs:mcp:<id> computes receive time minus send time (same machine, same clock).
// 2. Tool-call overhead: server-everything's `echo` called sequentially (a) directly over its stdio
//    pipes by this program (JSON-RPC lines), (b) through POST /api/mcps/{id}/tools/echo/call on a
//    keep-alive connection and (c) through the WebSocket `call_tool` message; with the http
//    transport also log-burst-peer's `echo` directly (POST /mcp) and through the gateway.
//
//    With --mcp-hub DIR (bench/peers/mcp-hub after `npm ci`), the same echo through mcp-hub 4.2.1, which
//    also aggregates servers behind one endpoint: its REST API (POST /api/servers/tools) and its /mcp
//    (the 2024-11-05 HTTP+SSE transport it serves). mcp-hub listens on every interface, so this runs
//    only in a network namespace of its own with loopback alone:
//      unshare -n sh -c 'ip link set lo up && build/bin/mc-bench-gateway --mcp-hub bench/peers/mcp-hub'
//
//   mc-bench-gateway [--logs N] [--log-interval-ms MS] [--calls M] [--warmup W]
//                    [--transport stdio|http|both] [--peers DIR] [--mcp-hub DIR] [--inspector-messages N] [--ways A,B]
//                    [--pin-server CPU] [--host-key KEY=VALUE]...
// (--inspector-messages: gateway.inspector.messages, default 1000; 0 turns the protocol inspector off;
// --ways: only the ways of calling with these labels, e.g. "direct stdio,/mcp", to profile one of them;
// --pin-server: the Streamable HTTP server on that CPU alone and this process, host and client, on the
// others, to tell what the host's path costs from what sharing the server's CPU costs it; --host-key:
// any host setting, e.g. ingest.batch_max_delay_ms=20)
// Exit code: 0 when every notification and every call arrived intact, 1 on set-up failure, 2 on loss
// or a failed call.
#include "config/HostConfig.h"
#include "app/HostRuntime.h"
#include "gateway/McpGateway.h"
#include "BenchSupport.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Path.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace mc::host;
using namespace mc::bench;

namespace {

#ifndef MC_BENCH_MCP_PEERS_DIR
#define MC_BENCH_MCP_PEERS_DIR "tests/mcp-peers"
#endif

// server-everything (or any stdio MCP server) driven directly over its pipes: the baseline.
class DirectStdioServer {
public:
    DirectStdioServer(const std::string& script, const std::string& cwd) {
        handle_ = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch("node", {script, "stdio"}, cwd, &toServer_, &fromServer_, &errors_));
        in_ = std::make_unique<Poco::PipeOutputStream>(toServer_);
        out_ = std::make_unique<Poco::PipeInputStream>(fromServer_);
        // The server's stderr banner must not fill the pipe and stall it.
        drain_ = std::thread([this] {
            Poco::PipeInputStream err(errors_);
            std::string line;
            while (std::getline(err, line)) {
            }
        });
    }
    ~DirectStdioServer() {
        try {
            toServer_.close(Poco::Pipe::CLOSE_WRITE);
            Poco::Process::requestTermination(handle_->id());
            handle_->wait();
        } catch (...) {
        }
        if (drain_.joinable()) drain_.join();
    }
    // Sends one request and returns its response line (notifications in between are skipped).
    std::optional<std::string> request(const std::string& method, const std::string& paramsJson) {
        const long long id = ++nextId_;
        *in_ << "{\"jsonrpc\":\"2.0\",\"id\":" << id << ",\"method\":\"" << method << "\",\"params\":" << paramsJson << "}\n";
        in_->flush();
        std::string line;
        while (std::getline(*out_, line)) {
            if (line.find("\"method\"") != std::string::npos && line.find("\"result\"") == std::string::npos) continue;
            if (intField(line, "id") == id) return line;
        }
        return std::nullopt;
    }
    void notify(const std::string& method) {
        *in_ << "{\"jsonrpc\":\"2.0\",\"method\":\"" << method << "\"}\n";
        in_->flush();
    }
    bool initialize() {
        auto r = request("initialize", R"({"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mc-bench-gateway","version":"1"}})");
        if (!r || r->find("\"result\"") == std::string::npos) return false;
        notify("notifications/initialized");
        return true;
    }

private:
    Poco::Pipe toServer_, fromServer_, errors_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
    std::unique_ptr<Poco::PipeOutputStream> in_;
    std::unique_ptr<Poco::PipeInputStream> out_;
    std::thread drain_;
    long long nextId_ = 0;
};

// A Streamable HTTP MCP server driven directly on one keep-alive connection: the HTTP baseline. In
// the 2025 era with a session; in the 2026-07-28 era each request carries its _meta and headers.
class DirectHttpServer {
public:
    enum class Era { Sessions2025, Stateless2026 };
    explicit DirectHttpServer(std::uint16_t port, Era era = Era::Sessions2025) : session_("127.0.0.1", port), era_(era) {
        session_.setKeepAlive(true);
        session_.setTimeout(Poco::Timespan(60, 0));
    }
    bool initialize() {
        if (era_ == Era::Stateless2026) { // nothing to set up; server/discover says the era is spoken
            auto r = request("server/discover", "{}");
            return r && r->find("\"2026-07-28\"") != std::string::npos;
        }
        auto r = post(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mc-bench-gateway","version":"1"}}})");
        if (!r || r->find("\"result\"") == std::string::npos || sessionId_.empty()) return false;
        return post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").has_value();
    }
    // One JSON-RPC request (`name`: what tools/call names, for Mcp-Name); the whole response body (JSON
    // or an SSE stream that ends with the result).
    std::optional<std::string> request(const std::string& method, std::string paramsJson, const std::string& name = "") {
        if (era_ == Era::Stateless2026)
            paramsJson = R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":)"
                         R"({"name":"mc-bench-gateway","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}})" +
                         std::string(paramsJson.size() > 2 ? "," : "") + paramsJson.substr(1);
        return post("{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(++nextId_) + ",\"method\":\"" + method +
                    "\",\"params\":" + paramsJson + "}", method, name);
    }

private:
    std::optional<std::string> post(const std::string& body, const std::string& method = "", const std::string& name = "") {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/mcp", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.set("Accept", "application/json, text/event-stream");
        if (era_ == Era::Stateless2026) {
            request.set("MCP-Protocol-Version", "2026-07-28");
            request.set("Mcp-Method", method);
            if (!name.empty()) request.set("Mcp-Name", name);
        } else if (!sessionId_.empty()) {
            request.set("Mcp-Session-Id", sessionId_);
            request.set("MCP-Protocol-Version", "2025-11-25");
        }
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.setKeepAlive(true);
        session_.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session_.receiveResponse(response);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        if (response.has("Mcp-Session-Id")) sessionId_ = response.get("Mcp-Session-Id");
        if (response.getStatus() >= 300) return std::nullopt;
        return text;
    }

    Poco::Net::HTTPClientSession session_;
    Era era_;
    std::string sessionId_;
    long long nextId_ = 0;
};

// The least any HTTP proxy can add here: one thread that copies bytes between a client's connection
// and one to the server, parsing nothing (poll, read, write). Its added latency over the direct call
// is the floor under the host's: two more loopback hops and a wake-up each way, on this machine.
class ByteRelay {
public:
    explicit ByteRelay(std::uint16_t serverPort) : listener_(Poco::Net::SocketAddress("127.0.0.1", 0)), serverPort_(serverPort) {
        thread_ = std::thread([this] { run(); });
    }
    ~ByteRelay() {
        stopping_ = true;
        std::optional<Poco::Net::StreamSocket> wake; // unblocks accept() if no client came
        try {
            wake.emplace(Poco::Net::SocketAddress("127.0.0.1", port()));
        } catch (const Poco::Exception&) {
        }
        ::shutdown(client_.load(), SHUT_RDWR);
        thread_.join();
    }
    std::uint16_t port() const { return listener_.address().port(); }

private:
    void run() {
        Poco::Net::StreamSocket client = listener_.acceptConnection();
        if (stopping_) return;
        Poco::Net::StreamSocket server(Poco::Net::SocketAddress("127.0.0.1", serverPort_));
        client.setNoDelay(true);
        server.setNoDelay(true);
        client_ = client.impl()->sockfd();
        pollfd fds[2] = {{client.impl()->sockfd(), POLLIN, 0}, {server.impl()->sockfd(), POLLIN, 0}};
        char buffer[65536];
        while (!stopping_) {
            if (::poll(fds, 2, 200) <= 0) continue;
            for (int from = 0; from < 2; ++from) {
                if (!(fds[from].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const ssize_t n = ::recv(fds[from].fd, buffer, sizeof buffer, 0);
                if (n <= 0) return; // either side closed: the relay's work is over
                for (ssize_t sent = 0; sent < n;) {
                    const ssize_t w = ::send(fds[1 - from].fd, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
                    if (w <= 0) return;
                    sent += w;
                }
            }
        }
    }

    Poco::Net::ServerSocket listener_;
    const std::uint16_t serverPort_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> client_{-1};
    std::thread thread_;
};

// A child MCP server listening on a loopback port, its output discarded (killed and reaped by the
// destructor).
class HttpPeerProcess {
public:
    HttpPeerProcess(const std::string& script, const std::string& mode, const std::string& cwd, std::uint16_t port)
        : HttpPeerProcess({script, mode}, cwd, port) {}
    // `node <nodeArgs...>` in `cwd`, told its port in PORT.
    HttpPeerProcess(const std::vector<std::string>& nodeArgs, const std::string& cwd, std::uint16_t port) : port_(port) {
        Poco::Process::Env env;
        env["PORT"] = std::to_string(port);
        // setpriv: the server dies with the benchmark, also when it is killed (no destructor runs then).
        std::vector<std::string> args = {"-c", "exec setpriv --pdeathsig KILL node \"$@\" >/dev/null 2>&1", "node"};
        args.insert(args.end(), nodeArgs.begin(), nodeArgs.end());
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", args, cwd, nullptr, nullptr, nullptr, env));
    }
    ~HttpPeerProcess() {
        try {
            Poco::Process::kill(*handle_);
            handle_->wait();
        } catch (...) {
        }
    }
    std::uint16_t port() const { return port_; }
    int pid() const { return handle_->id(); } // node's (exec keeps the pid)
    bool waitListening(std::chrono::milliseconds timeout) const {
        const auto deadline = SteadyClock::now() + timeout;
        while (SteadyClock::now() < deadline) {
            try {
                Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port_));
                return true;
            } catch (const Poco::Exception&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        return false;
    }

private:
    std::uint16_t port_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

// The network interfaces this process sees (/proc/self/net/dev follows the network namespace).
std::vector<std::string> networkInterfaces() {
    std::vector<std::string> out;
    std::ifstream dev("/proc/self/net/dev");
    for (std::string line; std::getline(dev, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto start = line.find_first_not_of(' ');
        out.push_back(line.substr(start, colon - start));
    }
    return out;
}

// mcp-hub (npm mcp-hub 4.2.1) with server-everything as "everything", on a loopback port; killed by the destructor.
class McpHubProcess {
public:
    McpHubProcess(const std::string& where, const std::string& everything, std::uint16_t port)
        : config_(writeConfig(everything)),
          process_({Poco::Path(where).absolute().toString() + "/node_modules/mcp-hub/dist/cli.js", "--port", std::to_string(port), "--config",
                    config_.path()},
                   Poco::Path(where).absolute().toString(), port) {}
    std::uint16_t port() const { return process_.port(); }

private:
    static Poco::TemporaryFile writeConfig(const std::string& everything) {
        Poco::TemporaryFile file;
        file.keepUntilExit(); // a copy is returned: the file goes when the benchmark exits
        std::ofstream(file.path()) << R"({"mcpServers":{"everything":{"command":"node","args":[")" << everything << R"(","stdio"]}}})";
        return file;
    }
    Poco::TemporaryFile config_;
    HttpPeerProcess process_;
};

// An MCP client of the 2024-11-05 HTTP+SSE transport (what mcp-hub's /mcp serves): GET /mcp holds an
// event stream whose first event names where to POST; each answer comes back on the stream.
class SseTransportClient {
public:
    explicit SseTransportClient(std::uint16_t port) : stream_("127.0.0.1", port), posts_("127.0.0.1", port) {
        stream_.setTimeout(Poco::Timespan(60, 0));
        posts_.setKeepAlive(true);
        posts_.setTimeout(Poco::Timespan(60, 0));
    }
    bool initialize() {
        Poco::Net::HTTPRequest get(Poco::Net::HTTPRequest::HTTP_GET, "/mcp", Poco::Net::HTTPMessage::HTTP_1_1);
        get.set("Accept", "text/event-stream");
        stream_.sendRequest(get);
        in_ = &stream_.receiveResponse(response_);
        const auto endpoint = nextEvent("endpoint");
        if (!endpoint) return false;
        endpoint_ = *endpoint;
        auto r = request("initialize", R"({"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"mc-bench-gateway","version":"1"}})");
        if (!r || r->find("\"result\"") == std::string::npos) return false;
        return post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    }
    std::optional<std::string> request(const std::string& method, const std::string& paramsJson) {
        const std::string id = std::to_string(++nextId_);
        if (!post("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + paramsJson + "}")) return std::nullopt;
        for (;;) { // its answer, past any notification
            auto data = nextEvent("message");
            if (!data) return std::nullopt;
            if (data->find("\"id\":" + id + ",") != std::string::npos || data->find("\"id\":" + id + "}") != std::string::npos) return data;
        }
    }

private:
    bool post(const std::string& body) {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, endpoint_, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.setKeepAlive(true);
        posts_.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string ignored;
        Poco::StreamCopier::copyToString(posts_.receiveResponse(response), ignored);
        return response.getStatus() < 300;
    }
    // The data of the next event of `type` on the stream (others skipped); nullopt when it ends.
    std::optional<std::string> nextEvent(const std::string& type) {
        std::string event = "message", data;
        for (std::string line; std::getline(*in_, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) {
                if (event == type && !data.empty()) return data;
                event = "message";
                data.clear();
            } else if (line.rfind("event:", 0) == 0) {
                event = line.substr(line.find_first_not_of(' ', 6));
            } else if (line.rfind("data:", 0) == 0) {
                data += line.substr(std::min(line.size(), line.find_first_not_of(' ', 5)));
            }
        }
        return std::nullopt;
    }

    Poco::Net::HTTPClientSession stream_, posts_;
    Poco::Net::HTTPResponse response_;
    std::istream* in_ = nullptr;
    std::string endpoint_;
    long long nextId_ = 0;
};

std::uint16_t freeLoopbackPort() {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    return s.address().port();
}

// Every thread of process `pid` (threads it starts later inherit it) on `cpus`; false when one cannot be.
bool pinProcess(int pid, const cpu_set_t& cpus) {
    std::error_code error;
    bool all = true;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error))
        all = ::sched_setaffinity(std::atoi(task.path().filename().c_str()), sizeof cpus, &cpus) == 0 && all;
    return all && !error;
}

// CPU time a process has used, all its threads (/proc/<pid>/task/*/schedstat: nanoseconds on a CPU);
// 0 when it cannot be read. Unlike a latency, a machine's other load hardly moves it.
long long cpuNanos(int pid) {
    long long total = 0;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
        std::ifstream in(task.path() / "schedstat");
        long long ran = 0;
        if (in >> ran) total += ran;
    }
    return total;
}

struct Stats {
    std::vector<long long> latenciesUs;
    // CPU used while this way's calls ran (warm-up excluded): this process's (the client, and the host
    // when the way goes through it) and the server's, when known.
    long long ownCpuNs = 0, serverCpuNs = 0;
    std::size_t cpuCalls = 0;
    double ownCpuUsPerCall() const { return cpuCalls ? ownCpuNs / 1000.0 / cpuCalls : 0; }
    double serverCpuUsPerCall() const { return cpuCalls ? serverCpuNs / 1000.0 / cpuCalls : 0; }
    void print(const char* label) const {
        if (latenciesUs.empty()) return; // not measured (--ways)
        std::printf("  %-38s n=%-6zu p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms", label, latenciesUs.size(),
                    percentileMs(latenciesUs, 0.5), percentileMs(latenciesUs, 0.99), percentileMs(latenciesUs, 1.0));
        if (cpuCalls) std::printf("  CPU/call %4.0f us", ownCpuUsPerCall());
        if (serverCpuNs) std::printf(", server %4.0f us", serverCpuUsPerCall());
        std::printf("\n");
    }
};

// Keep-alive REST client for the host.
class RestClient {
public:
    explicit RestClient(std::uint16_t port) : session_("127.0.0.1", port) {
        session_.setKeepAlive(true);
        session_.setTimeout(Poco::Timespan(60, 0));
    }
    int post(const std::string& path, const std::string& body, std::string& responseBody) {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.setKeepAlive(true);
        session_.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session_.receiveResponse(response);
        responseBody.clear();
        Poco::StreamCopier::copyToString(in, responseBody);
        return response.getStatus();
    }

private:
    Poco::Net::HTTPClientSession session_;
};

// Measurement 1 for one MCP id: subscribe, ask for `count` notifications, time each one's arrival.
bool measureLogLatency(std::uint16_t port, const std::string& mcpId, std::size_t count, const std::string& intervalMs,
                       Stats& stats) {
    NativeWebSocket ws;
    if (!ws.connect(port)) return failed("WebSocket connect for logs of " + mcpId);
    ws.sendText(R"({"type":"subscribe","channel":"logs:mcp:)" + mcpId + "\"}");
    if (!ws.receiveContaining("\"subscribed\"", std::chrono::seconds(10))) return failed("subscribe to logs:mcp:" + mcpId);

    std::atomic<int> callStatus{0};
    std::string callBody;
    std::thread caller([&] {
        try {
            RestClient rest(port);
            callStatus = rest.post("/api/mcps/" + mcpId + "/tools/log-burst/call",
                                   R"({"arguments":{"count":)" + std::to_string(count) + ",\"interval_ms\":" + intervalMs +
                                       "},\"timeout_ms\":120000}",
                                   callBody);
        } catch (const Poco::Exception& e) {
            callBody = e.displayText();
            callStatus = -1;
        }
    });

    std::size_t received = 0, outOfOrder = 0;
    long long expectedSeq = 0;
    stats.latenciesUs.reserve(count);
    const auto deadline = SteadyClock::now() + std::chrono::seconds(30) + std::chrono::milliseconds(static_cast<long long>(count * std::atof(intervalMs.c_str()) * 3));
    while (received < count) {
        auto m = ws.receive(deadline);
        if (!m) break;
        // The peer's fields are in the event's context (the envelope has a "seq" of its own).
        const auto context = m->first.find("\"context\":");
        if (context == std::string::npos) continue;
        const auto sent = intField(m->first, "sent_us", context);
        const auto seq = intField(m->first, "seq", context);
        if (!sent || !seq) continue; // the server's stderr lines share the channel
        if (*seq != expectedSeq) ++outOfOrder;
        expectedSeq = *seq + 1;
        stats.latenciesUs.push_back(m->second - *sent);
        ++received;
    }
    caller.join();
    bool ok = true;
    if (callStatus != 200) ok = failed("log-burst call on " + mcpId + ": status " + std::to_string(callStatus.load()) + " " + callBody);
    if (received != count)
        ok = failed(mcpId + ": received " + std::to_string(received) + " of " + std::to_string(count) + " log notifications");
    if (outOfOrder) ok = failed(mcpId + ": " + std::to_string(outOfOrder) + " log notifications out of order");
    return ok;
}

// Calls echo `warmup + calls` times through `call` (which returns the response text or nullopt) and
// checks each answer carries its own message.
// One call of a sequence: timed, its answer checked, kept after the warm-up.
bool timedCall(const char* label, std::size_t i, std::size_t warmup,
               const std::function<std::optional<std::string>(const std::string& message)>& call, Stats& stats) {
    const std::string message = "bench " + std::to_string(i);
    const long long start = steadyNanos();
    const auto response = call(message);
    const long long elapsedUs = (steadyNanos() - start) / 1000;
    if (!response) return failed(std::string(label) + ": call " + std::to_string(i) + " got no answer");
    if (response->find("Echo: " + message + "\"") == std::string::npos)
        return failed(std::string(label) + ": call " + std::to_string(i) + " answered " + response->substr(0, 300));
    if (i >= warmup) stats.latenciesUs.push_back(elapsedUs);
    return true;
}

bool measureCalls(const char* label, std::size_t warmup, std::size_t calls,
                  const std::function<std::optional<std::string>(const std::string& message)>& call, Stats& stats) {
    for (std::size_t i = 0; i < warmup + calls; ++i)
        if (!timedCall(label, i, warmup, call, stats)) return false;
    return true;
}

// Ways of making the same call, compared: in blocks of 100 calls, each way in turn, so that every way
// meets the same moments of a shared, noisy machine (one after the other, a slower minute in one phase
// showed as overhead, or as negative overhead, that was not the host's). Within a block the way's
// server is warm; the first 10 calls of each block are not counted (a server idle for the other ways'
// blocks answers its first calls slower: taken one call each in turn, a direct call's median tripled).
struct CallPath {
    const char* label;
    std::function<std::optional<std::string>(const std::string& message)> call;
    Stats* stats;
    int serverPid = 0; // the server the way ends at, when its CPU is to be counted
};
// --ways: only these labels are measured (for profiling one way); empty: all.
std::vector<std::string> onlyWays;
bool measureInterleaved(std::size_t warmup, std::size_t calls, std::vector<CallPath> paths) {
    constexpr std::size_t kBlock = 100, kRewarm = 10;
    if (!onlyWays.empty())
        paths.erase(std::remove_if(paths.begin(), paths.end(),
                                   [](const CallPath& p) { return std::find(onlyWays.begin(), onlyWays.end(), p.label) == onlyWays.end(); }),
                    paths.end());
    for (const auto& path : paths) // the warm-up, once
        for (std::size_t i = 0; i < warmup; ++i)
            if (!timedCall(path.label, i, warmup, path.call, *path.stats)) return false;
    std::vector<std::size_t> counted(paths.size(), 0), next(paths.size(), warmup);
    for (bool more = true; more;) {
        more = false;
        for (std::size_t p = 0; p < paths.size(); ++p) {
            const long long ownBefore = cpuNanos(getpid()), serverBefore = paths[p].serverPid ? cpuNanos(paths[p].serverPid) : 0;
            std::size_t made = 0;
            for (std::size_t b = 0; b < kBlock + kRewarm && counted[p] < calls; ++b, ++made) {
                Stats ignored;
                const bool keep = b >= kRewarm;
                if (!timedCall(paths[p].label, next[p]++, 0, paths[p].call, keep ? *paths[p].stats : ignored)) return false;
                if (keep) ++counted[p];
            }
            paths[p].stats->ownCpuNs += cpuNanos(getpid()) - ownBefore;
            if (paths[p].serverPid) paths[p].stats->serverCpuNs += cpuNanos(paths[p].serverPid) - serverBefore;
            paths[p].stats->cpuCalls += made;
            more = more || counted[p] < calls;
        }
    }
    return true;
}

bool waitConnected(McpGateway& gateway, const std::string& id, std::chrono::seconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
        auto c = gateway.find(id);
        if (c && c->status() == McpStatus::Connected) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return failed("MCP server '" + id + "' did not connect: " + (gateway.find(id) ? gateway.find(id)->summaryJson() : "absent"));
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const std::size_t logCount = std::strtoull(flag(argc, argv, "--logs", "2000").c_str(), nullptr, 10);
    const std::string logIntervalMs = flag(argc, argv, "--log-interval-ms", "1");
    const std::size_t callCount = std::strtoull(flag(argc, argv, "--calls", "1000").c_str(), nullptr, 10);
    const std::size_t warmup = std::strtoull(flag(argc, argv, "--warmup", "100").c_str(), nullptr, 10);
    const std::string transport = flag(argc, argv, "--transport", "both");
    const std::string peers = flag(argc, argv, "--peers", MC_BENCH_MCP_PEERS_DIR);
    const std::string mcpHub = flag(argc, argv, "--mcp-hub", "");
    const std::string inspectorMessages = flag(argc, argv, "--inspector-messages", "1000");
    for (std::string ways = flag(argc, argv, "--ways", ""), way; !ways.empty();) { // comma-separated labels
        const auto comma = ways.find(',');
        onlyWays.push_back(ways.substr(0, comma));
        ways = comma == std::string::npos ? "" : ways.substr(comma + 1);
    }
    if (!mcpHub.empty() && networkInterfaces() != std::vector<std::string>{"lo"}) {
        std::fprintf(stderr, "--mcp-hub: mcp-hub listens on every interface; run this in a network namespace with loopback alone:\n"
                             "  unshare -n sh -c 'ip link set lo up && %s --mcp-hub %s'\n",
                     argv[0], mcpHub.c_str());
        return 1;
    }
    if (!mcpHub.empty() && ::access((mcpHub + "/node_modules/mcp-hub/dist/cli.js").c_str(), R_OK) != 0) {
        std::fprintf(stderr, "--mcp-hub %s: no node_modules/mcp-hub there (cd bench/peers/mcp-hub && npm ci)\n", mcpHub.c_str());
        return 1;
    }
    if (transport != "stdio" && transport != "http" && transport != "both") {
        std::fprintf(stderr, "--transport must be stdio, http or both (got \"%s\")\n", transport.c_str());
        return 1;
    }
    if (logCount == 0 || callCount == 0 || std::atof(logIntervalMs.c_str()) < 0 ||
        logIntervalMs.find_first_not_of("0123456789.") != std::string::npos) {
        std::fprintf(stderr, "--logs and --calls must be positive, --log-interval-ms a non-negative number\n");
        return 1;
    }
    const std::string everything = peers + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
    const std::string burstPeer = peers + "/log-burst-peer.mjs";
    if (::access(everything.c_str(), R_OK) != 0 || ::access(burstPeer.c_str(), R_OK) != 0) {
        std::fprintf(stderr, "MCP peers not found under %s (run scripts/mcp-peers.sh, or pass --peers DIR)\n", peers.c_str());
        return 1;
    }
    const bool withStdio = transport != "http", withHttp = transport != "stdio";
    const std::string pinServer = flag(argc, argv, "--pin-server", "");
    const long cpuCount = ::sysconf(_SC_NPROCESSORS_ONLN);
    const long serverCpu = pinServer.empty() ? -1 : std::strtol(pinServer.c_str(), nullptr, 10);
    if (!pinServer.empty() && (!withHttp || pinServer.find_first_not_of("0123456789") != std::string::npos ||
                               serverCpu >= cpuCount || cpuCount < 2)) {
        std::fprintf(stderr, "--pin-server takes a CPU number below %ld (this machine's %ld CPUs, at least 2) and needs "
                             "--transport http or both\n", cpuCount, cpuCount);
        return 1;
    }

    std::optional<HttpPeerProcess> burstHttp;
    if (withHttp) {
        burstHttp.emplace(burstPeer, "http", peers, freeLoopbackPort());
        if (!burstHttp->waitListening(std::chrono::seconds(20))) {
            std::fprintf(stderr, "log-burst-peer (http) did not listen on 127.0.0.1:%u\n", burstHttp->port());
            return 1;
        }
        if (serverCpu >= 0) {
            cpu_set_t server, others;
            CPU_ZERO(&server);
            CPU_ZERO(&others);
            for (long cpu = 0; cpu < cpuCount; ++cpu) CPU_SET(cpu, cpu == serverCpu ? &server : &others);
            // Before the host starts: its threads inherit this process's CPUs.
            if (!pinProcess(burstHttp->pid(), server) || !pinProcess(::getpid(), others)) {
                std::fprintf(stderr, "--pin-server %ld: sched_setaffinity failed: %s\n", serverCpu, std::strerror(errno));
                return 1;
            }
            std::printf("mc-bench-gateway: log-burst-peer (http) on CPU %ld alone, this process on the other %ld\n", serverCpu,
                        cpuCount - 1);
        }
    }

    Poco::TemporaryFile storeDir;
    storeDir.createDirectories();
    std::map<std::string, std::string> keys = {{"http.port", "0"},
                                               {"log.level", "warn"},
                                               {"store.sqlite.path", storeDir.path() + "/bench.db"},
                                               {"shutdown.drain_timeout_ms", "500"}};
    std::vector<std::string> ids = {"everything"};
    keys["mcp.servers.everything.transport"] = "stdio";
    keys["mcp.servers.everything.command"] = "node";
    keys["mcp.servers.everything.args"] = "[\"" + everything + "\",\"stdio\"]";
    if (withStdio) {
        ids.push_back("burst-stdio");
        keys["mcp.servers.burst-stdio.transport"] = "stdio";
        keys["mcp.servers.burst-stdio.command"] = "node";
        keys["mcp.servers.burst-stdio.args"] = "[\"" + burstPeer + "\",\"stdio\"]";
    }
    if (withHttp) {
        ids.push_back("burst-http");
        keys["mcp.servers.burst-http.transport"] = "http";
        keys["mcp.servers.burst-http.url"] = "http://127.0.0.1:" + std::to_string(burstHttp->port()) + "/mcp";
    }

    keys["gateway.inspector.messages"] = inspectorMessages;
    for (const std::string& setting : flagValues(argc, argv, "--host-key")) { // any other host setting
        const auto equals = setting.find('=');
        if (equals == std::string::npos || equals == 0) {
            std::fprintf(stderr, "--host-key takes KEY=VALUE (got \"%s\")\n", setting.c_str());
            return 1;
        }
        keys[setting.substr(0, equals)] = setting.substr(equals + 1);
    }
    bool ok = true;
    try {
        HostRuntime runtime(hostConfig(keys), executableDir());
        runtime.start();
        const std::uint16_t port = runtime.port();
        std::printf("mc-bench-gateway: host on 127.0.0.1:%u; logs=%zu, interval %s ms; calls=%zu (+%zu warm-up); transport=%s\n",
                    port, logCount, logIntervalMs.c_str(), callCount, warmup, transport.c_str());
        for (const auto& id : ids)
            if (!waitConnected(runtime.gateway(), id, std::chrono::seconds(30))) return 1;

        // 1. Log notification -> WebSocket subscriber.
        std::printf("log notification -> WebSocket subscriber (peer send time to frame arrival, wall clock):\n");
        for (const std::string& id : {std::string("burst-stdio"), std::string("burst-http")}) {
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
            Stats logs;
            ok = measureLogLatency(port, id, logCount, logIntervalMs, logs) && ok;
            logs.print(id == "burst-stdio" ? "stdio" : "streamable http");
        }

        // 2. Tool-call overhead: the same echo tool, directly and through the gateway, interleaved.
        Stats direct, rest, webSocket, face, faceModern;
        {
            DirectStdioServer server(everything, peers);
            if (!server.initialize()) { failed("direct initialize of server-everything"); return 1; }
            RestClient restClient(port);
            NativeWebSocket wsClient;
            if (!wsClient.connect(port) || !wsClient.receiveContaining("\"welcome\"", std::chrono::seconds(10)))
                { failed("WebSocket connect for call_tool"); return 1; }
            // The host as an MCP server: what an agent pays calling through /mcp (a session, keep-alive),
            // and in the 2026-07-28 era (no session; _meta and headers checked on each request).
            DirectHttpServer faceClient(port);
            if (!faceClient.initialize()) { failed("initialize at the host's /mcp"); return 1; }
            DirectHttpServer modernClient(port, DirectHttpServer::Era::Stateless2026);
            if (!modernClient.initialize()) { failed("server/discover at the host's /mcp"); return 1; }
            long long requestId = 0;
            ok = measureInterleaved(warmup, callCount, {
                {"direct stdio", [&](const std::string& message) {
                     return server.request("tools/call", R"({"name":"echo","arguments":{"message":")" + message + "\"}}");
                 }, &direct},
                {"REST", [&](const std::string& message) -> std::optional<std::string> {
                     std::string body;
                     const int status = restClient.post("/api/mcps/everything/tools/echo/call",
                                                        R"({"arguments":{"message":")" + message + "\"}}", body);
                     if (status != 200) return "HTTP " + std::to_string(status) + " " + body;
                     return body;
                 }, &rest},
                {"WebSocket call_tool", [&](const std::string& message) -> std::optional<std::string> {
                     const std::string rid = std::to_string(++requestId);
                     wsClient.sendText(R"({"type":"call_tool","request_id":)" + rid +
                                       R"(,"mcp_id":"everything","tool":"echo","arguments":{"message":")" + message + "\"}}");
                     return wsClient.receiveContaining("\"request_id\":" + rid + ",", std::chrono::seconds(30));
                 }, &webSocket},
                {"/mcp", [&](const std::string& message) {
                     return faceClient.request("tools/call", R"({"name":"everything__echo","arguments":{"message":")" + message + "\"}}");
                 }, &face},
                {"/mcp 2026-07-28", [&](const std::string& message) {
                     return modernClient.request("tools/call", R"({"name":"everything__echo","arguments":{"message":")" + message + "\"}}",
                                                 "everything__echo");
                 }, &faceModern},
            }) && ok;
        }
        // The same comparison over Streamable HTTP (log-burst-peer's echo, official TypeScript SDK).
        Stats directHttp, relayedHttp, restHttp, faceHttp, faceHttpModern;
        if (withHttp) {
            DirectHttpServer server(burstHttp->port());
            if (!server.initialize()) { failed("direct initialize of log-burst-peer over HTTP"); return 1; }
            ByteRelay relay(burstHttp->port());
            DirectHttpServer relayed(relay.port());
            if (!relayed.initialize()) { failed("initialize of log-burst-peer through the byte relay"); return 1; }
            RestClient client(port);
            DirectHttpServer faceClient(port);
            if (!faceClient.initialize()) { failed("initialize at the host's /mcp"); return 1; }
            DirectHttpServer modernClient(port, DirectHttpServer::Era::Stateless2026);
            if (!modernClient.initialize()) { failed("server/discover at the host's /mcp"); return 1; }
            const int serverPid = burstHttp->pid();
            ok = measureInterleaved(warmup, callCount, {
                {"direct http", [&](const std::string& message) {
                     return server.request("tools/call", R"({"name":"echo","arguments":{"message":")" + message + "\"}}");
                 }, &directHttp, serverPid},
                {"byte relay (http)", [&](const std::string& message) {
                     return relayed.request("tools/call", R"({"name":"echo","arguments":{"message":")" + message + "\"}}");
                 }, &relayedHttp, serverPid},
                {"REST (http)", [&](const std::string& message) -> std::optional<std::string> {
                     std::string body;
                     const int status = client.post("/api/mcps/burst-http/tools/echo/call",
                                                    R"({"arguments":{"message":")" + message + "\"}}", body);
                     if (status != 200) return "HTTP " + std::to_string(status) + " " + body;
                     return body;
                 }, &restHttp, serverPid},
                {"/mcp (http)", [&](const std::string& message) {
                     return faceClient.request("tools/call", R"({"name":"burst-http__echo","arguments":{"message":")" + message + "\"}}");
                 }, &faceHttp, serverPid},
                {"/mcp 2026-07-28 (http)", [&](const std::string& message) {
                     return modernClient.request("tools/call", R"({"name":"burst-http__echo","arguments":{"message":")" + message + "\"}}",
                                                 "burst-http__echo");
                 }, &faceHttpModern, serverPid},
            }) && ok;
        }
        // Beside it, mcp-hub with the same server: its REST API and its /mcp.
        Stats hubRest, hubMcp;
        if (!mcpHub.empty()) {
            McpHubProcess hub(mcpHub, everything, freeLoopbackPort());
            const std::string call = R"({"server_name":"everything","tool":"echo","arguments":{"message":")";
            const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
            std::string body;
            for (;;) { // until it listens and its server is connected
                try {
                    RestClient probe(hub.port());
                    if (probe.post("/api/servers/tools", call + "ready\"}}", body) == 200 && body.find("Echo: ready") != std::string::npos) break;
                } catch (const Poco::Exception& e) { // not listening yet
                    body = e.displayText();
                }
                if (SteadyClock::now() > deadline) { failed("mcp-hub did not answer a call within 60 s: " + body.substr(0, 300)); return 1; }
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
            RestClient client(hub.port());
            ok = measureCalls("mcp-hub REST", warmup, callCount, [&](const std::string& message) -> std::optional<std::string> {
                const int status = client.post("/api/servers/tools", call + message + "\"}}", body);
                if (status != 200) return "HTTP " + std::to_string(status) + " " + body;
                return body;
            }, hubRest) && ok;
            SseTransportClient sse(hub.port());
            if (!sse.initialize()) { failed("initialize at mcp-hub's /mcp"); return 1; }
            ok = measureCalls("mcp-hub /mcp", warmup, callCount, [&](const std::string& message) {
                return sse.request("tools/call", R"({"name":"everything__echo","arguments":{"message":")" + message + "\"}}");
            }, hubMcp) && ok;
        }
        std::printf("echo tool call, sequential round trips, the ways taken in turn (server-everything over stdio):\n");
        direct.print("direct (JSON-RPC over its pipes)");
        rest.print("gateway REST POST .../tools/echo/call");
        webSocket.print("gateway WebSocket call_tool");
        face.print("host as MCP server, POST /mcp");
        faceModern.print("host as MCP server, 2026-07-28");
        const double p50 = percentileMs(direct.latenciesUs, 0.5), p99 = percentileMs(direct.latenciesUs, 0.99);
        const bool compared = onlyWays.empty(); // --ways: the overheads would be against ways not measured
        if (compared) std::printf("  gateway overhead: REST p50 %+.3f ms, p99 %+.3f ms; WebSocket p50 %+.3f ms, p99 %+.3f ms; /mcp p50 %+.3f ms, "
                    "p99 %+.3f ms\n",
                    percentileMs(rest.latenciesUs, 0.5) - p50, percentileMs(rest.latenciesUs, 0.99) - p99,
                    percentileMs(webSocket.latenciesUs, 0.5) - p50, percentileMs(webSocket.latenciesUs, 0.99) - p99,
                    percentileMs(face.latenciesUs, 0.5) - p50, percentileMs(face.latenciesUs, 0.99) - p99);
        if (compared) std::printf("  /mcp 2026-07-28 overhead: p50 %+.3f ms, p99 %+.3f ms\n", percentileMs(faceModern.latenciesUs, 0.5) - p50,
                    percentileMs(faceModern.latenciesUs, 0.99) - p99);
        if (!mcpHub.empty()) {
            hubRest.print("mcp-hub 4.2.1 REST /api/servers/tools");
            hubMcp.print("mcp-hub 4.2.1 /mcp (HTTP+SSE)");
            std::printf("  mcp-hub overhead: REST p50 %+.3f ms, p99 %+.3f ms; /mcp p50 %+.3f ms, p99 %+.3f ms\n",
                        percentileMs(hubRest.latenciesUs, 0.5) - p50, percentileMs(hubRest.latenciesUs, 0.99) - p99,
                        percentileMs(hubMcp.latenciesUs, 0.5) - p50, percentileMs(hubMcp.latenciesUs, 0.99) - p99);
        }
        if (withHttp) {
            std::printf("echo tool call, sequential round trips, the ways taken in turn (log-burst-peer over Streamable HTTP):\n");
            directHttp.print("direct (POST /mcp, keep-alive)");
            relayedHttp.print("through a byte relay (the floor)");
            restHttp.print("gateway REST POST .../tools/echo/call");
            faceHttp.print("host as MCP server, POST /mcp");
            faceHttpModern.print("host as MCP server, 2026-07-28");
            if (compared) std::printf("  gateway overhead: REST p50 %+.3f ms, p99 %+.3f ms; /mcp p50 %+.3f ms, p99 %+.3f ms; "
                        "/mcp 2026-07-28 p50 %+.3f ms, p99 %+.3f ms\n",
                        percentileMs(restHttp.latenciesUs, 0.5) - percentileMs(directHttp.latenciesUs, 0.5),
                        percentileMs(restHttp.latenciesUs, 0.99) - percentileMs(directHttp.latenciesUs, 0.99),
                        percentileMs(faceHttp.latenciesUs, 0.5) - percentileMs(directHttp.latenciesUs, 0.5),
                        percentileMs(faceHttp.latenciesUs, 0.99) - percentileMs(directHttp.latenciesUs, 0.99),
                        percentileMs(faceHttpModern.latenciesUs, 0.5) - percentileMs(directHttp.latenciesUs, 0.5),
                        percentileMs(faceHttpModern.latenciesUs, 0.99) - percentileMs(directHttp.latenciesUs, 0.99));
            if (compared) std::printf("  byte relay overhead (any proxy's floor here): p50 %+.3f ms, p99 %+.3f ms\n",
                                      percentileMs(relayedHttp.latenciesUs, 0.5) - percentileMs(directHttp.latenciesUs, 0.5),
                                      percentileMs(relayedHttp.latenciesUs, 0.99) - percentileMs(directHttp.latenciesUs, 0.99));
            // The host's own work per call is the CPU this process adds over the direct way (its client is
            // the same); the server's, what it spends more per call when called through the host.
            if (compared) std::printf("  CPU per call over direct: /mcp host %+.0f us, server %+.0f us; byte relay %+.0f us, server %+.0f us\n",
                                      faceHttp.ownCpuUsPerCall() - directHttp.ownCpuUsPerCall(),
                                      faceHttp.serverCpuUsPerCall() - directHttp.serverCpuUsPerCall(),
                                      relayedHttp.ownCpuUsPerCall() - directHttp.ownCpuUsPerCall(),
                                      relayedHttp.serverCpuUsPerCall() - directHttp.serverCpuUsPerCall());
        }
        runtime.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "FAILED: %s\n", e.what());
        return 1;
    }
    std::printf("%s\n", ok ? "OK: nothing lost, every call answered" : "FAILED (see above)");
    return ok ? 0 : 2;
}
