#pragma once
// Shared by the mcp-http tests: real MCP servers run with node on a free loopback port, and the real
// mcp-http.so driven through the host's loader and plugin instance, recording every callback.
#include "TestHttp.h"

#include <mc/sdk_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <Poco/TemporaryFile.h>

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mc::test::mcphttp {

inline std::string peersDir() { return MC_TEST_MCP_PEERS_DIR; }
inline std::string everythingScript() {
    return peersDir() + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
}

// A node MCP server on 127.0.0.1:<port>; output goes to a log file; SIGTERM then SIGKILL on exit.
class NodePeer {
public:
    NodePeer(std::vector<std::string> args) : port_(freePort()), log_(Poco::TemporaryFile::tempName("/tmp") + ".peer.log") {
        std::string command = "exec node";
        for (const auto& a : args) command += " '" + a + "'";
        command += " >'" + log_ + "' 2>&1";
        Poco::Process::Env env{{"PORT", std::to_string(port_)}};
        handle_ = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch("/bin/sh", {"-c", command}, peersDir(), nullptr, nullptr, nullptr, env));
        for (int waited = 0; waited < 20000; waited += 50) {
            if (listening()) return;
            int status = 0;
            if (::waitpid(handle_->id(), &status, WNOHANG) == handle_->id()) {
                reaped_ = true;
                throw std::runtime_error("MCP peer exited before listening: " + output());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw std::runtime_error("MCP peer did not listen within 20 s: " + output());
    }
    ~NodePeer() {
        if (!reaped_) {
            ::kill(handle_->id(), SIGTERM);
            for (int waited = 0; waited < 5000; waited += 20) {
                int status = 0;
                if (::waitpid(handle_->id(), &status, WNOHANG) == handle_->id()) {
                    reaped_ = true;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            if (!reaped_) {
                ::kill(handle_->id(), SIGKILL);
                int status = 0;
                ::waitpid(handle_->id(), &status, 0);
            }
        }
        std::remove(log_.c_str());
    }
    NodePeer(const NodePeer&) = delete;
    NodePeer& operator=(const NodePeer&) = delete;

    unsigned short port() const { return port_; }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    std::string output() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    bool listening() const {
        try {
            Poco::Net::StreamSocket socket;
            socket.connect(Poco::Net::SocketAddress("127.0.0.1", port_), Poco::Timespan(0, 200000));
            return true;
        } catch (...) {
            return false;
        }
    }
    unsigned short port_;
    std::string log_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
    bool reaped_ = false;
};

inline std::string httpTransportPluginPath() { return std::string(MC_TEST_PLUGIN_DIR) + "/mcp-http.so"; }

inline Poco::JSON::Object::Ptr parse(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

// Checks a server definition with the plugin's validate() (as POST /api/mcps does), on an instance with
// the declared defaults; throws std::runtime_error "validate failed (<status>): <reason>" when refused.
inline void createTransport(const std::string& serverJson, const mc::sdk::test::Properties& instanceConfig = {}) {
    mc::sdk::test::FakeHost host(httpTransportPluginPath());
    auto instance = host.create(instanceConfig);
    if (!instance->created().ok()) throw std::runtime_error("create failed: " + instance->created().error);
    const auto valid = instance->validate(serverJson);
    if (!valid.ok())
        throw std::runtime_error("validate failed (" + std::string(mc::sdk::test::name(valid.status)) + "): " + valid.error);
}

// One transport instance (mcp.http.* from `instanceConfig`), started, and the connection it opens for
// one server definition, with a record of everything the connection reported (the SDK's fake host).
class TransportProbe {
public:
    explicit TransportProbe(const std::string& serverJson, const mc::sdk::test::Properties& instanceConfig = {})
        : serverJson_(serverJson), host_(httpTransportPluginPath()) {
        instance_ = host_.create(instanceConfig);
        if (!instance_->created().ok()) throw std::runtime_error("create failed: " + instance_->created().error);
        const auto started = instance_->start();
        if (!started.ok()) throw std::runtime_error("start failed: " + started.error);
        const auto valid = instance_->validate(serverJson);
        if (!valid.ok()) throw std::runtime_error("validate failed: " + valid.error);
    }
    ~TransportProbe() { close(); }

    mc_status open(std::string& reason) {
        connection_ = instance_->open(serverJson_);
        reason = connection_->opened().error;
        return connection_->opened().status;
    }
    void openOrFail() {
        std::string reason;
        if (open(reason) != MC_OK) throw std::runtime_error("open failed: " + reason);
    }
    mc_status send(const std::string& message, std::string& reason) {
        if (!connection_) {
            reason = "the connection is not open";
            return MC_ERR_UNAVAILABLE;
        }
        const auto call = connection_->send(message);
        reason = call.error;
        return call.status;
    }
    void sendOrFail(const std::string& message) {
        std::string reason;
        if (send(message, reason) != MC_OK) throw std::runtime_error("send failed: " + reason);
    }
    // close_connection (once; again: nothing to do).
    mc_status close() {
        if (connection_) connection_->close();
        return MC_OK;
    }

    // Sends a request and waits for the response with its id (the whole message).
    Poco::JSON::Object::Ptr request(int id, const std::string& method, const std::string& paramsJson = "{}",
                                    int timeoutMs = 20000) {
        sendOrFail(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":)" +
                   paramsJson + "}");
        return waitForResponse(id, timeoutMs);
    }
    Poco::JSON::Object::Ptr waitForResponse(int id, int timeoutMs = 20000) {
        return waitFor([id](const Poco::JSON::Object::Ptr& m) {
            return m->has("id") && !m->has("method") && m->get("id").toString() == std::to_string(id);
        }, timeoutMs, "response to request " + std::to_string(id));
    }
    Poco::JSON::Object::Ptr waitFor(const std::function<bool(const Poco::JSON::Object::Ptr&)>& match, int timeoutMs,
                                    const std::string& what) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        for (;;) {
            const auto all = messages();
            for (const auto& m : all) {
                auto obj = parse(m);
                if (match(obj)) return obj;
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("timed out waiting for " + what + "; messages: " + joined(all) + "; logs: " + joined(logLines()));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    // Initializes the session the way a client does; returns the initialize result.
    Poco::JSON::Object::Ptr initialize(int id = 1, const std::string& version = "2025-11-25") {
        auto response = request(id, "initialize",
                                R"({"protocolVersion":")" + version +
                                    R"(","capabilities":{},"clientInfo":{"name":"mc-test","version":"1.0"}})");
        if (!response->has("result")) throw std::runtime_error("initialize failed: " + toJson(response));
        sendOrFail(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
        return response->getObject("result");
    }
    std::string callToolText(int id, const std::string& tool, const std::string& argumentsJson) {
        auto response = request(id, "tools/call", R"({"name":")" + tool + R"(","arguments":)" + argumentsJson + "}");
        if (!response->has("result")) throw std::runtime_error("tools/call " + tool + " failed: " + toJson(response));
        return response->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text");
    }
    std::pair<mc_status, std::string> waitClosed(int timeoutMs = 20000) {
        if (!connection_ || !connection_->waitForClosed(std::chrono::milliseconds(timeoutMs)))
            throw std::runtime_error("on_closed was not called; logs: " + joined(logLines()));
        const auto closed = connection_->closed();
        return {closed->reason, closed->detail};
    }

    std::vector<std::string> messages() const { return connection_ ? connection_->messages() : std::vector<std::string>{}; }
    std::vector<mc::sdk::test::ExchangeRecord> exchanges() const {
        return connection_ ? connection_->exchanges() : std::vector<mc::sdk::test::ExchangeRecord>{};
    }
    std::vector<std::string> logLines() const {
        std::vector<std::string> out;
        if (connection_)
            for (const auto& l : connection_->logs()) out.push_back(l.message);
        return out;
    }
    std::vector<mc::sdk::test::StatusReport> statuses() const {
        return connection_ ? connection_->statuses() : std::vector<mc::sdk::test::StatusReport>{};
    }
    std::size_t closedCount() const { return connection_ && connection_->closed() ? 1 : 0; }
    // Whether the fake host saw two callbacks of the connection at once (an ABI violation).
    bool overlapped() const {
        if (!connection_) return false;
        for (const auto& v : connection_->violations())
            if (v.find("while another callback") != std::string::npos) return true;
        return false;
    }
    // The ABI rules the plugin broke (the fake host's record), instance and connection.
    std::vector<std::string> violations() const {
        auto out = instance_->violations();
        if (connection_)
            for (auto& v : connection_->violations()) out.push_back(std::move(v));
        return out;
    }
    // Kept for the tests' wording: the fake host's callbacks return at once (overlap is still detected).
    void slowDelivery(bool) {}

    static std::string toJson(const Poco::JSON::Object::Ptr& obj) {
        std::ostringstream out;
        obj->stringify(out);
        return out.str();
    }

private:
    static std::string joined(const std::vector<std::string>& items) {
        std::string out;
        for (const auto& i : items) out += (out.empty() ? "" : " | ") + i;
        return out;
    }

    std::string serverJson_;
    mc::sdk::test::FakeHost host_;
    std::unique_ptr<mc::sdk::test::Instance> instance_;
    std::unique_ptr<mc::sdk::test::Connection> connection_;
};

inline bool isNotification(const Poco::JSON::Object::Ptr& m, const std::string& method) {
    return m->has("method") && !m->has("id") && m->getValue<std::string>("method") == method;
}

} // namespace mc::test::mcphttp
