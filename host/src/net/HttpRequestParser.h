#pragma once
// An incremental HTTP/1.x request parser (RFC 9112) for the event-loop server: bytes are fed as they
// arrive, the head is handed over as soon as it is complete (so a request can be refused before its
// body is read), then the body (Content-Length or chunked) is collected within its limit.
//
// Strict where lenience enables request smuggling: Content-Length and Transfer-Encoding together,
// conflicting Content-Lengths, a transfer coding other than chunked, obsolete line folding, and
// whitespace before a header's colon are errors. A bare LF ends a line like CRLF (RFC 9112 2.2).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::host::net {

struct HttpRequestHead {
    std::string method;  // as sent (methods are case-sensitive)
    std::string target;  // the request-target: "/api/x?y=1"
    int versionMinor = 1; // HTTP/1.<minor>: 0 or 1
    std::vector<std::pair<std::string, std::string>> headers; // names as sent, values trimmed

    // The first value of a header (case-insensitive name), or "" when absent.
    std::string_view header(std::string_view name) const;
    bool has(std::string_view name) const;
    // HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 only with "Connection: keep-alive".
    bool keepAlive() const;
};

struct HttpParserLimits {
    std::size_t maxHeadBytes = 16 * 1024;   // request line + headers (and chunked trailers)
    std::size_t maxHeaders = 100;
    std::size_t maxBodyBytes = 1 << 20;
};

class HttpRequestParser {
public:
    explicit HttpRequestParser(HttpParserLimits limits) : limits_(limits) {}

    enum class State {
        Head,     // reading the request line and headers
        HeadDone, // the head is complete; call startBody() to read the body (or finish without one)
        Body,     // reading the body
        Complete, // head and body are complete
        Error     // errorStatus()/errorMessage() say why; the connection must be closed after answering
    };

    // Consumes bytes of `data` up to the end of the head (state HeadDone) or of the request (Complete)
    // or an error; returns how many were used. Bytes past a complete request belong to the next one.
    std::size_t feed(const char* data, std::size_t size);

    // After HeadDone: continue with the body (Complete at once when there is none).
    void startBody();
    // Back to Head for the next request on the connection.
    void reset();

    State state() const { return state_; }
    const HttpRequestHead& head() const { return head_; }
    std::string& body() { return body_; }
    bool hasBody() const { return chunked_ || contentLength_ > 0; }
    bool chunked() const { return chunked_; }
    std::uint64_t contentLength() const { return contentLength_; } // 0 when chunked or absent
    bool expectsContinue() const { return expectContinue_; }
    int errorStatus() const { return errorStatus_; } // 400, 413, 414, 431, 501, 505
    const std::string& errorMessage() const { return errorMessage_; }

private:
    enum class ChunkState { Size, Data, DataEnd, Trailer };
    std::size_t feedHead(const char* data, std::size_t size);
    std::size_t feedChunked(const char* data, std::size_t size);
    bool parseHead();
    bool parseRequestLine(std::string_view line);
    bool parseHeaderLine(std::string_view line);
    bool interpretFraming();
    void fail(int status, std::string message);

    HttpParserLimits limits_;
    State state_ = State::Head;
    HttpRequestHead head_;
    std::string raw_;   // the head (or a chunk-size/trailer line) being collected
    std::string body_;
    bool chunked_ = false;
    bool expectContinue_ = false;
    std::uint64_t contentLength_ = 0;
    ChunkState chunkState_ = ChunkState::Size;
    std::uint64_t chunkRemaining_ = 0;
    std::size_t trailerBytes_ = 0;
    int errorStatus_ = 0;
    std::string errorMessage_;
};

} // namespace mc::host::net
