#pragma once
// The subjects the host names and where they live on NATS: every subject goes under the plugin's
// prefix (so clusters can share one NATS), and what comes back has it taken off.
#include <string>
#include <string_view>

namespace mc::bus_nats {

// A host subject: dot-separated tokens of [A-Za-z0-9_-], at most 255 bytes; `wildcards` also allows
// NATS's `*` token and a final `>` (for subscriptions).
bool validSubject(std::string_view subject, bool wildcards = false);

// "<prefix>.<subject>"; std::invalid_argument naming the subject when it is not valid.
std::string qualified(std::string_view prefix, std::string_view subject, bool wildcards = false);

// The host's subject of a NATS subject under `prefix`; "" when it is not under it.
std::string_view unqualified(std::string_view prefix, std::string_view natsSubject);

} // namespace mc::bus_nats
