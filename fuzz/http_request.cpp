// HTTP/1.x requests (host/src/net/HttpRequestParser.cpp): what any client of the listener sends,
// pipelined requests included, driven as the event-loop server drives it (feed what arrived, take
// the head, start the body, take the request, reset for the next). Byte 0 picks tight or default
// limits and how the rest is split into reads.
//
// Checked: no crash/UB/leak/hang; read in pieces the parser finds the same requests and the same
// error as in one read; an error has its status (400, 413, 414, 431, 501, 505) and a reason; a request
// is within the limits, names a method, a target and HTTP/1.0 or 1.1, and its body is exactly the
// declared length (or chunked, never both).
#include "FuzzSupport.h"

#include "net/HttpRequestParser.h"

#include <algorithm>
#include <set>
#include <vector>

using namespace mc::host::net;

namespace {

struct Request {
    HttpRequestHead head;
    std::string body;
    bool chunked = false;
    std::uint64_t contentLength = 0;
    bool continues = false;
    bool operator==(const Request& o) const {
        return head.method == o.head.method && head.target == o.head.target && head.versionMinor == o.head.versionMinor &&
               head.headers == o.head.headers && body == o.body && chunked == o.chunked &&
               contentLength == o.contentLength && continues == o.continues;
    }
};

struct Outcome {
    std::vector<Request> requests;
    int errorStatus = 0;
    std::string errorMessage;
    bool operator==(const Outcome& o) const {
        return requests == o.requests && errorStatus == o.errorStatus && errorMessage == o.errorMessage;
    }
};

std::string describe(const Outcome& o) {
    std::string out;
    for (const auto& r : o.requests)
        out += "[" + mc::fuzz::shown(r.head.method, 20) + " " + mc::fuzz::shown(r.head.target, 40) + " body " +
               std::to_string(r.body.size()) + "] ";
    return out + "error " + std::to_string(o.errorStatus) + " " + o.errorMessage;
}

// The server's loop (HttpConnection::process): the input buffer keeps what the parser did not use.
class Connection {
public:
    explicit Connection(HttpParserLimits limits) : parser_(limits) {}

    void receive(const char* data, std::size_t size) {
        if (done_) return;
        in_.append(data, size);
        std::size_t pos = 0;
        while (pos < in_.size() && !done_) {
            const std::size_t used = parser_.feed(in_.data() + pos, in_.size() - pos);
            MC_FUZZ_CHECK(used <= in_.size() - pos, "used more than it was given");
            pos += used;
            switch (parser_.state()) {
            case HttpRequestParser::State::Error:
                outcome.errorStatus = parser_.errorStatus();
                outcome.errorMessage = parser_.errorMessage();
                done_ = true;
                break;
            case HttpRequestParser::State::HeadDone:
                parser_.startBody();
                if (parser_.state() == HttpRequestParser::State::Complete) take();
                break;
            case HttpRequestParser::State::Complete: take(); break;
            default: break;
            }
            if (used == 0 && parser_.state() != HttpRequestParser::State::HeadDone) break;
        }
        in_.erase(0, pos);
    }

    Outcome outcome;

private:
    void take() {
        Request r;
        r.head = parser_.head();
        r.body = parser_.body();
        r.chunked = parser_.chunked();
        r.contentLength = parser_.contentLength();
        r.continues = parser_.expectsContinue();
        outcome.requests.push_back(std::move(r));
        parser_.reset();
    }

    HttpRequestParser parser_;
    std::string in_;
    bool done_ = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    HttpParserLimits limits;
    if (data[0] & 0x80) limits = HttpParserLimits{256, 8, 64};
    const char* stream = reinterpret_cast<const char*>(data + 1);
    const std::size_t length = size - 1;

    Connection once(limits);
    once.receive(stream, length);
    Connection pieces(limits);
    mc::fuzz::feedInPieces(stream, length, mc::fuzz::ChunkSizes(data[0], 1 + (data[0] & 0x3F)),
                           [&](const char* p, std::size_t n) { pieces.receive(p, n); });
    MC_FUZZ_CHECK(once.outcome == pieces.outcome,
                  "in one read: " + describe(once.outcome) + "\nin pieces: " + describe(pieces.outcome));

    static const std::set<int> statuses = {400, 413, 414, 431, 501, 505};
    const Outcome& o = once.outcome;
    if (o.errorStatus != 0) {
        MC_FUZZ_CHECK(statuses.count(o.errorStatus), "error status " + std::to_string(o.errorStatus));
        MC_FUZZ_CHECK(!o.errorMessage.empty(), "an error without a reason");
    }
    for (const auto& r : o.requests) {
        MC_FUZZ_CHECK(!r.head.method.empty() && !r.head.target.empty(), "a request without a method or target");
        MC_FUZZ_CHECK(r.head.versionMinor == 0 || r.head.versionMinor == 1, "HTTP/1." + std::to_string(r.head.versionMinor));
        MC_FUZZ_CHECK(r.head.headers.size() <= limits.maxHeaders, "more headers than the limit");
        MC_FUZZ_CHECK(r.body.size() <= limits.maxBodyBytes, "a body over the limit");
        MC_FUZZ_CHECK(!(r.chunked && r.head.has("Content-Length")), "chunked and Content-Length together");
        if (!r.chunked) MC_FUZZ_CHECK(r.body.size() == r.contentLength, "the body is not the declared length");
        for (const auto& [name, value] : r.head.headers) {
            MC_FUZZ_CHECK(!name.empty() && name.find_first_of(" \t:\r\n") == std::string::npos,
                          "header name " + mc::fuzz::shown(name));
            MC_FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos, "a header value with a line end");
        }
    }
    return 0;
}
