#pragma once
// One child process started without a shell, in its own process group, with its stdin, stdout and
// stderr on pipes. The leader's exit is observed without reaping it (waitid WNOWAIT), so its pid, and
// with it the process group id, cannot be reused while the group is still being signalled; reap()
// collects it exactly once. The destructor kills and reaps whatever is left: no zombie, ever.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mc::mcp_stdio {

struct SpawnSpec {
    std::string command;                    // as configured: a name looked up on PATH, or a path
    std::vector<std::string> args;          // argv[1..]
    std::map<std::string, std::string> env; // set in the child (over the inherited variables)
    std::vector<std::string> inheritEnv;    // host variables passed on beyond the baseline (never MC_*)
    std::string cwd;                        // empty: the host's working directory
};

// Whether a host variable reaches every child without being named: PATH, HOME, LANG, LC_*, TZ,
// TMPDIR. Everything else (the host's secrets among it) stays behind unless `inheritEnv` names it.
bool isBaselineVariable(const std::string& name);

// The child's environment as NAME=VALUE strings: the baseline and `inheritEnv` variables the host
// has (MC_* never, whatever the list says), then `env` over them. `hostEnvironment` is environ-shaped.
std::vector<std::string> childEnvironment(const SpawnSpec& spec, char** hostEnvironment);

// The executable `command` names: a path (relative to `cwd` when it has a '/') or the first
// executable regular file of that name on `path` (colon-separated). Empty when there is none.
std::string resolveExecutable(const std::string& command, const std::string& path, const std::string& cwd);

// "exited with code 3", "killed by signal 9 (SIGKILL)", from a waitpid/waitid status.
std::string describeWaitStatus(int status);

class ChildProcess {
public:
    // Throws mc::sdk::Error(MC_ERR_IO, reason) when the command cannot be found or started.
    static std::unique_ptr<ChildProcess> spawn(const SpawnSpec& spec);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& executable() const { return executable_; }
    int stdinFd() const { return stdin_; }   // non-blocking, close-on-exec
    int stdoutFd() const { return stdout_; } // non-blocking, close-on-exec
    int stderrFd() const { return stderr_; } // non-blocking, close-on-exec
    int exitFd() const { return pidfd_; }    // readable once the leader exited; -1 when unsupported

    void closeStdin();
    // True once the leader has exited (it is not reaped by this).
    bool hasExited() const;
    // Waits up to `timeout` for the leader to exit; true when it has.
    bool waitForExit(std::chrono::milliseconds timeout) const;
    // Signals the whole process group (grandchildren too) while the leader is not yet reaped.
    void signalGroup(int signal) const;
    // Blocks until the leader exits, reaps it and returns describeWaitStatus(); later calls return
    // the same text.
    std::string reap();
    bool reaped() const { return reaped_; }

private:
    ChildProcess() = default;

    pid_t pid_ = -1;
    std::string executable_;
    int stdin_ = -1;
    int stdout_ = -1;
    int stderr_ = -1;
    int pidfd_ = -1;
    bool reaped_ = false;
    std::string exitDescription_;
};

} // namespace mc::mcp_stdio
