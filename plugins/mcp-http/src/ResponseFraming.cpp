#include "ResponseFraming.h"

#include "mc/sdk.hpp" // its ASCII helpers (detail::equalsIgnoreCase, trim)

#include <cstddef>
#include <cstdint>

namespace mc::mcp_http {
namespace {

constexpr std::string_view kLineEnd = "\r\n";

using mc::sdk::detail::equalsIgnoreCase;
using mc::sdk::detail::lowerAscii;
using mc::sdk::detail::trim;

bool containsIgnoringCase(std::string_view text, std::string_view word) {
    for (std::size_t i = 0; i + word.size() <= text.size(); ++i)
        if (equalsIgnoreCase(text.substr(i, word.size()), word)) return true;
    return false;
}

// Up to 15 hex digits (a chunk far past any peek buffer is the worker's anyway); -1 when not a size.
std::int64_t chunkSize(std::string_view line) {
    if (const auto semicolon = line.find(';'); semicolon != std::string_view::npos) line = line.substr(0, semicolon);
    line = trim(line);
    if (line.empty() || line.size() > 15) return -1;
    std::int64_t size = 0;
    for (const char c : line) {
        const char l = lowerAscii(c);
        const int digit = l >= '0' && l <= '9' ? l - '0' : l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
        if (digit < 0) return -1;
        size = size * 16 + digit;
    }
    return size;
}

// `body` from the head's end; its chunks are joined into `content` (when given) and `end` is where the
// message ends, when it is Complete.
ResponseFraming chunkedBody(std::string_view body, std::string* content, std::size_t& end) {
    std::size_t at = 0;
    for (;;) {
        const auto lineEnd = body.find(kLineEnd, at);
        if (lineEnd == std::string_view::npos) return ResponseFraming::Incomplete;
        const std::int64_t size = chunkSize(body.substr(at, lineEnd - at));
        if (size < 0) return ResponseFraming::Unreadable;
        at = lineEnd + kLineEnd.size();
        if (size == 0) {
            // Trailer fields (rare), then the empty line that ends the message.
            for (;;) {
                const auto fieldEnd = body.find(kLineEnd, at);
                if (fieldEnd == std::string_view::npos) return ResponseFraming::Incomplete;
                if (fieldEnd == at) {
                    end = at + kLineEnd.size();
                    return ResponseFraming::Complete;
                }
                at = fieldEnd + kLineEnd.size();
            }
        }
        if (body.size() - at < static_cast<std::uint64_t>(size) + kLineEnd.size()) return ResponseFraming::Incomplete;
        if (content) content->append(body.substr(at, static_cast<std::size_t>(size)));
        at += static_cast<std::size_t>(size);
        if (body.substr(at, kLineEnd.size()) != kLineEnd) return ResponseFraming::Unreadable;
        at += kLineEnd.size();
    }
}

} // namespace

ResponseFraming responseFraming(std::string_view bytes, WholeResponse* whole) {
    const auto headEnd = bytes.find("\r\n\r\n");
    if (headEnd == std::string_view::npos) {
        // Not even a status line's start is wrong yet: wait for more.
        const std::string_view prefix = "HTTP/1.";
        const auto n = bytes.size() < prefix.size() ? bytes.size() : prefix.size();
        return bytes.substr(0, n) == prefix.substr(0, n) ? ResponseFraming::Incomplete : ResponseFraming::Unreadable;
    }
    const std::string_view head = bytes.substr(0, headEnd + kLineEnd.size()); // each line ends in CRLF
    const std::size_t bodyStart = headEnd + 4;
    const std::string_view body = bytes.substr(bodyStart);
    // "HTTP/1.1 200 OK": the version, a space, three digits, then a space and the reason (or nothing).
    if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ') return ResponseFraming::Unreadable;
    for (std::size_t i = 9; i < 12; ++i)
        if (head[i] < '0' || head[i] > '9') return ResponseFraming::Unreadable;
    const int status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
    if (status < 200) return ResponseFraming::Unreadable; // interim responses: Poco's reader handles them
    const std::size_t statusEnd = head.find(kLineEnd);
    if (statusEnd > 12 && head[12] != ' ') return ResponseFraming::Unreadable;
    const std::string_view reason = statusEnd > 12 ? trim(head.substr(13, statusEnd - 13)) : std::string_view();

    WholeResponse parts;
    bool chunked = false;
    std::int64_t contentLength = -1;
    std::size_t at = statusEnd + kLineEnd.size();
    while (at < head.size()) {
        const auto end = head.find(kLineEnd, at);
        const std::string_view line = head.substr(at, end - at);
        at = end + kLineEnd.size();
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return ResponseFraming::Unreadable;
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (equalsIgnoreCase(name, "transfer-encoding")) {
            chunked = chunked || containsIgnoringCase(value, "chunked");
        } else if (equalsIgnoreCase(name, "content-length")) {
            if (contentLength >= 0 || value.empty() || value.size() > 15) return ResponseFraming::Unreadable;
            std::int64_t n = 0;
            for (const char c : value) {
                if (c < '0' || c > '9') return ResponseFraming::Unreadable;
                n = n * 10 + (c - '0');
            }
            contentLength = n;
        }
        if (whole) parts.fields.emplace_back(name, value);
    }
    ResponseFraming verdict;
    std::size_t bodyEnd = 0; // past the body, from its start
    if (status == 204 || status == 304) {
        verdict = ResponseFraming::Complete; // no body, whatever the head says
    } else if (chunked) { // chunked takes precedence over a length (RFC 9112 6.3)
        verdict = chunkedBody(body, whole ? &parts.body : nullptr, bodyEnd);
    } else if (contentLength < 0) {
        verdict = ResponseFraming::Unreadable; // ends when the server closes
    } else if (static_cast<std::uint64_t>(body.size()) >= static_cast<std::uint64_t>(contentLength)) {
        verdict = ResponseFraming::Complete;
        bodyEnd = static_cast<std::size_t>(contentLength);
        if (whole) parts.body.assign(body.substr(0, bodyEnd));
    } else {
        verdict = ResponseFraming::Incomplete;
    }
    if (verdict == ResponseFraming::Complete && whole) {
        parts.version = head.substr(0, 8);
        parts.status = status;
        parts.reason = reason;
        parts.length = bodyStart + bodyEnd;
        *whole = std::move(parts);
    }
    return verdict;
}

} // namespace mc::mcp_http
