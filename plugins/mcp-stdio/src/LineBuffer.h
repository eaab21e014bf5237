#pragma once
// Splits a byte stream into '\n'-terminated lines with a length cap. A line longer than the cap is
// reported once (with its first `maxLine` bytes) and the rest of it is skipped up to its newline, so
// memory stays bounded whatever the peer writes.
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace mc::mcp_stdio {

class LineBuffer {
public:
    explicit LineBuffer(std::size_t maxLine) : maxLine_(maxLine) {}

    // onLine(std::string_view line) per complete line (without '\n'); onOversize(std::string_view head).
    template <class OnLine, class OnOversize>
    void feed(const char* data, std::size_t size, OnLine&& onLine, OnOversize&& onOversize) {
        while (size > 0) {
            const char* newline = static_cast<const char*>(std::memchr(data, '\n', size));
            const std::size_t segment = newline ? static_cast<std::size_t>(newline - data) : size;
            const std::size_t consumed = newline ? segment + 1 : size;
            if (discarding_) {
                if (newline) discarding_ = false;
            } else if (buffer_.size() + segment > maxLine_) {
                buffer_.append(data, maxLine_ - buffer_.size());
                onOversize(std::string_view(buffer_));
                buffer_.clear();
                discarding_ = newline == nullptr;
            } else if (newline) {
                if (buffer_.empty()) {
                    onLine(std::string_view(data, segment)); // common case: no copy
                } else {
                    buffer_.append(data, segment);
                    onLine(std::string_view(buffer_));
                    buffer_.clear();
                }
            } else {
                buffer_.append(data, segment);
            }
            data += consumed;
            size -= consumed;
        }
    }

    // End of stream: a last line without a newline still counts.
    template <class OnLine>
    void finish(OnLine&& onLine) {
        if (!buffer_.empty() && !discarding_) onLine(std::string_view(buffer_));
        buffer_.clear();
        discarding_ = false;
    }

private:
    std::size_t maxLine_;
    std::string buffer_;
    bool discarding_ = false;
};

} // namespace mc::mcp_stdio
