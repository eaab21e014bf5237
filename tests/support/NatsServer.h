#pragma once
// A private nats-server for tests (Debian's, v2.9): on 127.0.0.1 at a free port, JetStream on, its
// store in a temp directory. stop()/start() keep the port and the store (a restart keeps the file
// streams); kill() is a crash; pause()/resume() stop and continue the process (SIGSTOP/SIGCONT).
// Throws std::runtime_error when it does not come up.
#include <string>

namespace Poco {
class ProcessHandle;
}

namespace mc::test {

class NatsServer {
public:
    NatsServer();
    ~NatsServer();
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    void start();
    void stop(); // SIGTERM, waits for the exit
    void kill(); // SIGKILL
    void pause();
    void resume();
    bool running() const { return pid_ > 0; }
    unsigned short port() const { return port_; }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    std::string log() const; // what the server wrote
    // One core NATS request over a connection of its own (the text protocol, no client library): the
    // reply's payload. For the JetStream API ("$JS.API.STREAM.DELETE.<name>"). Throws on a timeout.
    std::string request(const std::string& subject, const std::string& payload = "") const;

private:
    void reap(int timeoutMs);
    std::string root_; // store/, server.log
    unsigned short port_ = 0;
    int pid_ = -1;
    Poco::ProcessHandle* handle_ = nullptr;
};

} // namespace mc::test
