// The SDK's JSON reader (mc/json_value.hpp), which every plugin uses on what the host hands it:
// config_json, a server definition from POST /api/mcps, a store query's parameters. Strict RFC 8259:
// what it accepts, what it builds, and the words and offset of every refusal. And its writer's
// escaping (mc/json_text.hpp), which passes plain runs eight bytes at a time.
#include "mc/json_text.hpp"
#include "mc/json_value.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using mc::sdk::json::ParseError;
using mc::sdk::json::Value;
using mc::sdk::json::parse;

namespace {

std::string refusal(const std::string& text) {
    try {
        parse(text);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

class SdkJsonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SdkJsonTest);
    CPPUNIT_TEST(readsEveryKindOfValue);
    CPPUNIT_TEST(decodesEscapesAndSurrogatePairs);
    CPPUNIT_TEST(numbersFollowTheGrammar);
    CPPUNIT_TEST(refusesWithWhatAndWhere);
    CPPUNIT_TEST(dumpParsesBackToTheSameDocument);
    CPPUNIT_TEST(timestampsHaveSixDigitsAndFollowTheSecond);
    CPPUNIT_TEST(escapingFindsEveryByteThatNeedsItWhereverItIs);
    CPPUNIT_TEST_SUITE_END();

public:
    void readsEveryKindOfValue() {
        const Value v = parse(R"( {"s":"x","n":-12,"r":1.5e3,"t":true,"f":false,"z":null,"a":[1,[2],{}],"o":{"k":"v"},"s":"last"} )");
        CPPUNIT_ASSERT(v.isObject());
        CPPUNIT_ASSERT_EQUAL(std::string("last"), v.find("s")->str()); // a repeated name: the last one counts
        std::int64_t n = 0;
        CPPUNIT_ASSERT(v.find("n")->asInt64(n));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-12), n);
        CPPUNIT_ASSERT(!v.find("r")->asInt64(n)); // not an integer
        CPPUNIT_ASSERT_EQUAL(1500.0, v.find("r")->asDouble());
        CPPUNIT_ASSERT(v.find("t")->isBool() && v.find("f")->isBool() && v.find("z")->isNull());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), v.find("a")->items().size());
        CPPUNIT_ASSERT(v.find("a")->items()[1].isArray() && v.find("a")->items()[2].isObject());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), v.find("o")->find("k")->str());
        CPPUNIT_ASSERT(v.find("absent") == nullptr);
        CPPUNIT_ASSERT(!parse("99999999999999999999").asInt64(n)); // out of int64's range
    }

    void decodesEscapesAndSurrogatePairs() {
        const Value v = parse(R"(["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u20ac\ud83d\ude00", "caf\u00C9", "ünï"])");
        CPPUNIT_ASSERT_EQUAL(std::string("\"\\/\b\f\n\r\t"), v.items()[0].str());
        CPPUNIT_ASSERT_EQUAL(std::string("A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), v.items()[1].str());
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xc3\x89"), v.items()[2].str());
        CPPUNIT_ASSERT_EQUAL(std::string("ünï"), v.items()[3].str());
    }

    void numbersFollowTheGrammar() {
        for (const char* good : {"0", "-0", "10", "0.5", "-1.25e-7", "3E+2", "1e9"})
            CPPUNIT_ASSERT_MESSAGE(good, parse(good).isNumber());
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 1: unexpected text after the value"), refusal("01"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 1: unexpected character"), refusal("-"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 2: expected a digit after '.'"), refusal("1."));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 3: expected a digit in the exponent"), refusal("1e+"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 0: unexpected character"), refusal("+1"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 0: unexpected character"), refusal(".5"));
    }

    void refusesWithWhatAndWhere() {
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 0: unexpected end of text"), refusal(""));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 1: expected a member name"), refusal("{1:2}"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 5: expected ':'"), refusal(R"({"a" 1})"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 6: expected '}'"), refusal(R"({"a":1)"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 2: expected ']'"), refusal("[1"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 3: expected ']'"), refusal("[1 2]"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 0: unexpected character"), refusal("tru"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 3: unterminated string"), refusal(R"("ab)"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 2: control character in a string"), refusal("\"a\x01\""));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 1: invalid UTF-8"), refusal("\"\xc3\x28\""));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 3: bad escape"), refusal(R"("\x")"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 2: unterminated escape"), refusal("\"\\"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 3: short \\u escape"), refusal(R"("\u12")"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 6: bad \\u escape"), refusal(R"("\u12g4")"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 7: lone high surrogate"), refusal(R"("\ud83d")"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 13: bad low surrogate"), refusal(R"("\ud83d\u0041")"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 7: lone low surrogate"), refusal(R"("\ude00")"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 3: unexpected text after the value"), refusal("{} x"));
        std::string deep(65, '[');
        deep += std::string(65, ']');
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON at byte 65: nested deeper than 64 levels"), refusal(std::string(66, '[')));
        CPPUNIT_ASSERT(parse(deep).isArray()); // 65 levels: the outermost is depth 0
    }

    // isoTimestamp keeps each second's text per thread: within a second only the digits change, and a
    // new second (later, or earlier again) is written anew.
    void escapingFindsEveryByteThatNeedsItWhereverItIs() {
        // Each byte that is not written as itself, and one that is (DEL), at every place in and around
        // an eight-byte word, with plain text on both sides: escaped as itself alone would be.
        const std::pair<std::string, std::string> cases[] = {
            {"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"}, {std::string(1, '\0'), "\\u0000"}, {"\x1f", "\\u001f"},
            {"\x7f", "\x7f"}, {"\xC3\xA9", "\xC3\xA9"}, {"\xFF", "\xEF\xBF\xBD"}, {"\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD"}};
        for (const auto& [raw, escaped] : cases)
            for (std::size_t before = 0; before <= 17; ++before)
                for (const std::size_t after : {0, 1, 7, 8, 9}) {
                    const std::string text = std::string(before, 'a') + raw + std::string(after, 'b');
                    const std::string expected = "\"" + std::string(before, 'a') + escaped + std::string(after, 'b') + "\"";
                    CPPUNIT_ASSERT_EQUAL_MESSAGE("at " + std::to_string(before) + " before " + std::to_string(after), expected,
                                                 mc::sdk::json::quote(text));
                    // The plain run ends there (DEL, written as itself, ends nothing).
                    CPPUNIT_ASSERT_EQUAL(raw == "\x7f" ? text.size() : before, mc::sdk::json::plainRunEnd(text, 0));
                }
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), mc::sdk::json::plainRunEnd(std::string(20, 'x'), 3));
        CPPUNIT_ASSERT_EQUAL(std::string("\"\""), mc::sdk::json::quote(""));
    }

    void timestampsHaveSixDigitsAndFollowTheSecond() {
        using mc::sdk::json::isoTimestamp;
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:02.123456Z"), isoTimestamp(1764633602123456LL));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:02.000007Z"), isoTimestamp(1764633602000007LL));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:03.999999Z"), isoTimestamp(1764633603999999LL));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:02.000000Z"), isoTimestamp(1764633602000000LL));
        CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01T00:00:00.000000Z"), isoTimestamp(0));
        CPPUNIT_ASSERT_EQUAL(std::string("1969-12-31T23:59:59.999999Z"), isoTimestamp(-1));
        CPPUNIT_ASSERT_EQUAL(std::string("9999-12-31T23:59:59.999999Z"), isoTimestamp(253402300799999999LL));
    }

    void dumpParsesBackToTheSameDocument() {
        const std::string text = R"({"a":[1,-2.5e-3,true,false,null,"q\"\\\n\u0001é"],"b":{"c":{}},"d":[]})";
        const Value v = parse(text);
        const std::string dumped = v.dump();
        CPPUNIT_ASSERT_EQUAL(dumped, parse(dumped).dump());
        CPPUNIT_ASSERT_EQUAL(std::string("q\"\\\n\x01\xc3\xa9"), parse(dumped).find("a")->items()[5].str());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SdkJsonTest);
