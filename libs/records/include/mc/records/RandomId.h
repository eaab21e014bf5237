#pragma once
// Random identifiers (record ids, MCP session ids, relay states): RFC 9562 version-4 UUIDs in their
// lower-case text form, from the kernel's CSPRNG. Each thread draws 4 KiB from getrandom() at a
// time, so an id costs no system call most of the time (Poco's generator opened, read and closed
// /dev/urandom for every one: three system calls on each tool call's path, twice).
#include <string>

namespace mc::records {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (y is 8, 9, a or b). Unpredictable: fit for session ids.
// Thread-safe (a buffer per thread). Throws std::runtime_error when the kernel gives no randomness.
std::string randomUuid();

} // namespace mc::records
