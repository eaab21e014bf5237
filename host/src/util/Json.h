#pragma once
// The host uses the SDK's JSON text helpers (one implementation for host and plugins).
#include "mc/json_text.hpp"

namespace mc::host::json {
using mc::sdk::json::appendEscaped;
using mc::sdk::json::isoTimestamp;
using mc::sdk::json::quote;
} // namespace mc::host::json
