#include "gateway/LogRateLimiter.h"

#include <algorithm>

namespace mc::host {

LogRateLimiter::LogRateLimiter(std::uint32_t perSecond, std::uint32_t burst)
    : perSecond_(perSecond), burst_(std::max<std::uint32_t>(burst, 1)), tokens_(burst_) {}

LogRateLimiter::Verdict LogRateLimiter::admit(Clock::time_point now) {
    if (perSecond_ <= 0) return Verdict::Pass;
    std::lock_guard lock(mutex_);
    if (!last_) last_ = now;
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    if (elapsed > 0) {
        tokens_ = std::min(burst_, tokens_ + elapsed * perSecond_);
        last_ = now;
    }
    if (tokens_ >= 1) {
        tokens_ -= 1;
        return Verdict::Pass;
    }
    ++droppedTotal_;
    return dropped_++ == 0 ? Verdict::DropFirst : Verdict::Drop;
}

std::uint64_t LogRateLimiter::takeDropped() {
    std::lock_guard lock(mutex_);
    const auto n = dropped_;
    dropped_ = 0;
    return n;
}

std::uint64_t LogRateLimiter::droppedTotal() const {
    std::lock_guard lock(mutex_);
    return droppedTotal_;
}

} // namespace mc::host
