#pragma once
// Maps an event to its channels from its type and payload, then publishes it. This is where plugin
// emits (mc_host_api.emit) and host-internal events enter the real-time path.
//
// Routing rules (ids may be JSON strings or integers; empty ids are skipped):
//   log                       -> logs:*, logs:<thread_id>, logs:mcp:<mcp_id>, logs:<LEVEL upper-cased>
//   thread, step              -> threads, threads:<thread_id, else id>
//   transcript                -> transcripts:<thread_id>, threads:<thread_id>
//   mcp                       -> mcps, mcps:<id, else mcp_id>
//   mcp_status                -> mcps, mcps:<mcp_id>
//   permission                -> permissions, permissions:<thread_id>
//   audit                     -> audit
//   discovery                 -> mcps
//   protocol                  -> protocol, protocol:<mcp_id>
//   anything else             -> events:<type>
//
// Events of a persisted kind (mc/records: thread, step, log, ...) are normalized here, where they
// arrive as text, and go to the persistence hook when one is set (the IngestService), which checks
// them against the store's state, queues them for the store and publishes them back through
// publish() with their canonical JSON.
#include "core/Broadcaster.h"
#include "mc/plugin_abi.h"
#include "mc/records/RecordSchema.h"

#include <Poco/JSON/Object.h>

#include <functional>

#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

// The payload fields routing looks at, as text ("" when absent).
struct ChannelKeys {
    std::string id;
    std::string threadId;
    std::string mcpId;
    std::string level;
};

class EventRouter {
public:
    // Takes a persisted-kind event, normalized, instead of publishing it; returns MC_OK or the refusal.
    using Persistence = std::function<mc_status(std::string_view source, mc::records::TypedRecord record, std::string* error)>;

    explicit EventRouter(Broadcaster& broadcaster) : broadcaster_(broadcaster) {}

    // Set once before events flow (HostRuntime wires the IngestService).
    void setPersistence(Persistence persistence) { persistence_ = std::move(persistence); }

    // Validates that `type` is a non-empty name and `payloadJson` a JSON object, then publishes.
    // MC_ERR_INVALID_ARGUMENT with the reason in *error otherwise (nothing is published).
    mc_status route(std::string_view source, std::string_view type, std::string_view payloadJson,
                    std::string* error = nullptr);

    // A record the host built itself (mc::records::RecordBuilder: nothing to parse or normalize
    // again): handed to the persistence, or published as route would when there is none.
    mc_status routeRecord(std::string_view source, mc::records::TypedRecord record, std::string* error = nullptr);

    // Publishes an event whose payload is known-good JSON object text and whose routing keys the
    // caller already has (no parse). Returns the broadcast seq.
    std::uint64_t publish(std::string_view source, std::string_view type, std::string_view payloadJson,
                          const ChannelKeys& keys);

    // Whether anyone subscribes to a channel an event of `type` with `keys` goes to (to skip building
    // events nobody watches live).
    bool hasSubscribers(std::string_view type, const ChannelKeys& keys) const;

    static std::vector<std::string> channelsFor(std::string_view type, const Poco::JSON::Object& payload);
    static std::vector<std::string> channelsFor(std::string_view type, const ChannelKeys& keys);
    static ChannelKeys keysOf(const Poco::JSON::Object& payload);
    static ChannelKeys keysOf(const mc::records::KindSpec& spec, const mc::records::NormalizedRecord& record);

private:
    Broadcaster& broadcaster_;
    Persistence persistence_;
};

} // namespace mc::host
