#include "TestWebSocket.h"

#include "TestHttp.h"

#include <Poco/Buffer.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>

#include <stdexcept>
#include <vector>

namespace mc::test {

TestWebSocket::TestWebSocket(unsigned short port, const std::string& pathAndQuery,
                             const std::map<std::string, std::string>& headers)
    : session_(std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port)) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) request.set(k, v);
    Poco::Net::HTTPResponse response;
    ws_ = std::make_unique<Poco::Net::WebSocket>(*session_, request, response);
    ws_->setMaxPayloadSize(64 << 20);
}

void TestWebSocket::sendText(const std::string& text) {
    ws_->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
}

Poco::JSON::Object::Ptr TestWebSocket::receive(int timeoutMs) {
    ws_->setReceiveTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000 * timeScale()));
    // Grown to each frame's size: a fixed 64 MiB buffer cost tens of milliseconds of page faults per
    // message on a loaded machine, which latency assertions then blamed on the host.
    Poco::Buffer<char> buffer(0);
    for (;;) {
        int flags = 0;
        buffer.resize(0);
        int n = ws_->receiveFrame(buffer, flags);
        const int opcode = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
        if (opcode == Poco::Net::WebSocket::FRAME_OP_PING || opcode == Poco::Net::WebSocket::FRAME_OP_PONG) continue;
        if (n == 0 && flags == 0) throw std::runtime_error("connection closed by the server");
        if (opcode == Poco::Net::WebSocket::FRAME_OP_CLOSE) throw std::runtime_error("server sent a close frame");
        std::string text;
        if (n > 0) text.assign(buffer.begin(), static_cast<std::size_t>(n));
        return parseObject(text);
    }
}

Poco::JSON::Object::Ptr TestWebSocket::receiveType(const std::string& type, int timeoutMs) {
    for (;;) {
        auto msg = receive(timeoutMs);
        if (msg->optValue<std::string>("type", "") == type) return msg;
    }
}

std::optional<int> TestWebSocket::receiveClose(int timeoutMs) {
    ws_->setReceiveTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000 * timeScale()));
    std::vector<char> buffer(1 << 20);
    try {
        for (;;) {
            int flags = 0;
            int n = ws_->receiveFrame(buffer.data(), static_cast<int>(buffer.size()), flags);
            if ((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
                if (n < 2) return 1005; // no status code present
                return (static_cast<unsigned char>(buffer[0]) << 8) | static_cast<unsigned char>(buffer[1]);
            }
            if (n == 0 && flags == 0) return std::nullopt;
        }
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

} // namespace mc::test
