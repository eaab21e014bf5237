// The strict JSON reader that builds no tree (libs/json Scan.cpp), against Poco's JSON parser as a
// second, independent reader. Byte 0 picks the rules (bit 0: portable numbers; the rest: the nesting
// limit, 1 to 64); the rest is the text.
//
// Checked: no crash/UB/leak/hang; scan and problem agree; a refusal says where, within the text; text
// it accepts Poco parses too (where Poco can: numbers within 64 bits and a double's range, and no
// \u0000, where Poco cuts a string), to a value of the kind scan names; a top-level object's members
// are Poco's keys (decoded, the last of a repeated key counting) and each member's text parses to
// Poco's value of that key; a top-level array's elements are Poco's elements, in order; a string's
// decoded text is Poco's string. The host's parser (util/JsonParse.cpp: this scanner, then a tree built
// from the text it accepted) builds Poco's tree for any object or array Poco reads, value by value and type
// by type, and refuses what the scanner refuses with the scanner's words.
#include "FuzzSupport.h"
#include "util/Json.h"

#include "mc/json/Scan.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace {

Poco::Dynamic::Var pocoValue(std::string_view text) {
    // Poco reads no bare scalar at the top: the value inside an array.
    const Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse("[" + std::string(text) + "]");
    return parsed.extract<Poco::JSON::Array::Ptr>()->get(0);
}

std::string dump(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

// The part's own text, read by Poco, is the value Poco found at that place; a string decodes alike.
void checkPart(std::string_view part, const Poco::Dynamic::Var& expected, const std::string& where) {
    Poco::Dynamic::Var value;
    try {
        value = pocoValue(part);
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, where + "'s text does not parse alone: " + e.displayText());
    }
    MC_FUZZ_CHECK(dump(value) == dump(expected), where + " differs from Poco's: " + mc::fuzz::shown(std::string(part)));
    if (part.front() == '"')
        MC_FUZZ_CHECK(mc::json::decodeString(part) == expected.extract<std::string>(), where + " decodes unlike Poco's string");
}

// The same tree: kinds, C++ types of scalars (Poco::Int64 against double matters to extract<>), values,
// keys and their order.
bool sameTree(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b) {
    if (a.type() != b.type()) return false;
    if (a.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto x = a.extract<Poco::JSON::Object::Ptr>(), y = b.extract<Poco::JSON::Object::Ptr>();
        if (x->size() != y->size()) return false;
        auto i = x->begin();
        for (auto j = y->begin(); j != y->end(); ++i, ++j)
            if (i->first != j->first || !sameTree(i->second, j->second)) return false;
        return true;
    }
    if (a.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto x = a.extract<Poco::JSON::Array::Ptr>(), y = b.extract<Poco::JSON::Array::Ptr>();
        if (x->size() != y->size()) return false;
        for (unsigned i = 0; i < x->size(); ++i)
            if (!sameTree(x->get(i), y->get(i))) return false;
        return true;
    }
    return a.isEmpty() ? b.isEmpty() : dump(a) == dump(b);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    mc::json::ScanRules rules;
    rules.portableNumbers = data[0] & 1;
    rules.maxDepth = 1 + (data[0] >> 1) % 64;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const mc::json::Scan scan = mc::json::scan(text, rules);
    MC_FUZZ_CHECK(scan.problem == mc::json::problem(text, rules), "scan and problem disagree");
    { // the host's parser, under its own rules
        const std::string hostProblem = mc::json::problem(text, mc::json::ScanRules{mc::host::json::kMaxDepth, false});
        const auto first = text.find_first_not_of(" \t\r\n");
        const bool container = first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
        try {
            mc::host::json::parse(text);
            MC_FUZZ_CHECK(hostProblem.empty() && container, "the host parser took what the scanner refuses, or a single value");
        } catch (const Poco::JSON::JSONException& e) {
            MC_FUZZ_CHECK(hostProblem.empty() ? !container && e.message().find("single value") != std::string::npos : e.message() == hostProblem,
                          "the host parser refused with other words than the scanner's: " + e.message());
        } catch (const Poco::SyntaxException&) {
            MC_FUZZ_CHECK(hostProblem.empty(), "a number refused in text the scanner refuses"); // beyond a double, as Poco
        }
    }
    if (!scan.ok()) {
        MC_FUZZ_CHECK(scan.offset <= text.size(), "a problem past the text");
        const std::string where = " at byte " + std::to_string(scan.offset);
        MC_FUZZ_CHECK(scan.problem.size() > where.size() && scan.problem.compare(scan.problem.size() - where.size(), where.size(), where) == 0,
                      "a problem that does not end with its byte: " + scan.problem);
        MC_FUZZ_CHECK(scan.members.empty() && scan.elements.empty() && scan.kind == 0, "a refusal with parts");
        return 0;
    }
    MC_FUZZ_CHECK(scan.members.empty() || scan.kind == '{', "members of a value that is no object");
    MC_FUZZ_CHECK(scan.elements.empty() || scan.kind == '[', "elements of a value that is no array");
    // Poco reads no number beyond 64 bits or a double's range: beside it, only what it can read.
    mc::json::ScanRules portable = rules;
    portable.portableNumbers = true;
    if (!mc::json::problem(text, portable).empty()) return 0;
    if (text.find("\\u0000") != std::string_view::npos) return 0; // Poco cuts a string at U+0000
    Poco::Dynamic::Var value;
    try {
        value = pocoValue(text);
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, "accepted, but Poco does not parse it: " + e.displayText());
    }
    const bool object = value.type() == typeid(Poco::JSON::Object::Ptr), array = value.type() == typeid(Poco::JSON::Array::Ptr);
    MC_FUZZ_CHECK((scan.kind == '{') == object && (scan.kind == '[') == array && (scan.kind == '"') == value.isString() &&
                      (scan.kind == 'n') == value.isEmpty(),
                  std::string("kind '") + scan.kind + "' is not Poco's");
    if (object) {
        const auto poco = value.extract<Poco::JSON::Object::Ptr>();
        std::set<std::string> keys;
        for (const auto& m : scan.members) keys.insert(mc::json::decodeString("\"" + std::string(m.key) + "\""));
        MC_FUZZ_CHECK(keys.size() == poco->size(), "members name other keys than Poco's");
        for (const auto& key : keys) {
            MC_FUZZ_CHECK(poco->has(key), "a key Poco does not have: " + mc::fuzz::shown(key));
            checkPart(*scan.member(key), poco->get(key), "member " + mc::fuzz::shown(key));
        }
    }
    if (array) {
        const auto poco = value.extract<Poco::JSON::Array::Ptr>();
        MC_FUZZ_CHECK(scan.elements.size() == poco->size(), "elements other than Poco's");
        for (std::size_t i = 0; i < scan.elements.size(); ++i)
            checkPart(scan.elements[i], poco->get(static_cast<unsigned>(i)), "element " + std::to_string(i));
    }
    if (object || array) {
        const Poco::Dynamic::Var poco = Poco::JSON::Parser().parse(std::string(text)), host = mc::host::json::parse(text);
        MC_FUZZ_CHECK(sameTree(poco, host), "the host parser's tree differs from Poco's: " + dump(host) + " against " + dump(poco));
        Poco::JSON::Parser ordered(new Poco::JSON::ParseHandler(true));
        const Poco::Dynamic::Var pocoOrdered = ordered.parse(std::string(text)),
                                 hostOrdered = mc::host::json::parse(text, mc::host::json::KeyOrder::AsWritten);
        // Poco's objects iterate sorted either way: the order kept shows when written out.
        MC_FUZZ_CHECK(sameTree(pocoOrdered, hostOrdered) && dump(pocoOrdered) == dump(hostOrdered),
                      "the host parser's keys as written differ from Poco's");
    }
    if (scan.kind == '"') checkPart(text.substr(text.find('"'), text.rfind('"') - text.find('"') + 1), value, "the string");
    return 0;
}
