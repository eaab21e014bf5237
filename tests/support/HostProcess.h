#pragma once
// Runs the real mission-control binary for a test: arguments, environment, a working directory; its
// stdout/stderr go to files the test can read. The destructor terminates it (SIGTERM, then SIGKILL).
#include <Poco/Process.h>

#include <map>
#include <string>
#include <vector>

namespace mc::test {

class HostProcess {
public:
    HostProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                std::string workingDir = "/");
    ~HostProcess();
    HostProcess(const HostProcess&) = delete;
    HostProcess& operator=(const HostProcess&) = delete;

    // Waits until GET /health on `port` answers 200; false if the process exited or time ran out.
    bool waitHealthy(unsigned short port, int timeoutMs = 20000);
    // Waits for the exit and returns the exit code; -1 when it did not exit in time.
    int waitExit(int timeoutMs = 20000);
    void terminate(); // SIGTERM (clean shutdown)
    void kill();      // SIGKILL: a crash, nothing runs after it
    int pid() const { return pid_; }
    bool running() const;
    std::string output() const; // stdout + stderr so far

private:
    std::string outFile_;
    Poco::ProcessHandle* handle_ = nullptr;
    int pid_ = -1;
    int exitCode_ = -1;
    bool exited_ = false;
};

} // namespace mc::test
