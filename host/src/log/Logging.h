#pragma once
// One named spdlog logger per component ("http", "ws", "plugin-loader", ...) and per plugin instance
// ("store-sqlite/default"), all writing through the same sinks in text or JSON-lines format.
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace mc::host::logging {

struct Settings {
    std::string format = "text";                     // "text" or "json"
    std::string level = "info";                      // default level of every logger
    std::map<std::string, std::string> levels;       // logger name -> level (log.level.<name>)
    std::string file;                                // empty: stderr
};

// Throws std::invalid_argument naming the accepted values.
spdlog::level::level_enum parseLevel(std::string_view level);

// (Re)configures every existing and future logger. Throws std::invalid_argument on a bad setting.
void configure(const Settings& settings);

// The logger called `name`, created on first use with the configured sinks and level.
std::shared_ptr<spdlog::logger> get(const std::string& name);

// Tests: an extra sink receiving every record of every logger (nullptr removes it).
void setCaptureSink(std::shared_ptr<spdlog::sinks::sink> sink);

} // namespace mc::host::logging
