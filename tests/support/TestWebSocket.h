#pragma once
// A real WebSocket client (Poco::Net::WebSocket over loopback) for tests of the whole host.
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace mc::test {

class TestWebSocket {
public:
    // Connects and completes the handshake; throws Poco::Net::WebSocketException (with the HTTP status
    // in its code) when the server refuses the upgrade.
    TestWebSocket(unsigned short port, const std::string& pathAndQuery = "/ws",
                  const std::map<std::string, std::string>& headers = {});

    void sendText(const std::string& text);
    // Each wait below lasts its timeout times timeScale() (slower builds wait longer; nothing else changes).
    // The next text message as JSON; throws on timeout, close or non-JSON. Ping frames are skipped.
    Poco::JSON::Object::Ptr receive(int timeoutMs = 5000);
    // Skips messages until one has the given "type".
    Poco::JSON::Object::Ptr receiveType(const std::string& type, int timeoutMs = 5000);
    // Reads until the server's close frame; returns its status code (nullopt on timeout/EOF without one).
    std::optional<int> receiveClose(int timeoutMs = 5000);
    Poco::Net::WebSocket& socket() { return *ws_; }

private:
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::unique_ptr<Poco::Net::WebSocket> ws_;
};

} // namespace mc::test
