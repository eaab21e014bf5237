#pragma once
// A plain TCP client for what HTTP client libraries will not do: connect from another loopback
// address (127.0.0.x, to look like many clients), trickle bytes, pipeline, stop reading.
#include <string>

namespace mc::test {

class TcpClient {
public:
    // Connects to 127.0.0.1:`port` from `from`; `receiveBuffer` > 0 sets a small SO_RCVBUF first (as
    // TCP window scaling needs). Throws std::runtime_error when the connection fails.
    explicit TcpClient(unsigned short port, const std::string& from = "127.0.0.1", int receiveBuffer = 0);
    ~TcpClient();
    TcpClient(const TcpClient&) = delete;
    TcpClient& operator=(const TcpClient&) = delete;

    void send(const std::string& bytes);
    // Everything readable within `timeoutMs`, until the peer closes or `until` appears.
    std::string read(int timeoutMs, const std::string& until = {});
    // Reads (and drops) until the peer closes; true when it did within `timeoutMs`.
    bool closedByPeer(int timeoutMs);
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    bool closed_ = false;
};

// A port on 127.0.0.1 that refuses connections and that no one else takes while this holds it: a
// socket bound to it, not listening. (A port from freePort() is free only for a moment: the host
// under test, binding port 0, can be given the same one and then answer where a test wants nothing.)
class RefusingPort {
public:
    RefusingPort(); // throws std::runtime_error when no port can be bound
    ~RefusingPort();
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;

    unsigned short port() const { return port_; }
    // Frees the port for a server the test starts on it next.
    void release();

private:
    int fd_ = -1;
    unsigned short port_ = 0;
};

} // namespace mc::test
