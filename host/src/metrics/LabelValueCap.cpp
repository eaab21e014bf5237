#include "metrics/LabelValueCap.h"

namespace mc::host::metrics {

LabelValueCap::LabelValueCap(std::size_t limit, std::string overflow) : limit_(limit), overflow_(std::move(overflow)) {}

std::string LabelValueCap::admit(const std::string& group, const std::string& value) {
    std::lock_guard lock(mutex_);
    auto& values = seen_[group];
    if (values.count(value)) return value;
    if (values.size() >= limit_) return overflow_;
    values.insert(value);
    return value;
}

} // namespace mc::host::metrics
