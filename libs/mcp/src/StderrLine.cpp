#include "mc/mcp/StderrLine.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>

namespace mc::mcp {
namespace {

constexpr std::size_t kMaxLine = 64 * 1024;

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool isUpperWord(std::string_view word) {
    return !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isupper(c) != 0; });
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

// pino and bunyan number their levels 10 (trace) to 60 (fatal).
std::string pinoLevel(double n) {
    if (n >= 60) return "critical";
    if (n >= 50) return "error";
    if (n >= 40) return "warning";
    if (n >= 30) return "info";
    return "debug";
}

// Python's logging numbers its levels 10 (DEBUG) to 50 (CRITICAL).
std::string pythonLevel(double n) {
    if (n >= 50) return "critical";
    if (n >= 40) return "error";
    if (n >= 30) return "warning";
    if (n >= 20) return "info";
    return "debug";
}

StderrRecord fromJson(std::string_view line) {
    StderrRecord record;
    Poco::JSON::Object::Ptr object;
    try {
        const auto parsed = Poco::JSON::Parser().parse(std::string(line));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return record;
        object = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return record;
    }
    std::string level;
    const char* levelKey = nullptr;
    for (const char* key : {"level", "lvl", "severity", "levelname", "log.level", "@l", "levelno"}) {
        if (!object->has(key)) continue;
        const auto value = object->get(key);
        if (value.isString()) level = mcpLevelOf(value.extract<std::string>());
        else if (value.isNumeric() && !value.isBoolean())
            level = std::string_view(key) == "levelno" ? pythonLevel(value.convert<double>()) : pinoLevel(value.convert<double>());
        if (!level.empty()) {
            levelKey = key;
            break;
        }
    }
    if (!levelKey) return record;
    record.recognized = true;
    record.form = "json";
    record.level = level;
    for (const char* key : {"msg", "message", "event", "@m"})
        if (object->has(key) && object->get(key).isString()) {
            record.message = object->get(key).extract<std::string>();
            object->remove(key);
            break;
        }
    for (const char* key : {"logger", "name", "logger_name", "log.logger"})
        if (object->has(key) && object->get(key).isString()) {
            record.logger = object->get(key).extract<std::string>();
            break;
        }
    object->remove(levelKey);
    if (record.message.empty()) record.message = std::string(line);
    record.fields = object;
    return record;
}

// key=value pairs, values bare or double-quoted with backslash escapes; nullopt-like (empty record)
// unless a level key is among them.
StderrRecord fromLogfmt(std::string_view line) {
    StderrRecord record;
    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
    std::size_t at = 0;
    std::string level, message;
    while (at < line.size()) {
        while (at < line.size() && line[at] == ' ') ++at;
        const std::size_t keyStart = at;
        while (at < line.size() && line[at] != '=' && line[at] != ' ' && line[at] != '"') ++at;
        if (at >= line.size() || line[at] != '=' || at == keyStart) return StderrRecord{}; // not key=value
        const std::string key(line.substr(keyStart, at - keyStart));
        ++at;
        std::string value;
        if (at < line.size() && line[at] == '"') {
            ++at;
            bool closed = false;
            while (at < line.size()) {
                const char c = line[at++];
                if (c == '\\' && at < line.size()) {
                    const char e = line[at++];
                    value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
                } else if (c == '"') {
                    closed = true;
                    break;
                } else {
                    value += c;
                }
            }
            if (!closed) return StderrRecord{};
        } else {
            const std::size_t valueStart = at;
            while (at < line.size() && line[at] != ' ') ++at;
            value = std::string(line.substr(valueStart, at - valueStart));
        }
        if ((key == "level" || key == "lvl" || key == "severity") && level.empty()) level = mcpLevelOf(value);
        else if ((key == "msg" || key == "message") && message.empty()) message = value;
        else if (key == "logger" || key == "name") record.logger = value, fields->set(key, value);
        else fields->set(key, value);
    }
    if (level.empty()) return StderrRecord{};
    record.recognized = true;
    record.form = "logfmt";
    record.level = level;
    record.message = message.empty() ? std::string(line) : message;
    record.fields = fields;
    return record;
}

StderrRecord withPrefix(std::string level, std::string_view rest, std::string logger = {}) {
    StderrRecord record;
    record.recognized = true;
    record.form = "prefix";
    record.level = std::move(level);
    record.message = std::string(trimmed(rest));
    record.logger = std::move(logger);
    return record;
}

StderrRecord fromPrefix(std::string_view line) {
    // "[level] …", possibly after "[timestamp] " or timestamp words.
    std::string_view rest = line;
    for (int skipped = 0; skipped <= 2 && !rest.empty(); ++skipped) {
        if (rest.front() == '[') {
            const auto close = rest.find(']');
            if (close == std::string_view::npos) return StderrRecord{};
            const std::string_view inside = trimmed(rest.substr(1, close - 1));
            if (const std::string level = mcpLevelOf(inside); !level.empty()) return withPrefix(level, rest.substr(close + 1));
            rest = trimmed(rest.substr(close + 1));
            continue;
        }
        // "LEVEL:" / "LEVEL:logger:" (Python's default format) / "Level: …"
        const auto space = rest.find_first_of(" \t");
        const auto colon = rest.find(':');
        const bool digitFirst = std::isdigit(static_cast<unsigned char>(rest.front())) != 0;
        if (!digitFirst && colon != std::string_view::npos && colon > 0 && (space == std::string_view::npos || colon < space)) {
            if (const std::string level = mcpLevelOf(rest.substr(0, colon)); !level.empty()) {
                const std::string_view after = rest.substr(colon + 1);
                // WARNING:root:message: a logger name without spaces between the colons.
                const auto next = after.find(':');
                if (next != std::string_view::npos && next > 0 && after.substr(0, next).find_first_of(" \t") == std::string_view::npos)
                    return withPrefix(level, after.substr(next + 1), std::string(after.substr(0, next)));
                return withPrefix(level, after);
            }
        }
        // "ERROR something", also after timestamp words: an upper-case level word and a space.
        const std::string_view first = rest.substr(0, space);
        if (space != std::string_view::npos && isUpperWord(first))
            if (const std::string level = mcpLevelOf(first); !level.empty()) return withPrefix(level, rest.substr(space + 1));
        // A timestamp-like word (it starts with a digit) may come first; anything else ends the search.
        if (!digitFirst || space == std::string_view::npos) break;
        rest = trimmed(rest.substr(space));
    }
    return StderrRecord{};
}

} // namespace

std::string mcpLevelOf(std::string_view word) {
    const std::string w = lowered(trimmed(word));
    if (w.empty()) return {};
    if (w == "trace" || w == "debug" || w == "dbg" || w == "verbose" || w == "fine" || w == "finer" || w == "finest") return "debug";
    if (w == "info" || w == "information" || w == "informational" || w == "inf") return "info";
    if (w == "notice") return "notice";
    if (w == "warn" || w == "warning" || w == "wrn") return "warning";
    if (w == "error" || w == "err" || w == "eror" || w == "severe") return "error";
    if (w == "critical" || w == "crit" || w == "fatal" || w == "ftl") return "critical";
    if (w == "alert") return "alert";
    if (w == "emergency" || w == "emerg" || w == "panic") return "emergency";
    return {};
}

StderrRecord parseStderrLine(std::string_view line) {
    line = trimmed(line.substr(0, kMaxLine));
    if (line.empty()) return {};
    if (line.front() == '{') return fromJson(line);
    if (StderrRecord prefixed = fromPrefix(line); prefixed.recognized) return prefixed;
    if (line.find('=') != std::string_view::npos) return fromLogfmt(line);
    return {};
}

} // namespace mc::mcp
