#pragma once
// Watches plugins.dir with inotify and calls `changed` once the directory has been quiet for a short
// while after a plugin file appeared, was written, replaced, moved or deleted (so a file still being
// copied is not loaded half-written, and a burst of changes makes one rescan).
//
// Threading: one thread of its own; `changed` runs on it. stop() (also the destructor) joins it.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace mc::host {

class PluginDirectoryWatch {
public:
    // Throws std::runtime_error naming the directory when it cannot be watched.
    PluginDirectoryWatch(std::string dir, std::function<void()> changed,
                         std::chrono::milliseconds quiet = std::chrono::milliseconds(300));
    ~PluginDirectoryWatch();
    PluginDirectoryWatch(const PluginDirectoryWatch&) = delete;
    PluginDirectoryWatch& operator=(const PluginDirectoryWatch&) = delete;

    void stop();

private:
    void run();

    std::string dir_;
    std::function<void()> changed_;
    std::chrono::milliseconds quiet_;
    int inotify_ = -1;
    int wake_ = -1; // eventfd: stop() wakes the thread
    std::thread thread_;
};

} // namespace mc::host
