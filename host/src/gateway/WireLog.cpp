#include "gateway/WireLog.h"

#include "util/Clock.h"
#include "util/Json.h"

#include <Poco/String.h>

#include <algorithm>
#include <cctype>

namespace mc::host {
namespace {

// Microseconds as milliseconds with three decimals ("12.345").
std::string millis(long long micros) {
    std::string fraction = std::to_string(micros % 1000);
    return std::to_string(micros / 1000) + "." + std::string(3 - fraction.size(), '0') + fraction;
}
// An HTTP field name (RFC 9110 token): visible ASCII without delimiters.
bool isToken(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}
} // namespace

WireLog::EntryPtr WireLog::record(Direction direction, Kind kind, const std::string& method, const std::string& idJson,
                                  std::string_view json) {
    if (capacity_ == 0) return nullptr;
    auto made = std::make_shared<Entry>();
    Entry& entry = *made;
    entry.unixMicros = nowUnixUs();
    entry.direction = direction;
    entry.kind = kind;
    entry.method = method;
    entry.idJson = idJson;
    entry.bytes = json.size();
    entry.truncated = json.size() > maxBytes_;
    entry.json.assign(json.substr(0, maxBytes_));
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
    return keepLocked(std::move(made));
}

WireLog::EntryPtr WireLog::keepLocked(EntryPtr entry) {
    ring_.push_back(entry);
    // The oldest goes; it is freed here only when no reader holds it.
    if (ring_.size() > capacity_) ring_.pop_front();
    return entry;
}

WireLog::EntryPtr WireLog::recordExchange(const Exchange& x) {
    if (capacity_ == 0) return nullptr;
    auto made = std::make_shared<Entry>();
    Entry& entry = *made;
    entry.unixMicros = nowUnixUs();
    entry.direction = Direction::Out;
    entry.kind = Kind::Http;
    entry.idJson = std::string(x.jsonrpcId);
    entry.durationMicros = x.durationMicros;
    entry.bytes = x.requestBytes;
    entry.httpStatus = x.status;
    entry.http.method = x.method;
    entry.http.target = x.target;
    entry.http.requestHeaders = x.requestHeaders;
    if (x.status > 0) entry.http.responseHeaders = x.responseHeaders;
    entry.http.error = x.error;
    entry.http.requestBytes = x.requestBytes;
    entry.http.responseBytes = x.responseBytes;
    std::lock_guard lock(mutex_);
    entry.seq = nextSeq_++;
    // The request this POST carried went out just before: its method names the exchange.
    if (!entry.idJson.empty())
        if (auto it = asked_.find({Direction::Out, entry.idJson}); it != asked_.end()) entry.method = it->second.method;
    return keepLocked(std::move(made));
}

WireLog::EntryPtr WireLog::findRequest(Direction direction, const std::string& idJson, std::uint64_t before) const {
    std::lock_guard lock(mutex_);
    for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
        const Entry& e = **it;
        if (e.seq < before && e.kind == Kind::Request && e.direction == direction && e.idJson == idJson) return *it;
    }
    return nullptr;
}

bool WireLog::isFailure(const Entry& entry) {
    switch (entry.kind) {
    case Kind::Error: return true;
    case Kind::Http: return entry.httpStatus == 0 || entry.httpStatus >= 400;
    case Kind::Response: {
        // A tool result that says it failed; inside a string the quotes would be escaped.
        const auto at = entry.json.find("\"isError\":true");
        return at != std::string::npos && (at == 0 || entry.json[at - 1] != '\\');
    }
    default: return false;
    }
}

std::string WireLog::toCaptureJson(const Entry& e, const std::string& mcpId, const std::string& id) {
    std::string out = "{\"id\":" + json::quote(id) + ",\"timestamp\":" + json::quote(json::isoTimestamp(e.unixMicros)) +
                      ",\"mcp_id\":" + json::quote(mcpId) + ",\"seq\":" + std::to_string(e.seq) + ",\"direction\":\"" +
                      name(e.direction) + "\",\"kind\":\"" + name(e.kind) + "\"";
    if (!e.method.empty()) out += ",\"method\":" + json::quote(e.method);
    if (!e.idJson.empty()) out += ",\"jsonrpc_id\":" + json::quote(e.idJson);
    if (e.durationMicros >= 0) out += ",\"duration_ms\":" + millis(e.durationMicros);
    out += ",\"bytes\":" + std::to_string(e.bytes) + ",\"truncated\":" + (e.truncated ? "true" : "false");
    if (e.kind == Kind::Http) out += ",\"http\":" + httpJson(e);
    else if (e.truncated) out += ",\"excerpt\":" + json::quote(e.json);
    else out += ",\"message\":" + e.json;
    return out + "}";
}

std::vector<WireLog::Entry> WireLog::query(const Query& query) const {
    std::vector<EntryPtr> found;
    {
        std::lock_guard lock(mutex_);
        for (auto it = ring_.rbegin(); it != ring_.rend() && found.size() < query.limit; ++it) {
            const Entry& e = **it;
            if (query.before && e.seq >= query.before) continue;
            if (query.direction && e.direction != *query.direction) continue;
            if (!query.method.empty() && e.method != query.method) continue;
            found.push_back(*it);
        }
    }
    // Copied after the lock (entries are shared and never change): a reader of up to 1,000 messages
    // does not hold up the calls being recorded meanwhile.
    std::vector<Entry> out;
    out.reserve(found.size());
    for (const auto& e : found) out.push_back(*e);
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
    case Kind::Http: return "http";
    }
    return "notification";
}

std::optional<WireLog::Direction> WireLog::parseDirection(const std::string& text) {
    if (text == "out") return Direction::Out;
    if (text == "in") return Direction::In;
    return std::nullopt;
}

bool WireLog::isSecretHeader(std::string_view name) {
    const std::string lower = Poco::toLower(std::string(name));
    if (lower == "authorization" || lower == "proxy-authorization" || lower == "cookie" || lower == "set-cookie") return true;
    for (const char* word : {"token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "credential", "signature"})
        if (lower.find(word) != std::string::npos) return true;
    return false;
}

std::string WireLog::headersJson(std::string_view lines) {
    // Kept in the order received; a repeated name joins the first's value.
    std::vector<std::pair<std::string, std::string>> headers;
    while (!lines.empty()) {
        const auto end = lines.find('\n');
        std::string_view line = lines.substr(0, end);
        lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) continue; // not a header line
        std::string name(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        const std::string kept = isSecretHeader(name) ? std::string("[redacted]") : std::string(value);
        auto same = std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return Poco::icompare(h.first, name) == 0; });
        if (same == headers.end()) headers.emplace_back(std::move(name), kept);
        else if (same->second != "[redacted]") same->second += ", " + kept;
    }
    std::string out = "{";
    for (const auto& [name, value] : headers) {
        if (out.size() > 1) out += ',';
        out += json::quote(name) + ":" + json::quote(value);
    }
    return out + "}";
}

std::string WireLog::httpJson(const Entry& e) {
    const Entry::Http& x = e.http;
    const bool answered = e.httpStatus > 0;
    return "{\"method\":" + json::quote(x.method) + ",\"target\":" + json::quote(x.target) +
           ",\"status\":" + (answered ? std::to_string(e.httpStatus) : std::string("null")) +
           ",\"request_headers\":" + headersJson(x.requestHeaders) +
           ",\"response_headers\":" + (answered ? headersJson(x.responseHeaders) : std::string("null")) +
           ",\"request_bytes\":" + std::to_string(x.requestBytes) + ",\"response_bytes\":" +
           (x.responseBytes >= 0 && answered ? std::to_string(x.responseBytes) : std::string("null")) +
           ",\"error\":" + (x.error.empty() ? std::string("null") : json::quote(x.error)) + "}";
}

std::string WireLog::toJson(const Entry& e, const std::string& mcpId) {
    std::string out = "{\"seq\":" + std::to_string(e.seq) + ",\"timestamp\":" + json::quote(json::isoTimestamp(e.unixMicros)) +
                      ",\"mcp_id\":" + json::quote(mcpId) + ",\"direction\":\"" + name(e.direction) + "\",\"kind\":\"" + name(e.kind) +
                      "\",\"method\":" + (e.method.empty() ? std::string("null") : json::quote(e.method)) +
                      ",\"id\":" + (e.idJson.empty() ? std::string("null") : e.idJson) + ",\"duration_ms\":" +
                      (e.durationMicros < 0 ? std::string("null") : millis(e.durationMicros)) +
                      ",\"bytes\":" + std::to_string(e.bytes) + ",\"truncated\":" + (e.truncated ? "true" : "false") + ",\"message\":";
    // Whole messages are JSON the gateway parsed or built; a cut one is only text.
    if (e.kind == Kind::Http) out += "null,\"http\":" + httpJson(e);
    else out += e.truncated ? json::quote(e.json) : e.json;
    out += '}';
    return out;
}

} // namespace mc::host
