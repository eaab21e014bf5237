#include "app/Allocator.h"
#include <dlfcn.h>

namespace mc::host {

std::string allocatorName() {
    // tcmalloc exports tc_version(); the C library has no such symbol. Looked up, not assumed from
    // the build: a preloaded allocator or a sanitizer runtime would make the build's choice untrue.
    using TcVersion = const char* (*)(int*, int*, const char**);
    if (auto tcVersion = reinterpret_cast<TcVersion>(::dlsym(RTLD_DEFAULT, "tc_version"))) {
        int major = 0, minor = 0;
        const char* patch = nullptr;
        const char* text = tcVersion(&major, &minor, &patch);
        return std::string("tcmalloc (") + (text ? text : "unknown version") + ")";
    }
    if (::dlsym(RTLD_DEFAULT, "__asan_init")) return "AddressSanitizer's malloc";
    return "the C library's malloc";
}

} // namespace mc::host
