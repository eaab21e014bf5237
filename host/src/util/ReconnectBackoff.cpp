#include "util/ReconnectBackoff.h"

#include <stdexcept>

namespace mc::host {

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed)
    : initial_(initial), max_(max), random_(seed) {
    if (initial.count() <= 0) throw std::invalid_argument("reconnect backoff: the initial delay must be positive");
    if (max < initial) throw std::invalid_argument("reconnect backoff: the maximum delay must not be below the initial one");
}

std::chrono::milliseconds ReconnectBackoff::ceilingFor(unsigned attempt) const {
    long long base = initial_.count();
    for (unsigned i = 0; i < attempt && base < max_.count(); ++i) base *= 2;
    return std::chrono::milliseconds(std::min(base, static_cast<long long>(max_.count())));
}

std::chrono::milliseconds ReconnectBackoff::next() {
    const long long ceiling = ceilingFor(attempts_).count();
    ++attempts_;
    std::uniform_int_distribution<long long> half(ceiling / 2, ceiling);
    return std::chrono::milliseconds(half(random_));
}

void ReconnectBackoff::reset() { attempts_ = 0; }

} // namespace mc::host
