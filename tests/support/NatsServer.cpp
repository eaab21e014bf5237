#include "NatsServer.h"

#include "TestHttp.h"

#include <Poco/File.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <Poco/TemporaryFile.h>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace mc::test {

NatsServer::NatsServer() : root_(Poco::TemporaryFile::tempName("/tmp") + "-nats"), port_(freePort()) {
    Poco::File(root_ + "/store").createDirectories();
    start();
}

NatsServer::~NatsServer() {
    try {
        if (pid_ > 0) {
            ::kill(pid_, SIGCONT);
            kill();
        }
        Poco::File(root_).remove(true);
    } catch (...) {
    }
}

void NatsServer::start() {
    if (pid_ > 0) return;
    const std::string command = "exec nats-server -a 127.0.0.1 -p " + std::to_string(port_) + " -js -sd '" + root_ +
                                "/store' >>'" + root_ + "/server.log' 2>&1";
    handle_ = new Poco::ProcessHandle(Poco::Process::launch("/bin/sh", {"-c", command}));
    pid_ = handle_->id();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
            return;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!Poco::Process::isRunning(pid_)) break;
    }
    throw std::runtime_error("nats-server did not come up on port " + std::to_string(port_) + ": " + log());
}

void NatsServer::reap(int timeoutMs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    delete handle_;
    handle_ = nullptr;
    pid_ = -1;
}

void NatsServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    reap(15000);
}

void NatsServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap(5000);
}

void NatsServer::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void NatsServer::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string NatsServer::log() const { return readFile(root_ + "/server.log"); }

std::string NatsServer::request(const std::string& subject, const std::string& payload) const {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    const std::string inbox = "_INBOX.mc-test";
    const std::string out = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB " + inbox + " 1\r\nPUB " + subject + " " +
                            inbox + " " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    socket.sendBytes(out.data(), static_cast<int>(out.size()));
    std::string in;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        // Whole lines: INFO and PING before the reply ("MSG <inbox> 1 <bytes>", then the payload).
        for (auto eol = in.find("\r\n"); eol != std::string::npos; eol = in.find("\r\n")) {
            const std::string line = in.substr(0, eol);
            if (line == "PING") {
                socket.sendBytes("PONG\r\n", 6);
            } else if (line.rfind("MSG ", 0) == 0) {
                const std::size_t size = std::stoul(line.substr(line.rfind(' ') + 1));
                if (in.size() < eol + 2 + size + 2) break; // the payload is still coming
                return in.substr(eol + 2, size);
            } else if (line.rfind("-ERR", 0) == 0) {
                throw std::runtime_error("nats-server refused the request to " + subject + ": " + line);
            }
            in.erase(0, eol + 2);
        }
        const int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n <= 0) break;
        in.append(buffer, static_cast<std::size_t>(n));
    }
    throw std::runtime_error("no reply from nats-server to " + subject);
}

} // namespace mc::test
