#include "mc/records/JsonText.h"

#include "mc/json_text.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/SHA2Engine.h>

#include <chrono>
#include <cstdio>
#include <regex>
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
} // namespace

bool normalizeTimestamp(std::string_view in, std::string& out) {
    static const std::regex pattern(
        R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$)");
    std::cmatch m;
    if (!std::regex_match(in.data(), in.data() + in.size(), m, pattern)) return false;
    const long long year = std::stoll(m[1]);
    const unsigned month = std::stoul(m[2]), day = std::stoul(m[3]);
    const unsigned hour = std::stoul(m[4]), minute = std::stoul(m[5]), second = std::stoul(m[6]);
    static const unsigned monthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return false;
    if (day > monthDays[month - 1] + (month == 2 && isLeap(year) ? 1 : 0)) return false;
    if (hour > 23 || minute > 59 || second > 60) return false; // 60: a leap second, folded below
    std::string fraction = m[7].matched ? m[7].str() : "";
    fraction.resize(6, '0'); // truncates beyond microseconds, pads below
    long long micros = std::stoll(fraction);
    long long offsetSeconds = 0;
    const std::string zone = m[8].str();
    if (zone != "Z" && zone != "z") {
        const int oh = std::stoi(zone.substr(1, 2)), om = std::stoi(zone.substr(4, 2));
        if (oh > 23 || om > 59) return false;
        offsetSeconds = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
    }
    const long long seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                              std::min(second, 59u) - offsetSeconds;
    // An offset can carry 0000-01-01 or 9999-12-31 out of four-digit years in UTC: not a timestamp the
    // stored form (and so the store's own check) can hold.
    if (seconds < daysFromCivil(0, 1, 1) * 86400 || seconds >= daysFromCivil(10000, 1, 1) * 86400) return false;
    out = formatTimestamp(seconds * 1000000 + micros);
    return true;
}

std::string formatTimestamp(long long unixMicros) { return mc::sdk::json::isoTimestamp(unixMicros); }

std::string sha256Hex(std::string_view data) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string timestampFromHostClock(long long hostUnixMicros) {
    if (hostUnixMicros == 0)
        hostUnixMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    return formatTimestamp(hostUnixMicros);
}

std::string canonicalJsonText(const std::string& json) {
    try {
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(Poco::JSON::Parser().parse(json), out);
        return out.str();
    } catch (const Poco::Exception&) {
        return json;
    }
}

} // namespace mc::records
