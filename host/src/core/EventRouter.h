#pragma once
// Maps an event to its channels from its type and payload, then publishes it. This is where plugin
// emits (mc_host_api.emit) and host-internal events enter the real-time path.
//
// Routing rules (ids may be JSON strings or integers; empty ids are skipped):
//   log                       -> logs:*, logs:<thread_id>, logs:mcp:<mcp_id>, logs:<LEVEL upper-cased>
//   thread, step, transcript  -> threads, threads:<thread_id, else id>
//   mcp                       -> mcps, mcps:<id, else mcp_id>
//   permission                -> permissions, permissions:<thread_id>
//   discovery                 -> mcps
//   anything else             -> events:<type>
#include "core/Broadcaster.h"
#include "mc/plugin_abi.h"

#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

class EventRouter {
public:
    explicit EventRouter(Broadcaster& broadcaster) : broadcaster_(broadcaster) {}

    // Validates that `type` is a non-empty name and `payloadJson` a JSON object, then publishes.
    // MC_ERR_INVALID_ARGUMENT with the reason in *error otherwise (nothing is published).
    mc_status route(std::string_view source, std::string_view type, std::string_view payloadJson,
                    std::string* error = nullptr);

    static std::vector<std::string> channelsFor(std::string_view type, const Poco::JSON::Object& payload);

private:
    Broadcaster& broadcaster_;
};

} // namespace mc::host
