#pragma once
// An incremental parser for text/event-stream (the WHATWG "server-sent events" format). Bytes arrive
// in arbitrary chunks (a line, an event or a field may be split anywhere, even between CR and LF); the
// parser keeps what it has not finished and hands out each complete event.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mc::sse {

struct SseEvent {
    std::string type = "message"; // the `event:` field, "message" when absent
    std::string data;             // `data:` lines joined with "\n"
    std::string id;               // the last event id in force when the event was dispatched
};

class SseParser {
public:
    using Handler = std::function<void(const SseEvent&)>;

    // `maxBufferedBytes` bounds one line and one event's data: a stream that never ends a line must
    // not grow memory without limit (std::length_error when exceeded).
    explicit SseParser(Handler handler, std::size_t maxBufferedBytes = 64u << 20);

    void feed(std::string_view chunk);
    // End of stream: an event without its terminating blank line is discarded, as the format says.
    void finish();

    // The `id:` last seen (kept across events, survives finish()); "" when none yet.
    const std::string& lastEventId() const { return lastEventId_; }
    // Seeds the id of a resumed stream so it stays in force until the new stream sends its own.
    void setLastEventId(std::string id) { lastEventId_ = std::move(id); }
    // The last valid `retry:` value in milliseconds.
    std::optional<long long> retryMs() const { return retryMs_; }

private:
    void processLine(std::string_view line);
    void dispatch();

    Handler handler_;
    std::size_t maxBufferedBytes_;
    std::string line_;
    bool lastWasCr_ = false; // a CR ended the previous line; a following LF belongs to it
    bool atStreamStart_ = true;
    std::string data_;
    bool hasData_ = false;
    std::string eventType_;
    std::string lastEventId_;
    std::optional<long long> retryMs_;
};

} // namespace mc::sse
