#pragma once
// One keep-alive HTTP/1.1 connection on a raw socket: a POST is written with one send() (no Nagle
// stall between head and body), the answer read with Content-Length or chunked framing. Small on
// purpose: the load generator's own cost should not show in what it measures.
#include <cstdint>
#include <string>

namespace mc::loadgen {

struct HttpReply {
    int status = 0;  // 0: the exchange failed (see error)
    std::string body;
    std::string error;
};

class HttpConnection {
public:
    HttpConnection(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
    ~HttpConnection() { close(); }
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    // Connects when needed; a connection the server closed is reopened once before failing.
    HttpReply post(const std::string& path, const std::string& contentType, const std::string& body);
    void close();

private:
    bool connect(std::string& error);
    bool exchange(const std::string& request, HttpReply& reply, bool& mayRetry);
    bool readMore(std::string& error);
    bool readHead(std::string& head, std::string& error);
    bool readBody(const std::string& head, std::string& body, std::string& error);

    std::string host_;
    std::uint16_t port_;
    int fd_ = -1;
    std::string in_; // bytes read but not consumed
    bool serverCloses_ = false; // the answer said Connection: close
    bool peerClosed_ = false;   // the last read found the connection closed or reset
};

} // namespace mc::loadgen
