#include "ChildProcess.h"

#include "mc/sdk.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace mc::mcp_stdio {
namespace {

[[noreturn]] void fail(const std::string& reason) { throw sdk::Error(MC_ERR_IO, reason); }

std::string errnoText(int error) { return std::strerror(error); }

bool isExecutableFile(const std::string& path) {
    struct stat info {};
    // The mode bits too: access(X_OK) succeeds for root on any file with one x bit, or none on some systems.
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && (info.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0 &&
           ::access(path.c_str(), X_OK) == 0;
}

void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Pipes that close themselves unless handed over, so a failed spawn leaks nothing.
struct PipePair {
    int fds[2] = {-1, -1};
    ~PipePair() {
        closeFd(fds[0]);
        closeFd(fds[1]);
    }
    void open(const char* what) {
        if (::pipe2(fds, O_CLOEXEC) != 0) fail(std::string("cannot create the ") + what + " pipe: " + errnoText(errno));
    }
    int take(int end) {
        int fd = fds[end];
        fds[end] = -1;
        return fd;
    }
};

void setNonBlocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

std::string searchPathOf(const std::map<std::string, std::string>& overrides) {
    auto it = overrides.find("PATH");
    if (it != overrides.end()) return it->second;
    const char* hostPath = std::getenv("PATH");
    return hostPath ? hostPath : "/usr/local/bin:/usr/bin:/bin";
}

std::vector<char*> pointersTo(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// posix_spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    SpawnSetup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

} // namespace

bool isBaselineVariable(const std::string& name) {
    return name == "PATH" || name == "HOME" || name == "LANG" || name == "TZ" || name == "TMPDIR" || name.rfind("LC_", 0) == 0;
}

std::vector<std::string> childEnvironment(const SpawnSpec& spec, char** hostEnvironment) {
    std::vector<std::string> out;
    for (char** entry = hostEnvironment; entry && *entry; ++entry) {
        std::string item(*entry);
        const auto eq = item.find('=');
        if (eq == std::string::npos) continue;
        const std::string name = item.substr(0, eq);
        if (name.rfind("MC_", 0) == 0 || spec.env.count(name)) continue; // the host's own configuration stays
        const bool listed = std::find(spec.inheritEnv.begin(), spec.inheritEnv.end(), name) != spec.inheritEnv.end();
        if (isBaselineVariable(name) || listed) out.push_back(std::move(item));
    }
    for (const auto& [name, value] : spec.env) out.push_back(name + "=" + value);
    return out;
}

std::string resolveExecutable(const std::string& command, const std::string& path, const std::string& cwd) {
    if (command.empty()) return {};
    if (command.find('/') != std::string::npos) {
        // A relative path is relative to the directory the server runs in, as exec after chdir sees it.
        const std::string candidate = command[0] == '/' || cwd.empty() ? command : cwd + "/" + command;
        return isExecutableFile(candidate) ? candidate : std::string();
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        const std::string dir = path.substr(start, end - start);
        // An empty PATH entry would mean "the current directory": never search it implicitly.
        if (!dir.empty()) {
            const std::string candidate = dir + "/" + command;
            if (isExecutableFile(candidate)) return candidate;
        }
        start = end + 1;
    }
    return {};
}

std::string describeWaitStatus(int status) {
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* abbrev = ::sigabbrev_np(sig);
        return "killed by signal " + std::to_string(sig) + (abbrev ? " (SIG" + std::string(abbrev) + ")" : std::string());
    }
    return "ended with wait status " + std::to_string(status);
}

std::unique_ptr<ChildProcess> ChildProcess::spawn(const SpawnSpec& spec) {
    if (!spec.cwd.empty()) {
        struct stat info {};
        if (::stat(spec.cwd.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
            fail("working directory '" + spec.cwd + "' does not exist or is not a directory");
    }
    const std::string searchPath = searchPathOf(spec.env);
    const std::string executable = resolveExecutable(spec.command, searchPath, spec.cwd);
    if (executable.empty()) {
        if (spec.command.find('/') != std::string::npos)
            fail("command '" + spec.command + "' is not an executable file");
        // A PATH from the server's env is not repeated: env values stay out of every message.
        if (spec.env.count("PATH")) fail("command '" + spec.command + "' not found on the PATH set in the server's env");
        fail("command '" + spec.command + "' not found on PATH (" + searchPath + ")");
    }

    PipePair in, out, err;
    in.open("stdin");
    out.open("stdout");
    err.open("stderr");

    SpawnSetup setup;
    // dup2 clears close-on-exec on 0-2; every other descriptor of the host is closed in the child.
    posix_spawn_file_actions_adddup2(&setup.actions, in.fds[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, out.fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err.fds[1], STDERR_FILENO);
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&setup.actions, spec.cwd.c_str());
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);

    // Own process group (signals reach grandchildren, e.g. npx's node), default signal handling and an
    // empty mask: the host may ignore SIGPIPE or block signals in this thread; the server must not inherit that.
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&defaults, sig);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setsigmask(&setup.attr, &empty);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);

    std::vector<std::string> argvStrings;
    argvStrings.push_back(spec.command);
    argvStrings.insert(argvStrings.end(), spec.args.begin(), spec.args.end());
    std::vector<std::string> envStrings = childEnvironment(spec, environ);
    auto argv = pointersTo(argvStrings);
    auto envp = pointersTo(envStrings);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, executable.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
    if (rc != 0) fail("cannot start '" + executable + "': " + errnoText(rc));

    std::unique_ptr<ChildProcess> child(new ChildProcess());
    child->pid_ = pid;
    child->executable_ = executable;
    child->stdin_ = in.take(1);
    child->stdout_ = out.take(0);
    child->stderr_ = err.take(0);
    setNonBlocking(child->stdin_);
    setNonBlocking(child->stdout_);
    setNonBlocking(child->stderr_);
    // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks C linkage for C++. -1 on kernels without
    // pidfd (before 5.3): exits are then polled.
    child->pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    return child; // the child's pipe ends close with the PipePairs
}

ChildProcess::~ChildProcess() {
    closeFd(stdin_);
    closeFd(stdout_);
    closeFd(stderr_);
    if (!reaped_) {
        signalGroup(SIGKILL);
        reap();
    }
    closeFd(pidfd_);
}

void ChildProcess::closeStdin() { closeFd(stdin_); }

bool ChildProcess::hasExited() const {
    if (reaped_) return true;
    siginfo_t info {};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD; // reaped behind our back (SIGCHLD ignored): gone all the same
    return info.si_pid == pid_;
}

bool ChildProcess::waitForExit(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!hasExited()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        if (pidfd_ >= 0) {
            pollfd pfd{pidfd_, POLLIN, 0};
            ::poll(&pfd, 1, static_cast<int>(left.count()));
        } else {
            std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(10)));
        }
    }
    return true;
}

void ChildProcess::signalGroup(int signal) const {
    // The unreaped leader keeps the group id reserved, so this never reaches a stranger.
    if (!reaped_ && pid_ > 0) ::kill(-pid_, signal);
}

std::string ChildProcess::reap() {
    if (reaped_) return exitDescription_;
    int status = 0;
    pid_t got;
    do {
        got = ::waitpid(pid_, &status, 0);
    } while (got < 0 && errno == EINTR);
    exitDescription_ = got == pid_ ? describeWaitStatus(status) : "exited (status unavailable: reaped elsewhere)";
    reaped_ = true; // the pidfd stays open until destruction: another thread may be polling it
    return exitDescription_;
}

} // namespace mc::mcp_stdio
