#pragma once
// Small helpers shared by the gateway suites: waiting for a condition, reading an MCP's REST view,
// merging config overrides, checking that a process is gone.
#include "TestHttp.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace mc::test {

inline std::map<std::string, std::string> merge(std::initializer_list<std::map<std::string, std::string>> parts) {
    std::map<std::string, std::string> out;
    for (const auto& p : parts) out.insert(p.begin(), p.end());
    return out;
}

// The real MCP server of the tests (tests/mcp-peers): node <this> stdio|sse|streamableHttp.
inline std::string everythingServerScript() {
    return std::string(MC_TEST_MCP_PEERS_DIR) + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
}

// Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns its last value.
inline bool eventually(const std::function<bool()>& condition, int timeoutMs = 30000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

// GET /api/mcps/{id}, or nullptr when it is not 200.
inline Poco::JSON::Object::Ptr mcp(unsigned short port, const std::string& id) {
    auto r = httpGet(port, "/api/mcps/" + id);
    return r.status == 200 ? r.json() : nullptr;
}

inline std::string statusOf(unsigned short port, const std::string& id) {
    auto m = mcp(port, id);
    return m ? m->getValue<std::string>("status") : "absent";
}

// A program run to its end in the MCP peers folder: exit status and stdout (stderr passes through to
// the test's log).
struct Ran {
    int status = -1;
    std::string out;
};
inline Ran runProgram(const std::string& command, const std::vector<std::string>& args) {
    Poco::Pipe out;
    Poco::ProcessHandle handle = Poco::Process::launch(command, args, MC_TEST_MCP_PEERS_DIR, nullptr, &out, nullptr);
    Poco::PipeInputStream in(out);
    Ran ran;
    Poco::StreamCopier::copyToString(in, ran.out);
    ran.status = handle.wait();
    return ran;
}

inline bool processGone(int pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

// `node <args...>` serving HTTP on a free loopback port (env PORT; or `port` when given), run in the
// MCP peers folder; ready() once that node process listens on the port itself (another test's process
// may take a free port first: then the peer cannot bind, exits, and is started again on another port);
// killed and reaped by the destructor.
class NodeHttpPeer {
public:
    explicit NodeHttpPeer(const std::vector<std::string>& args, unsigned short port = 0) {
        for (int attempt = 0; attempt < 3 && !ready_; ++attempt) {
            stop();
            port_ = port ? port : freePort();
            Poco::Process::Env env;
            env["PORT"] = std::to_string(port_);
            handle_ = std::make_unique<Poco::ProcessHandle>(
                Poco::Process::launch("node", args, MC_TEST_MCP_PEERS_DIR, nullptr, nullptr, nullptr, env));
            const int pid = handle_->id();
            eventually([&] { return listensOn(pid, port_) || (exited_ = handle_->tryWait() != -1); }, 20000);
            ready_ = !exited_ && listensOn(pid, port_);
        }
    }
    ~NodeHttpPeer() { stop(); }
    NodeHttpPeer(const NodeHttpPeer&) = delete;
    NodeHttpPeer& operator=(const NodeHttpPeer&) = delete;

    bool ready() const { return ready_; }
    unsigned short port() const { return port_; }
    int pid() const { return handle_->id(); }

private:
    void stop() {
        if (!handle_) return;
        if (exited_) { // reaped by tryWait: its pid may be another process's by now
            handle_.reset();
            exited_ = false;
            return;
        }
        try {
            Poco::Process::kill(*handle_);
        } catch (...) {
        }
        try {
            handle_->wait();
        } catch (...) {
        }
        handle_.reset();
    }

    unsigned short port_ = 0;
    std::unique_ptr<Poco::ProcessHandle> handle_;
    bool ready_ = false;
    bool exited_ = false;
};

// The scripted Anthropic Messages API (tests/mcp-peers/fake-anthropic.mjs) on a free loopback port,
// for runs of the real Claude Code CLI; `echoTool`: the tool its model calls ("" for its default).
// Killed and reaped by the destructor.
class FakeAnthropic {
public:
    // `dumpDir`: each request Claude Code sends is saved there (NNN-request.json), to read what it told the model.
    explicit FakeAnthropic(const std::string& echoTool = "", const std::string& dumpDir = "") {
        std::vector<std::string> args = {"fake-anthropic.mjs", "0"};
        if (!echoTool.empty()) args.insert(args.end(), {"--echo-tool", echoTool});
        if (!dumpDir.empty()) args.insert(args.end(), {"--dump-dir", dumpDir});
        Poco::Pipe out;
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("node", args, MC_TEST_MCP_PEERS_DIR, nullptr, &out, nullptr));
        Poco::PipeInputStream lines(out);
        std::string first; // {"port":N}
        std::getline(lines, first);
        port_ = static_cast<unsigned short>(parseObject(first)->getValue<int>("port"));
    }
    ~FakeAnthropic() {
        try {
            Poco::Process::kill(*handle_);
            handle_->wait();
        } catch (...) {
        }
    }
    FakeAnthropic(const FakeAnthropic&) = delete;
    FakeAnthropic& operator=(const FakeAnthropic&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
    unsigned short port_ = 0;
};

// Host keys for a real server-everything over stdio as MCP server "every", plus `more`.
inline std::map<std::string, std::string> withEverything(std::map<std::string, std::string> more = {}) {
    std::map<std::string, std::string> keys = {{"mcp.servers.every.transport", "stdio"},
                                               {"mcp.servers.every.command", "node"},
                                               {"mcp.servers.every.args", "[\"" + everythingServerScript() + "\",\"stdio\"]"},
                                               {"mcp.servers.every.shutdown_grace_ms", "1000"}};
    keys.insert(more.begin(), more.end());
    return keys;
}

} // namespace mc::test
