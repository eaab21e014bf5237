#pragma once
// Bounds how many distinct values one label takes within a group, e.g. the tools of one MCP server:
// the first `limit` values seen pass as they are, every later new one becomes `overflow` ("other").
// Values that passed keep passing, so an existing series never changes its name.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace mc::host::metrics {

class LabelValueCap {
public:
    explicit LabelValueCap(std::size_t limit, std::string overflow = "other");

    // `value`, or the overflow value when `group` already has `limit` other values.
    std::string admit(const std::string& group, const std::string& value);
    std::size_t limit() const { return limit_; }
    const std::string& overflow() const { return overflow_; }

private:
    const std::size_t limit_;
    const std::string overflow_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::unordered_set<std::string>> seen_;
};

} // namespace mc::host::metrics
