#include "HttpConnection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace mc::loadgen {

namespace {

// The value of header `name` in `head` (case-insensitive name), or "".
std::string headerValue(const std::string& head, const char* name) {
    const std::size_t nameLength = std::strlen(name);
    for (std::size_t line = head.find("\r\n"); line != std::string::npos; line = head.find("\r\n", line + 2)) {
        const std::size_t start = line + 2;
        if (head.size() > start + nameLength && head[start + nameLength] == ':' &&
            ::strncasecmp(head.c_str() + start, name, nameLength) == 0) {
            std::size_t from = start + nameLength + 1;
            while (from < head.size() && head[from] == ' ') ++from;
            return head.substr(from, head.find("\r\n", from) - from);
        }
    }
    return "";
}

} // namespace

void HttpConnection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    in_.clear();
    serverCloses_ = false;
    peerClosed_ = false;
}

bool HttpConnection::connect(std::string& error) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
        error = "not an IPv4 address: " + host_;
        close();
        return false;
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = std::string("connect: ") + std::strerror(errno);
        close();
        return false;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{30, 0}; // a server that stops answering fails the request instead of hanging the run
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return true;
}

HttpReply HttpConnection::post(const std::string& path, const std::string& contentType, const std::string& body) {
    std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) +
                          "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n";
    request += body;
    HttpReply reply;
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = fd_ >= 0;
        if (!reused && !connect(reply.error)) return reply;
        bool mayRetry = false;
        if (exchange(request, reply, mayRetry)) {
            if (serverCloses_) close();
            return reply;
        }
        close();
        // Only a kept-alive connection the server had already closed is retried: nothing was processed.
        if (!(reused && mayRetry)) break;
    }
    reply.status = 0;
    return reply;
}

bool HttpConnection::exchange(const std::string& request, HttpReply& reply, bool& mayRetry) {
    for (std::size_t sent = 0; sent < request.size();) {
        const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            reply.error = std::string("send: ") + std::strerror(errno);
            mayRetry = true;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string head;
    if (!readHead(head, reply.error)) {
        mayRetry = peerClosed_ && in_.empty(); // closed before answering: an idle keep-alive timeout
        return false;
    }
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) {
        reply.error = "not an HTTP answer";
        return false;
    }
    reply.status = std::atoi(head.c_str() + 9);
    serverCloses_ = ::strcasecmp(headerValue(head, "Connection").c_str(), "close") == 0;
    return readBody(head, reply.body, reply.error);
}

bool HttpConnection::readMore(std::string& error) {
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n > 0) {
            in_.append(buffer, static_cast<std::size_t>(n));
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        peerClosed_ = n == 0 || errno == ECONNRESET;
        error = n == 0 ? "connection closed by the server" : std::string("recv: ") + std::strerror(errno);
        return false;
    }
}

bool HttpConnection::readHead(std::string& head, std::string& error) {
    std::size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos)
        if (!readMore(error)) return false;
    head = in_.substr(0, end + 2); // keep one CRLF so every header line ends with one
    in_.erase(0, end + 4);
    return true;
}

bool HttpConnection::readBody(const std::string& head, std::string& body, std::string& error) {
    if (::strcasecmp(headerValue(head, "Transfer-Encoding").c_str(), "chunked") == 0) {
        for (;;) {
            std::size_t lineEnd;
            while ((lineEnd = in_.find("\r\n")) == std::string::npos)
                if (!readMore(error)) return false;
            const std::size_t size = std::strtoull(in_.c_str(), nullptr, 16);
            in_.erase(0, lineEnd + 2);
            while (in_.size() < size + 2)
                if (!readMore(error)) return false;
            body.append(in_, 0, size);
            in_.erase(0, size + 2);
            if (size == 0) return true; // no trailers are sent by the servers we measure
        }
    }
    const std::string length = headerValue(head, "Content-Length");
    if (length.empty()) { // delimited by close
        serverCloses_ = true;
        std::string ignored;
        while (readMore(ignored)) {}
        body.swap(in_);
        in_.clear();
        return true;
    }
    const std::size_t size = std::strtoull(length.c_str(), nullptr, 10);
    while (in_.size() < size)
        if (!readMore(error)) return false;
    body.assign(in_, 0, size);
    in_.erase(0, size);
    return true;
}

} // namespace mc::loadgen
