#pragma once
#include <string>

namespace mc::host {

// The malloc this process runs on, as found at run time: "tcmalloc (gperftools 2.10)" when the build
// linked it (MC_MALLOC in CMakeLists.txt), "AddressSanitizer's malloc" in a sanitizer build, else
// "the C library's malloc". Printed by --version and at start, so an operator's report says which
// one a figure came from.
std::string allocatorName();

} // namespace mc::host
