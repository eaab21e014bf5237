// A stdio MCP server's stderr line (libs/mcp/src/StderrLine.cpp): anything a process writes, read for
// the level it names (JSON lines, prefixes, logfmt).
//
// Checked: no crash/UB/leak; a recognized line has a form, an MCP level of the eight and a message; a
// JSON or logfmt line's fields are an object, a prefix line has none; the same line gives the same record.
#include "FuzzSupport.h"

#include "mc/mcp/StderrLine.h"

#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <string>

namespace {

const char* const kLevels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};

std::string fieldsText(const mc::mcp::StderrRecord& r) {
    if (!r.fields) return "null";
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(r.fields, out);
    return out.str();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto record = mc::mcp::parseStderrLine(line);
    if (!record.recognized) {
        MC_FUZZ_CHECK(record.level.empty() && record.message.empty(), "an unrecognized line with a level or message");
        return 0;
    }
    bool known = false;
    for (const char* level : kLevels) known = known || record.level == level;
    MC_FUZZ_CHECK(known, "level '" + mc::fuzz::shown(record.level, 40) + "'");
    const std::string form = record.form;
    MC_FUZZ_CHECK(form == "json" || form == "prefix" || form == "logfmt", "form '" + form + "'");
    MC_FUZZ_CHECK((form == "prefix") == !record.fields, "fields of a " + form + " line");
    const auto again = mc::mcp::parseStderrLine(line);
    MC_FUZZ_CHECK(again.level == record.level && again.message == record.message && again.logger == record.logger &&
                      fieldsText(again) == fieldsText(record),
                  "a second read differs: " + mc::fuzz::shown(record.message, 60) + " / " + mc::fuzz::shown(again.message, 60));
    return 0;
}
