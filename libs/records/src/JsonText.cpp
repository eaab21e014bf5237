#include "mc/records/JsonText.h"

#include "mc/json/Scan.h"
#include "mc/json_text.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/SHA2Engine.h>

#include <chrono>
#include <cstdio>
#include <sstream>

namespace mc::records {

void appendJsonString(std::string& out, std::string_view s) {
    out += '"';
    mc::sdk::json::appendEscaped(out, s);
    out += '"';
}

std::string jsonString(std::string_view s) { return mc::sdk::json::quote(s); }

namespace {
// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-day algorithm).
long long daysFromCivil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool isLeap(long long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }


// Reads exactly `count` ASCII digits at `pos` (advancing it); false when any is missing.
bool readDigits(std::string_view in, std::size_t& pos, std::size_t count, long long& value) {
    if (in.size() - pos < count) return false;
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = in[pos + i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    pos += count;
    return true;
}

bool expect(std::string_view in, std::size_t& pos, char c) {
    if (pos >= in.size() || in[pos] != c) return false;
    ++pos;
    return true;
}

} // namespace

// RFC 3339 as YYYY-MM-DD(T|t| )hh:mm:ss[.1-9 digits](Z|z|+hh:mm|-hh:mm), read by hand: this runs for
// every event on the ingest path and again in the store; with std::regex it took 2.5 times as many
// instructions (callgrind, docs/storage.md#write-path).
bool normalizeTimestamp(std::string_view in, std::string& out) {
    std::size_t pos = 0;
    long long year, month, day, hour, minute, second;
    if (!readDigits(in, pos, 4, year) || !expect(in, pos, '-') || !readDigits(in, pos, 2, month) ||
        !expect(in, pos, '-') || !readDigits(in, pos, 2, day))
        return false;
    if (pos >= in.size() || (in[pos] != 'T' && in[pos] != 't' && in[pos] != ' ')) return false;
    ++pos;
    if (!readDigits(in, pos, 2, hour) || !expect(in, pos, ':') || !readDigits(in, pos, 2, minute) ||
        !expect(in, pos, ':') || !readDigits(in, pos, 2, second))
        return false;
    long long micros = 0;
    if (pos < in.size() && in[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        while (pos < in.size() && in[pos] >= '0' && in[pos] <= '9') {
            if (digits < 6) micros = micros * 10 + (in[pos] - '0'); // truncates beyond microseconds
            ++digits;
            ++pos;
        }
        if (digits < 1 || digits > 9) return false;
        for (std::size_t i = digits; i < 6; ++i) micros *= 10; // pads below
    }
    long long offsetSeconds = 0;
    if (pos >= in.size()) return false;
    if (in[pos] == 'Z' || in[pos] == 'z') {
        ++pos;
    } else if (in[pos] == '+' || in[pos] == '-') {
        const bool negative = in[pos] == '-';
        ++pos;
        long long oh, om;
        if (!readDigits(in, pos, 2, oh) || !expect(in, pos, ':') || !readDigits(in, pos, 2, om)) return false;
        if (oh > 23 || om > 59) return false;
        offsetSeconds = (oh * 3600 + om * 60) * (negative ? -1 : 1);
    } else {
        return false;
    }
    if (pos != in.size()) return false;
    static const unsigned monthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return false;
    if (day > monthDays[month - 1] + (month == 2 && isLeap(year) ? 1 : 0)) return false;
    if (hour > 23 || minute > 59 || second > 60) return false; // 60: a leap second, folded below
    const long long days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const long long seconds = days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59LL) - offsetSeconds;
    // An offset can carry 0000-01-01 or 9999-12-31 out of four-digit years in UTC: not a timestamp the
    // stored form (and so the store's own check) can hold.
    if (seconds < daysFromCivil(0, 1, 1) * 86400 || seconds >= daysFromCivil(10000, 1, 1) * 86400) return false;
    out = formatTimestamp(seconds * 1000000 + micros);
    return true;
}

std::string formatTimestamp(long long unixMicros) { return mc::sdk::json::isoTimestamp(unixMicros); }

long long unixMicrosOfStored(std::string_view stored) {
    // "2026-01-02T03:04:05.000006Z": days since the epoch from the civil date (Howard Hinnant's
    // days_from_civil), then the time of day.
    const auto digits = [&](std::size_t at, std::size_t count) {
        long long v = 0;
        for (std::size_t i = at; i < at + count && i < stored.size(); ++i) v = v * 10 + (stored[i] - '0');
        return v;
    };
    const long long y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    const long long yy = y - (m <= 2 ? 1 : 0);
    const long long era = (yy >= 0 ? yy : yy - 399) / 400;
    const long long yoe = yy - era * 400;
    const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    const long long seconds = digits(11, 2) * 3600 + digits(14, 2) * 60 + digits(17, 2);
    return (days * 86400 + seconds) * 1000000 + digits(20, 6);
}

std::string sha256Hex(std::string_view data) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

long long unixMicrosFromHostClock(long long hostUnixMicros) {
    if (hostUnixMicros != 0) return hostUnixMicros;
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string timestampFromHostClock(long long hostUnixMicros) { return formatTimestamp(unixMicrosFromHostClock(hostUnixMicros)); }

std::string canonicalJsonText(const std::string& json) {
    try {
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(Poco::JSON::Parser().parse(json), out);
        return out.str();
    } catch (const Poco::Exception&) {
        return json;
    }
}

std::string jsonTextProblem(std::string_view text, std::size_t maxDepth) {
    mc::json::ScanRules rules;
    rules.maxDepth = maxDepth;
    rules.portableNumbers = true;
    return mc::json::problem(text, rules);
}

} // namespace mc::records
