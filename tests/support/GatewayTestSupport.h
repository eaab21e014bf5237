#pragma once
// Small helpers shared by the gateway suites: waiting for a condition, reading an MCP's REST view,
// merging config overrides, checking that a process is gone.
#include "TestHttp.h"

#include <Poco/JSON/Object.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <thread>

namespace mc::test {

inline std::map<std::string, std::string> merge(std::initializer_list<std::map<std::string, std::string>> parts) {
    std::map<std::string, std::string> out;
    for (const auto& p : parts) out.insert(p.begin(), p.end());
    return out;
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

inline bool processGone(int pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

} // namespace mc::test
