#include "net/HttpRequestParser.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace mc::host::net {
namespace {

constexpr std::size_t kMaxChunkLine = 4096;

bool isTchar(unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A line without its terminator: "...\r\n" or "...\n".
std::string_view withoutEnd(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

std::string_view HttpRequestHead::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (equalsIgnoreCase(key, name)) return value;
    return {};
}

bool HttpRequestHead::has(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

bool HttpRequestHead::keepAlive() const {
    bool close = false, keep = false;
    for (const auto& [key, value] : headers) {
        if (!equalsIgnoreCase(key, "Connection")) continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view token = trimmed(rest.substr(0, comma));
            if (equalsIgnoreCase(token, "close")) close = true;
            if (equalsIgnoreCase(token, "keep-alive")) keep = true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    if (close) return false;
    return versionMinor >= 1 || keep;
}

void HttpRequestParser::fail(int status, std::string message) {
    state_ = State::Error;
    errorStatus_ = status;
    errorMessage_ = std::move(message);
}

void HttpRequestParser::reset() {
    state_ = State::Head;
    head_ = HttpRequestHead{};
    raw_.clear();
    body_.clear();
    chunked_ = false;
    expectContinue_ = false;
    contentLength_ = 0;
    chunkState_ = ChunkState::Size;
    chunkRemaining_ = 0;
    trailerBytes_ = 0;
    errorStatus_ = 0;
    errorMessage_.clear();
}

std::size_t HttpRequestParser::feed(const char* data, std::size_t size) {
    if (state_ == State::Head) return feedHead(data, size);
    if (state_ != State::Body) return 0;
    if (chunked_) return feedChunked(data, size);
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size, contentLength_ - body_.size()));
    body_.append(data, take);
    if (body_.size() == contentLength_) state_ = State::Complete;
    return take;
}

std::size_t HttpRequestParser::feedHead(const char* data, std::size_t size) {
    std::size_t used = 0;
    // Empty lines before a request line are ignored (RFC 9112 2.2), e.g. a CRLF after a previous body.
    while (raw_.empty() && used < size && (data[used] == '\r' || data[used] == '\n')) ++used;
    while (used < size) {
        const char* start = data + used;
        const void* found = std::memchr(start, '\n', size - used);
        const std::size_t take = found ? static_cast<std::size_t>(static_cast<const char*>(found) - start) + 1 : size - used;
        const std::size_t lineStart = raw_.rfind('\n') == std::string::npos ? 0 : raw_.rfind('\n') + 1;
        raw_.append(start, take);
        used += take;
        if (raw_.size() > limits_.maxHeadBytes) {
            if (raw_.find('\n') == std::string::npos || lineStart == 0)
                fail(414, "the request line is longer than " + std::to_string(limits_.maxHeadBytes) + " bytes (http.max_header_bytes)");
            else
                fail(431, "the request head is longer than " + std::to_string(limits_.maxHeadBytes) + " bytes (http.max_header_bytes)");
            return used;
        }
        if (!found) break;
        // A line ended: an empty one ends the head.
        if (withoutEnd(std::string_view(raw_).substr(lineStart)).empty()) {
            if (parseHead()) state_ = State::HeadDone;
            return used;
        }
    }
    return used;
}

bool HttpRequestParser::parseHead() {
    std::string_view rest = raw_;
    bool first = true;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = withoutEnd(rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1));
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        if (line.empty()) break;
        if (first) {
            if (!parseRequestLine(line)) return false;
            first = false;
            continue;
        }
        if (!parseHeaderLine(line)) return false;
    }
    if (first) {
        fail(400, "the request has no request line");
        return false;
    }
    return interpretFraming();
}

bool HttpRequestParser::parseRequestLine(std::string_view line) {
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        fail(400, "malformed request line: expected 'METHOD /path HTTP/1.1'");
        return false;
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (method.empty() || !std::all_of(method.begin(), method.end(), [](char c) { return isTchar(static_cast<unsigned char>(c)); })) {
        fail(400, "malformed request line: the method is not a token");
        return false;
    }
    if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
        fail(400, "malformed request line: the request target has spaces or control characters");
        return false;
    }
    if (target.front() != '/' && target != "*") {
        fail(400, "the request target must be a path starting with '/'");
        return false;
    }
    if (version.size() != 8 || version.compare(0, 5, "HTTP/") != 0 || !std::isdigit(static_cast<unsigned char>(version[5])) ||
        version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7]))) {
        fail(400, "malformed request line: the version is not HTTP/x.y");
        return false;
    }
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
        fail(505, "HTTP version " + std::string(version.substr(5)) + " is not supported (HTTP/1.0 and HTTP/1.1 are)");
        return false;
    }
    head_.method = std::string(method);
    head_.target = std::string(target);
    head_.versionMinor = version[7] - '0';
    return true;
}

bool HttpRequestParser::parseHeaderLine(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
        fail(400, "obsolete line folding in the request head is not accepted");
        return false;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        fail(400, "malformed header line (expected 'Name: value')");
        return false;
    }
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return isTchar(static_cast<unsigned char>(c)); })) {
        fail(400, "malformed header name '" + std::string(name.substr(0, 64)) + "'");
        return false;
    }
    const std::string_view value = trimmed(line.substr(colon + 1));
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f) {
            fail(400, "header '" + std::string(name) + "' has a control character in its value");
            return false;
        }
    }
    if (head_.headers.size() >= limits_.maxHeaders) {
        fail(431, "more than " + std::to_string(limits_.maxHeaders) + " header fields");
        return false;
    }
    head_.headers.emplace_back(std::string(name), std::string(value));
    return true;
}

bool HttpRequestParser::interpretFraming() {
    bool hasLength = false, hasEncoding = false;
    int hosts = 0;
    for (const auto& [name, value] : head_.headers) {
        if (equalsIgnoreCase(name, "Host")) {
            ++hosts;
        } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
            if (hasEncoding || !equalsIgnoreCase(value, "chunked")) {
                fail(501, "Transfer-Encoding '" + value.substr(0, 64) + "' is not supported (only chunked)");
                return false;
            }
            hasEncoding = true;
        } else if (equalsIgnoreCase(name, "Content-Length")) {
            // "5" or a list of equal values ("5, 5"): anything else is ambiguous framing.
            std::string_view rest = value;
            while (true) {
                const auto comma = rest.find(',');
                const std::string_view item = trimmed(rest.substr(0, comma));
                if (item.empty() || item.size() > 18 ||
                    !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                    fail(400, "Content-Length '" + value.substr(0, 64) + "' is not a number");
                    return false;
                }
                const std::uint64_t length = std::stoull(std::string(item));
                if (hasLength && length != contentLength_) {
                    fail(400, "conflicting Content-Length values");
                    return false;
                }
                hasLength = true;
                contentLength_ = length;
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        } else if (equalsIgnoreCase(name, "Expect")) {
            if (equalsIgnoreCase(value, "100-continue")) expectContinue_ = true;
        }
    }
    if (head_.versionMinor == 1 && hosts != 1) {
        fail(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");
        return false;
    }
    if (hasEncoding && (hasLength || head_.versionMinor == 0)) {
        fail(400, hasLength ? "Content-Length and Transfer-Encoding together are ambiguous"
                            : "Transfer-Encoding is not allowed in HTTP/1.0");
        return false;
    }
    chunked_ = hasEncoding;
    if (contentLength_ > limits_.maxBodyBytes) {
        fail(413, "the request body of " + std::to_string(contentLength_) + " bytes exceeds the limit of " +
                      std::to_string(limits_.maxBodyBytes) + " bytes (http.max_body_bytes)");
        return false;
    }
    return true;
}

void HttpRequestParser::startBody() {
    if (state_ != State::HeadDone) return;
    raw_.clear();
    state_ = hasBody() ? State::Body : State::Complete;
    if (state_ == State::Body && !chunked_) body_.reserve(static_cast<std::size_t>(contentLength_));
}

std::size_t HttpRequestParser::feedChunked(const char* data, std::size_t size) {
    std::size_t used = 0;
    while (used < size && state_ == State::Body) {
        switch (chunkState_) {
        case ChunkState::Data: {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size - used, chunkRemaining_));
            body_.append(data + used, take);
            used += take;
            chunkRemaining_ -= take;
            if (chunkRemaining_ == 0) chunkState_ = ChunkState::DataEnd;
            break;
        }
        case ChunkState::Size:
        case ChunkState::DataEnd:
        case ChunkState::Trailer: {
            // Collect one line.
            const char* start = data + used;
            const void* found = std::memchr(start, '\n', size - used);
            const std::size_t take = found ? static_cast<std::size_t>(static_cast<const char*>(found) - start) + 1 : size - used;
            raw_.append(start, take);
            used += take;
            if (chunkState_ == ChunkState::Trailer) trailerBytes_ += take;
            if (raw_.size() > kMaxChunkLine || trailerBytes_ > limits_.maxHeadBytes) {
                fail(400, "a chunk-size or trailer line is too long");
                return used;
            }
            if (!found) return used;
            const std::string line(withoutEnd(raw_));
            raw_.clear();
            if (chunkState_ == ChunkState::DataEnd) {
                if (!line.empty()) {
                    fail(400, "chunk data is not followed by a line end");
                    return used;
                }
                chunkState_ = ChunkState::Size;
            } else if (chunkState_ == ChunkState::Trailer) {
                if (line.empty()) state_ = State::Complete; // trailers are read and ignored
            } else {
                std::uint64_t value = 0;
                std::size_t i = 0;
                for (; i < line.size() && hexValue(line[i]) >= 0; ++i) {
                    if (i >= 15) {
                        fail(400, "chunk size is too large");
                        return used;
                    }
                    value = value * 16 + static_cast<std::uint64_t>(hexValue(line[i]));
                }
                std::size_t j = i;
                while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
                if (i == 0 || (j < line.size() && line[j] != ';')) {
                    fail(400, "malformed chunk size line");
                    return used;
                }
                if (value > limits_.maxBodyBytes - body_.size()) {
                    fail(413, "the chunked request body exceeds the limit of " + std::to_string(limits_.maxBodyBytes) +
                                  " bytes (http.max_body_bytes)");
                    return used;
                }
                if (value == 0) {
                    chunkState_ = ChunkState::Trailer;
                } else {
                    chunkRemaining_ = value;
                    chunkState_ = ChunkState::Data;
                }
            }
            break;
        }
        }
    }
    return used;
}

} // namespace mc::host::net
