#include "gateway/WireLog.h"

#include "util/Clock.h"
#include "util/Json.h"

namespace mc::host {
namespace {
// Microseconds as milliseconds with three decimals ("12.345").
std::string millis(long long micros) {
    std::string fraction = std::to_string(micros % 1000);
    return std::to_string(micros / 1000) + "." + std::string(3 - fraction.size(), '0') + fraction;
}
} // namespace

std::optional<WireLog::Entry> WireLog::record(Direction direction, Kind kind, const std::string& method, const std::string& idJson,
                                              std::string_view json) {
    if (capacity_ == 0) return std::nullopt;
    Entry entry;
    entry.unixMicros = nowUnixUs();
    entry.direction = direction;
    entry.kind = kind;
    entry.method = method;
    entry.idJson = idJson;
    entry.bytes = json.size();
    entry.truncated = json.size() > maxBytes_;
    entry.json = std::string(json.substr(0, maxBytes_));
    std::lock_guard lock(mutex_);
    entry.seq = nextSeq_++;
    if (kind == Kind::Request && !idJson.empty()) {
        if (asked_.size() >= capacity_ * 2) asked_.clear(); // requests never answered must not pile up
        asked_[{direction, idJson}] = Asked{entry.unixMicros, method};
    } else if ((kind == Kind::Response || kind == Kind::Error) && !idJson.empty()) {
        // A response answers a request that went the other way.
        const auto asker = direction == Direction::In ? Direction::Out : Direction::In;
        if (auto it = asked_.find({asker, idJson}); it != asked_.end()) {
            entry.method = it->second.method;
            entry.durationMicros = entry.unixMicros - it->second.unixMicros;
            asked_.erase(it);
        }
    }
    ring_.push_back(entry);
    while (ring_.size() > capacity_) ring_.pop_front();
    return entry;
}

std::vector<WireLog::Entry> WireLog::query(const Query& query) const {
    std::vector<Entry> out;
    std::lock_guard lock(mutex_);
    for (auto it = ring_.rbegin(); it != ring_.rend() && out.size() < query.limit; ++it) {
        if (query.before && it->seq >= query.before) continue;
        if (query.direction && it->direction != *query.direction) continue;
        if (!query.method.empty() && it->method != query.method) continue;
        out.push_back(*it);
    }
    return out;
}

std::uint64_t WireLog::recorded() const {
    std::lock_guard lock(mutex_);
    return nextSeq_ - 1;
}

const char* WireLog::name(Direction direction) { return direction == Direction::Out ? "out" : "in"; }

const char* WireLog::name(Kind kind) {
    switch (kind) {
    case Kind::Request: return "request";
    case Kind::Response: return "response";
    case Kind::Error: return "error";
    case Kind::Notification: return "notification";
    }
    return "notification";
}

std::optional<WireLog::Direction> WireLog::parseDirection(const std::string& text) {
    if (text == "out") return Direction::Out;
    if (text == "in") return Direction::In;
    return std::nullopt;
}

std::string WireLog::toJson(const Entry& e, const std::string& mcpId) {
    std::string out = "{\"seq\":" + std::to_string(e.seq) + ",\"timestamp\":" + json::quote(json::isoTimestamp(e.unixMicros)) +
                      ",\"mcp_id\":" + json::quote(mcpId) + ",\"direction\":\"" + name(e.direction) + "\",\"kind\":\"" + name(e.kind) +
                      "\",\"method\":" + (e.method.empty() ? std::string("null") : json::quote(e.method)) +
                      ",\"id\":" + (e.idJson.empty() ? std::string("null") : e.idJson) + ",\"duration_ms\":" +
                      (e.durationMicros < 0 ? std::string("null") : millis(e.durationMicros)) +
                      ",\"bytes\":" + std::to_string(e.bytes) + ",\"truncated\":" + (e.truncated ? "true" : "false") + ",\"message\":";
    // Whole messages are JSON the gateway parsed or built; a cut one is only text.
    out += e.truncated ? json::quote(e.json) : e.json;
    out += '}';
    return out;
}

} // namespace mc::host
