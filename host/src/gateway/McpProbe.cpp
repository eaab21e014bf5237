#include "gateway/McpProbe.h"

#include "mc/abi_text.hpp"
#include "gateway/McpProtocol.h"
#include "gateway/TransportSet.h"
#include "plugin/HostContext.h"
#include "util/Json.h"

#include <Poco/JSON/Object.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace mc::host {
namespace {

constexpr int kDiscoverId = 1;
constexpr int kInitializeId = 2;

using mc::sdk::view;

// What the transport reports while the probe waits: the answer to request `expected`, or the end of the link.
struct ProbeWaiter {
    std::mutex mutex;
    std::condition_variable changed;
    int expected = kDiscoverId;
    std::optional<Poco::JSON::Object::Ptr> answer;
    std::optional<std::string> closed;

    static void onMessage(void* ctx, mc_str message) {
        auto* self = static_cast<ProbeWaiter*>(ctx);
        try {
            auto parsed = json::parse(view(message));
            if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return;
            auto object = parsed.extract<Poco::JSON::Object::Ptr>();
            if (!object->has("id") || !object->get("id").isInteger() || object->has("method"))
                return; // notifications and server requests are not the answer
            std::lock_guard lock(self->mutex);
            if (object->get("id").convert<int>() != self->expected) return;
            self->answer = object;
            self->changed.notify_all();
        } catch (...) {
        }
    }
    static void onLog(void*, mc_log_level, mc_str) {}
    static void onStatus(void*, mc_component_status, mc_str) {}
    static void onClosed(void* ctx, mc_status, mc_str detail) {
        auto* self = static_cast<ProbeWaiter*>(ctx);
        try {
            std::lock_guard lock(self->mutex);
            self->closed = std::string(view(detail));
            self->changed.notify_all();
        } catch (...) {
        }
    }
};

} // namespace

std::string initializeParamsJson(const std::string& capabilitiesJson) {
    return std::string("{\"protocolVersion\":") + json::quote(mcp::kOfferedProtocolVersion) +
           ",\"capabilities\":" + capabilitiesJson + ",\"clientInfo\":" + mcp::clientInfoJson() + "}";
}

ProbeResult probeMcpServer(const TransportSet& transports, const McpServerConfig& config,
                           std::chrono::milliseconds timeout) {
    ProbeResult result;
    const auto started = std::chrono::steady_clock::now();
    auto finish = [&](std::string error) {
        result.error = std::move(error);
        result.ok = result.error.empty();
        result.durationMs =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        return result;
    };
    if (config.startsProcess()) return finish("stdio servers are not probed (that would start the command)");
    std::string available;
    const TransportSet::Lease transport = transports.acquire(config.transport, &available); // held until the probe closes
    if (!transport)
        return finish(std::string("no transport plugin serves '") + config.transport +
                      "' (loaded transports: " + (available.empty() ? "none" : available) + ")");
    if (!transport->handle())
        return finish("the transport plugin " + transport->plugin->info.id + " did not start: " + transport->error);

    // The probe's own deadline bounds it: the connection is closed when `timeout` passes, whatever
    // timeouts the transport applies.
    const std::string serverJson = config.serverJson();

    ProbeWaiter waiter;
    const mc_connection_callbacks callbacks{sizeof(mc_connection_callbacks), &waiter, &ProbeWaiter::onMessage,
                                            &ProbeWaiter::onLog, &ProbeWaiter::onStatus, &ProbeWaiter::onClosed,
                                            nullptr /* a probe keeps no inspector */};
    const mc_transport_vtable& vt = transport->vtable();
    std::string reason;
    mc_connection* connection = nullptr;
    if (HostContext::call(reason, [&] {
            return vt.open_connection(transport->handle(), mc_str{serverJson.data(), serverJson.size()}, &callbacks,
                                      &connection);
        }) != MC_OK || !connection)
        return finish("transport open failed: " + (reason.empty() ? std::string("no connection") : reason));

    // Asks `method` and waits for its answer, within what is left of the probe's deadline; nullptr with
    // `error` set when none came.
    auto ask = [&](int id, const std::string& method, const std::string& params, std::chrono::steady_clock::time_point deadline,
                   std::string& error) -> Poco::JSON::Object::Ptr {
        {
            std::lock_guard lock(waiter.mutex);
            waiter.expected = id;
            waiter.answer.reset();
        }
        const std::string request = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
        if (HostContext::call(reason, [&] { return vt.send(connection, mc_str{request.data(), request.size()}); }) != MC_OK) {
            error = "sending " + method + " failed: " + reason;
            return nullptr;
        }
        std::unique_lock lock(waiter.mutex);
        waiter.changed.wait_until(lock, deadline, [&] { return waiter.answer || waiter.closed; });
        if (waiter.answer) return *waiter.answer;
        error = waiter.closed ? "connection closed during " + method + ": " + *waiter.closed
                              : "no answer to " + method + " within " +
                                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - started).count()) + " ms";
        return nullptr;
    };
    std::string error;
    // The new era first (server/discover), as the gateway connects; its refusal, or silence for half the
    // probe's time, means the 2025 era.
    const auto discovered = ask(kDiscoverId, "server/discover", "{\"_meta\":{" + mcp::modernMetaMembers("{}", "") + "}}",
                                started + timeout / 2, error);
    const auto found = discovered ? discovered->getObject("result") : nullptr;
    const auto versions = found ? found->getArray("supportedVersions") : nullptr;
    bool modern = false;
    for (std::size_t i = 0; versions && i < versions->size(); ++i)
        modern = modern || versions->get(static_cast<unsigned>(i)).toString() == mc::mcp::modern::kVersion;
    if (modern) {
        result.protocolVersion = mc::mcp::modern::kVersion;
        const auto meta = found->getObject("_meta");
        if (found->has("serverInfo")) result.serverInfoJson = json::stringify(found->get("serverInfo"));
        else if (meta && meta->has(mc::mcp::modern::kMetaServerInfo)) result.serverInfoJson = json::stringify(meta->get(mc::mcp::modern::kMetaServerInfo));
    } else if (discovered || error.rfind("no answer", 0) == 0) {
        error.clear();
        if (const auto answer = ask(kInitializeId, "initialize", initializeParamsJson(), started + timeout, error)) {
            auto res = answer->getObject("result");
            if (!res) {
                auto err = answer->getObject("error");
                error = "initialize failed: " + (err ? err->optValue<std::string>("message", "error without message")
                                                     : std::string("answer has neither result nor error"));
            } else {
                result.protocolVersion = res->optValue<std::string>("protocolVersion", "");
                const auto* revision = mcp::findRevision(result.protocolVersion);
                if (!revision || !revision->initializeHandshake)
                    error = "the server answered protocol version '" + result.protocolVersion +
                            "', which the gateway does not speak (it speaks " + mcp::supportedVersionList() + ")";
                if (res->has("serverInfo")) result.serverInfoJson = json::stringify(res->get("serverInfo"));
            }
        }
    }
    vt.close_connection(connection);
    return finish(error);
}

} // namespace mc::host
