#pragma once
// Shared by the mcp-http tests: real MCP servers run with node on a free loopback port, and the real
// mcp-http.so driven through the host's loader and plugin instance, recording every callback.
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"
#include "plugin/PluginRegistry.h"
#include "TestHttp.h"

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

inline std::shared_ptr<const host::LoadedPlugin> httpTransportPlugin() {
    static const std::shared_ptr<const host::LoadedPlugin> plugin = [] {
        host::PluginRegistry registry;
        const std::string path = std::string(MC_TEST_PLUGIN_DIR) + "/mcp-http.so";
        if (!registry.loadFile(path)) throw std::runtime_error("mcp-http.so refused: " + registry.report().back().reason);
        return registry.find("mcp-http");
    }();
    return plugin;
}

inline Poco::JSON::Object::Ptr parse(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

// Creates an mcp-http instance from a server definition; throws std::runtime_error with the reason
// when create fails.
inline std::unique_ptr<host::PluginInstance> createTransport(const std::string& configJson) {
    auto context = std::make_unique<host::HostContext>("mcp-http", "test", std::map<std::string, std::string>{}, nullptr);
    context->setConfigJson(configJson);
    return std::make_unique<host::PluginInstance>(httpTransportPlugin(), std::move(context));
}

// One transport instance plus a record of everything it reported.
class TransportProbe {
public:
    explicit TransportProbe(const std::string& configJson) : instance_(createTransport(configJson)) {
        callbacks_.struct_size = sizeof(callbacks_);
        callbacks_.ctx = this;
        callbacks_.on_message = [](void* ctx, mc_str m) { static_cast<TransportProbe*>(ctx)->onMessage(std::string(m.ptr, m.len)); };
        callbacks_.on_log = [](void* ctx, mc_log_level level, mc_str line) {
            static_cast<TransportProbe*>(ctx)->record(static_cast<TransportProbe*>(ctx)->logs_, std::string(line.ptr, line.len), level);
        };
        callbacks_.on_closed = [](void* ctx, mc_status status, mc_str detail) {
            auto* self = static_cast<TransportProbe*>(ctx);
            std::lock_guard<std::mutex> lock(self->mutex_);
            self->closed_.emplace_back(status, std::string(detail.ptr, detail.len));
            self->changed_.notify_all();
        };
    }
    ~TransportProbe() { close(); }

    mc_status open(std::string& reason) {
        auto& plugin = instance_->plugin();
        return host::HostContext::call(reason, [&] { return plugin.transport.open(instance_->handle(), &callbacks_); });
    }
    void openOrFail() {
        std::string reason;
        if (open(reason) != MC_OK) throw std::runtime_error("open failed: " + reason);
    }
    mc_status send(const std::string& message, std::string& reason) {
        auto& plugin = instance_->plugin();
        return host::HostContext::call(reason, [&] {
            return plugin.transport.send(instance_->handle(), mc_str{message.data(), message.size()});
        });
    }
    void sendOrFail(const std::string& message) {
        std::string reason;
        if (send(message, reason) != MC_OK) throw std::runtime_error("send failed: " + reason);
    }
    mc_status close() {
        std::string reason;
        auto& plugin = instance_->plugin();
        return host::HostContext::call(reason, [&] { return plugin.transport.close(instance_->handle()); });
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
        std::unique_lock<std::mutex> lock(mutex_);
        Poco::JSON::Object::Ptr found;
        const bool ok = changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] {
            for (const auto& m : messages_) {
                auto obj = parse(m);
                if (match(obj)) {
                    found = obj;
                    return true;
                }
            }
            return false;
        });
        if (!ok) throw std::runtime_error("timed out waiting for " + what + "; messages: " + joined(messages_) + "; logs: " + joined(logLines()));
        return found;
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
        std::unique_lock<std::mutex> lock(mutex_);
        if (!changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return !closed_.empty(); }))
            throw std::runtime_error("on_closed was not called; logs: " + joined(logLinesLocked()));
        return closed_.front();
    }

    std::vector<std::string> messages() { std::lock_guard<std::mutex> lock(mutex_); return messages_; }
    std::vector<std::string> logLines() { std::lock_guard<std::mutex> lock(mutex_); return logLinesLocked(); }
    std::size_t closedCount() { std::lock_guard<std::mutex> lock(mutex_); return closed_.size(); }
    bool overlapped() const { return overlapped_; }
    // Makes each on_message take a while, so overlapping calls would be seen.
    void slowDelivery(bool on) { slow_ = on; }

    static std::string toJson(const Poco::JSON::Object::Ptr& obj) {
        std::ostringstream out;
        obj->stringify(out);
        return out.str();
    }

private:
    void onMessage(std::string message) {
        if (inside_.fetch_add(1) != 0) overlapped_ = true;
        if (slow_) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        inside_.fetch_sub(1);
        std::lock_guard<std::mutex> lock(mutex_);
        messages_.push_back(std::move(message));
        changed_.notify_all();
    }
    void record(std::vector<std::pair<int, std::string>>& into, std::string line, mc_log_level level) {
        std::lock_guard<std::mutex> lock(mutex_);
        into.emplace_back(level, std::move(line));
        changed_.notify_all();
    }
    std::vector<std::string> logLinesLocked() const {
        std::vector<std::string> out;
        for (const auto& [level, line] : logs_) out.push_back(line);
        return out;
    }
    static std::string joined(const std::vector<std::string>& items) {
        std::string out;
        for (const auto& i : items) out += (out.empty() ? "" : " | ") + i;
        return out;
    }

    std::unique_ptr<host::PluginInstance> instance_;
    mc_transport_callbacks callbacks_{};
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> messages_;
    std::vector<std::pair<int, std::string>> logs_;
    std::vector<std::pair<mc_status, std::string>> closed_;
    std::atomic<int> inside_{0};
    std::atomic<bool> overlapped_{false};
    std::atomic<bool> slow_{false};
};

inline bool isNotification(const Poco::JSON::Object::Ptr& m, const std::string& method) {
    return m->has("method") && !m->has("id") && m->getValue<std::string>("method") == method;
}

} // namespace mc::test::mcphttp
