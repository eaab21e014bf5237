#include "mc/sse/SseParser.h"

#include <stdexcept>

namespace mc::sse {

SseParser::SseParser(Handler handler, std::size_t maxBufferedBytes)
    : handler_(std::move(handler)), maxBufferedBytes_(maxBufferedBytes) {}

void SseParser::feed(std::string_view chunk) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        const char c = chunk[i];
        if (c != '\r' && c != '\n') continue;
        if (c == '\n' && lastWasCr_ && i == start && line_.empty()) {
            // The LF of a CRLF whose CR ended the previous line.
            lastWasCr_ = false;
            start = i + 1;
            continue;
        }
        line_.append(chunk.substr(start, i - start));
        processLine(line_);
        line_.clear();
        lastWasCr_ = (c == '\r');
        start = i + 1;
    }
    if (start < chunk.size()) {
        lastWasCr_ = false;
        if (line_.size() + (chunk.size() - start) > maxBufferedBytes_)
            throw std::length_error("event-stream line longer than " + std::to_string(maxBufferedBytes_) + " bytes");
        line_.append(chunk.substr(start));
    }
}

void SseParser::finish() {
    // A partial line and a partial event are both dropped; the id stays for a resumption.
    line_.clear();
    data_.clear();
    hasData_ = false;
    eventType_.clear();
    lastWasCr_ = false;
}

void SseParser::processLine(std::string_view line) {
    if (atStreamStart_) {
        atStreamStart_ = false;
        if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3); // one leading BOM is ignored
    }
    if (line.empty()) {
        dispatch();
        return;
    }
    if (line.front() == ':') return; // comment (keep-alive)
    std::string_view field = line;
    std::string_view value;
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (data_.size() + value.size() + 1 > maxBufferedBytes_)
            throw std::length_error("event-stream event larger than " + std::to_string(maxBufferedBytes_) + " bytes");
        data_.append(value);
        data_.push_back('\n');
        hasData_ = true;
    } else if (field == "event") {
        eventType_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) lastEventId_.assign(value);
    } else if (field == "retry") {
        if (value.empty() || value.size() > 15) return;
        long long ms = 0;
        for (char c : value) {
            if (c < '0' || c > '9') return;
            ms = ms * 10 + (c - '0');
        }
        retryMs_ = ms;
    }
    // Any other field is ignored, as the format requires.
}

void SseParser::dispatch() {
    if (!hasData_) {
        eventType_.clear();
        return;
    }
    SseEvent event;
    data_.pop_back(); // the newline after the last data line
    event.data = std::move(data_);
    if (!eventType_.empty()) event.type = std::move(eventType_);
    event.id = lastEventId_;
    data_.clear();
    hasData_ = false;
    eventType_.clear();
    handler_(event);
}

} // namespace mc::sse
