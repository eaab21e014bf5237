// Names the calling thread, as top -H, ps -L, perf and gdb show it: which of the host's threads is
// busy (an event loop, the store writer, a transport's reader) without a debugger. Header-only, part
// of the SDK, used by the host and the plugins alike.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace mc::sdk {

// Linux keeps 15 bytes of a thread's name: longer names are cut there. Convention: "mc-" then what
// the thread does ("mc-http-io", "mc-store-writer"); a plugin's begin with its short name.
inline void nameThisThread(std::string_view name) {
    const std::string kept(name.substr(0, 15));
    ::pthread_setname_np(::pthread_self(), kept.c_str());
}

} // namespace mc::sdk
