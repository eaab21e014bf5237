#include "HostProcess.h"

#include "TestHttp.h"

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Thread.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <sstream>

namespace mc::test {
namespace {
std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}
} // namespace

HostProcess::HostProcess(std::vector<std::string> args, std::map<std::string, std::string> env, std::string workingDir)
    : outFile_(Poco::TemporaryFile::tempName("/tmp") + ".log") {
    std::string command = "exec " + shellQuote(MC_TEST_HOST_BINARY);
    for (const auto& a : args) command += " " + shellQuote(a);
    command += " >" + shellQuote(outFile_) + " 2>&1";
    // Tests run side by side: no receiver listens on the fixed OTLP port 4318 unless a test asks.
    env.emplace("MC_RECEIVER_OTLP_LISTEN", "");
    Poco::Process::Env processEnv(env.begin(), env.end());
    handle_ = new Poco::ProcessHandle(Poco::Process::launch("/bin/sh", {"-c", command}, workingDir, nullptr, nullptr, nullptr, processEnv));
    pid_ = handle_->id();
}

HostProcess::~HostProcess() {
    if (running()) {
        terminate();
        if (waitExit(10000) == -1 && !exited_) {
            ::kill(pid_, SIGKILL);
            waitExit(5000);
        }
    }
    delete handle_;
    try {
        Poco::File(outFile_).remove();
    } catch (...) {
    }
}

bool HostProcess::running() const {
    if (exited_) return false;
    return Poco::Process::isRunning(pid_);
}

void HostProcess::terminate() {
    if (!exited_) ::kill(pid_, SIGTERM);
}

void HostProcess::kill() {
    if (!exited_) ::kill(pid_, SIGKILL);
}

int HostProcess::waitExit(int timeoutMs) {
    if (exited_) return exitCode_;
    for (int waited = 0; waited <= timeoutMs; waited += 20) {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exited_ = true;
            exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return exitCode_;
        }
        Poco::Thread::sleep(20);
    }
    return -1;
}

bool HostProcess::waitHealthy(unsigned short port, int timeoutMs) {
    for (int waited = 0; waited <= timeoutMs; waited += 50) {
        if (waitExit(0) != -1) return false;
        try {
            if (httpGet(port, "/health").status == 200) return true;
        } catch (...) {
        }
        Poco::Thread::sleep(50);
    }
    return false;
}

std::string HostProcess::output() const {
    std::ifstream in(outFile_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace mc::test
