#include "plugin/PluginDirectoryWatch.h"

#include "log/Logging.h"
#include "mc/thread_name.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mc::host {

namespace {
// Events that can change which plugin files there are or what they hold. IN_CLOSE_WRITE, not
// IN_MODIFY: a copy is judged when it is complete.
constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                             IN_MOVE_SELF;

bool isPluginName(const char* name, std::size_t len) {
    const std::string n(name, strnlen(name, len));
    return n.size() > 3 && n.compare(n.size() - 3, 3, ".so") == 0;
}
} // namespace

PluginDirectoryWatch::PluginDirectoryWatch(std::string dir, std::function<void()> changed, std::chrono::milliseconds quiet)
    : dir_(std::move(dir)), changed_(std::move(changed)), quiet_(quiet) {
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (inotify_ < 0 || wake_ < 0 || ::inotify_add_watch(inotify_, dir_.c_str(), kEvents) < 0) {
        const std::string reason = std::strerror(errno);
        if (inotify_ >= 0) ::close(inotify_);
        if (wake_ >= 0) ::close(wake_);
        throw std::runtime_error("cannot watch plugins directory '" + dir_ + "': " + reason);
    }
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-plugin-watch");
        run();
    });
}

PluginDirectoryWatch::~PluginDirectoryWatch() {
    stop();
    if (inotify_ >= 0) ::close(inotify_);
    if (wake_ >= 0) ::close(wake_);
}

void PluginDirectoryWatch::stop() {
    if (!thread_.joinable()) return;
    const uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
    thread_.join();
}

void PluginDirectoryWatch::run() {
    auto log = logging::get("plugin-loader");
    bool pending = false;
    alignas(inotify_event) char buffer[16 * 1024];
    for (;;) {
        pollfd fds[2] = {{wake_, POLLIN, 0}, {inotify_, POLLIN, 0}};
        const int timeout = pending ? static_cast<int>(quiet_.count()) : -1;
        const int ready = ::poll(fds, 2, timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            log->error("watching '{}' failed: {}; plugins are picked up by rescan only", dir_, std::strerror(errno));
            return;
        }
        if (fds[0].revents) return;
        if (ready == 0) { // quiet for `quiet_` after a change
            pending = false;
            try {
                changed_();
            } catch (const std::exception& e) {
                log->error("rescanning '{}' failed: {}", dir_, e.what());
            }
            continue;
        }
        for (;;) {
            const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
            if (n <= 0) break;
            for (ssize_t at = 0; at < n;) {
                const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
                if ((event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
                    log->warn("plugins directory '{}' was removed or moved: no longer watched", dir_);
                    return;
                }
                if ((event->mask & IN_Q_OVERFLOW) != 0 || (event->len > 0 && isPluginName(event->name, event->len)))
                    pending = true;
                at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
        }
    }
}

} // namespace mc::host
