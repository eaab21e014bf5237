#include "HttpHead.h"

#include <Poco/CountingStream.h>

namespace mc::mcp_http {

void appendFieldLines(std::string& out, const Poco::Net::HTTPMessage& message) {
    for (const auto& [name, value] : message) out.append(name).append(": ").append(value).append("\r\n");
}

std::string OneWriteRequest::head() const {
    std::string out;
    out.reserve(256);
    out.append(getMethod()).append(" ").append(getURI()).append(" ").append(getVersion()).append("\r\n");
    appendFieldLines(out, *this);
    out.append("\r\n");
    return out;
}

void OneWriteRequest::write(std::ostream& out) const {
    const std::string text = head();
    // The session's first pass only measures the head (its fixed-length stream must know it): the
    // counting stream takes its length instead of every character through an unbuffered stream.
    if (auto* counting = dynamic_cast<Poco::CountingOutputStream*>(&out)) {
        counting->addChars(static_cast<std::streamsize>(text.size()));
        return;
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

} // namespace mc::mcp_http
