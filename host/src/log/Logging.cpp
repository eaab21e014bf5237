#include "log/Logging.h"

#include "util/Json.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <stdexcept>
#include <vector>

namespace mc::host::logging {
namespace {

// {"ts":"...","level":"info","logger":"http","msg":"..."} — one object per line.
class JsonLineFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
        std::string line;
        line.reserve(96 + msg.payload.size());
        line += "{\"ts\":\"";
        line += json::isoTimestamp(micros);
        line += "\",\"level\":\"";
        const auto lv = spdlog::level::to_string_view(msg.level);
        line.append(lv.data(), lv.size());
        line += "\",\"logger\":\"";
        json::appendEscaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        line += "\",\"thread\":";
        line += std::to_string(msg.thread_id);
        line += ",\"msg\":\"";
        json::appendEscaped(line, std::string_view(msg.payload.data(), msg.payload.size()));
        line += "\"}\n";
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }
};

// Every logger holds the one distributing sink; reconfiguring swaps its children under the
// dist_sink's own lock, so logging threads never see a half-updated sink list.
struct State {
    std::mutex mutex;
    Settings settings;
    std::shared_ptr<spdlog::sinks::dist_sink_mt> dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    std::shared_ptr<spdlog::sinks::sink> mainSink;
    std::shared_ptr<spdlog::sinks::sink> captureSink;
    std::map<std::string, std::shared_ptr<spdlog::logger>> loggers;
};

State& state() {
    static State s;
    return s;
}

std::unique_ptr<spdlog::formatter> makeFormatter(const std::string& format) {
    if (format == "json") return std::make_unique<JsonLineFormatter>();
    return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ [%n] %v",
                                                       spdlog::pattern_time_type::utc);
}

void applyLevel(State& s, spdlog::logger& logger) {
    auto it = s.settings.levels.find(logger.name());
    logger.set_level(parseLevel(it != s.settings.levels.end() ? it->second : s.settings.level));
    logger.flush_on(spdlog::level::warn);
}

void rebuildSinks(State& s) {
    if (!s.mainSink) {
        s.mainSink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        s.mainSink->set_formatter(makeFormatter(s.settings.format));
    }
    std::vector<std::shared_ptr<spdlog::sinks::sink>> children{s.mainSink};
    if (s.captureSink) children.push_back(s.captureSink);
    s.dist->set_sinks(std::move(children));
}

} // namespace

spdlog::level::level_enum parseLevel(std::string_view level) {
    if (level == "trace") return spdlog::level::trace;
    if (level == "debug") return spdlog::level::debug;
    if (level == "info") return spdlog::level::info;
    if (level == "warn" || level == "warning") return spdlog::level::warn;
    if (level == "error") return spdlog::level::err;
    if (level == "off") return spdlog::level::off;
    throw std::invalid_argument("unknown log level '" + std::string(level) +
                                "' (expected trace, debug, info, warn, error or off)");
}

void configure(const Settings& settings) {
    if (settings.format != "text" && settings.format != "json")
        throw std::invalid_argument("unknown log format '" + settings.format + "' (expected text or json)");
    parseLevel(settings.level);
    for (const auto& [name, level] : settings.levels) parseLevel(level);

    auto& s = state();
    std::lock_guard lock(s.mutex);
    s.settings = settings;
    if (settings.file.empty())
        s.mainSink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    else
        s.mainSink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.file);
    s.mainSink->set_formatter(makeFormatter(settings.format));
    if (s.captureSink) s.captureSink->set_formatter(makeFormatter(settings.format));
    rebuildSinks(s);
    for (auto& [name, logger] : s.loggers) applyLevel(s, *logger);
}

std::shared_ptr<spdlog::logger> get(const std::string& name) {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    auto it = s.loggers.find(name);
    if (it != s.loggers.end()) return it->second;
    if (!s.mainSink) rebuildSinks(s);
    auto logger = std::make_shared<spdlog::logger>(name, s.dist);
    applyLevel(s, *logger);
    s.loggers.emplace(name, logger);
    return logger;
}

void setCaptureSink(std::shared_ptr<spdlog::sinks::sink> sink) {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    s.captureSink = std::move(sink);
    if (s.captureSink) s.captureSink->set_formatter(makeFormatter(s.settings.format));
    rebuildSinks(s);
}

} // namespace mc::host::logging
