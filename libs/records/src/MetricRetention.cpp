#include "mc/records/MetricRetention.h"

#include "mc/records/JsonText.h"

namespace mc::records {

std::optional<std::string> MetricRetention::due(long long nowUnixUs) {
    if (hours_ <= 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    if (swept_ && nowUnixUs - lastSweepUs_ < kIntervalUs) return std::nullopt;
    swept_ = true;
    lastSweepUs_ = nowUnixUs;
    return formatTimestamp(nowUnixUs - hours_ * 3600LL * 1000 * 1000);
}

void MetricRetention::soon() {
    std::lock_guard lock(mutex_);
    swept_ = false;
}

} // namespace mc::records
