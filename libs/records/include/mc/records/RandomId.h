#pragma once
// Identifiers: random RFC 9562 version-4 UUIDs (MCP session ids, relay states) and time-ordered
// version-7 ones (record ids), in their lower-case text form, their random bits from the kernel's
// CSPRNG. Each thread draws 4 KiB from getrandom() at a time, so an id costs no system call most of
// the time (Poco's generator opened, read and closed /dev/urandom for every one: three system calls
// on each tool call's path, twice).
#include <string>

namespace mc::records {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (y is 8, 9, a or b). Unpredictable: fit for session ids.
// Thread-safe (a buffer per thread). Throws std::runtime_error when the kernel gives no randomness.
std::string randomUuid();

// A version-7 UUID (RFC 9562): the Unix time in milliseconds, then the microseconds within it in the
// 12 bits after the version (its method 3), then 62 random bits. For record ids: ids made later sort
// after earlier ones, so a store's id index grows at its end instead of taking each insert on a random
// page (one dirty page per row and batch). Not for secrets: the time is readable. Thread-safe.
std::string timeOrderedUuid();

} // namespace mc::records
