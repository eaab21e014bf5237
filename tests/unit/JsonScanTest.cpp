// The strict JSON reader that builds no tree (libs/json Scan): where a top-level object's members and
// an array's elements are, keys compared decoded, strings decoded, and what it refuses, and where.
#include "mc/json/Scan.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <tuple>
#include <vector>

namespace json = mc::json;

class JsonScanTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonScanTest);
    CPPUNIT_TEST(anObjectsMembersAreViewsOfTheText);
    CPPUNIT_TEST(anArraysElementsAreViewsOfTheText);
    CPPUNIT_TEST(keysCompareDecodedAndTheLastOfARepeatedKeyCounts);
    CPPUNIT_TEST(stringsDecodeEscapesAndSurrogatePairs);
    CPPUNIT_TEST(theKindIsTheValuesFirstCharacter);
    CPPUNIT_TEST(refusalsSayWhatAndWhere);
    CPPUNIT_TEST(portableNumbersAreARuleToAskFor);
    CPPUNIT_TEST(nestingIsLimited);
    CPPUNIT_TEST(plainRunsEndAtTheExactByte);
    CPPUNIT_TEST_SUITE_END();

public:
    void anObjectsMembersAreViewsOfTheText() {
        const std::string text = R"( {"jsonrpc":"2.0", "id" : 7,"params":{"a":[1,{"b":2}]},"s":"x\"y"} )";
        const json::Scan s = json::scan(text);
        CPPUNIT_ASSERT_EQUAL(std::string(), s.problem);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), s.members.size());
        const std::vector<std::pair<std::string, std::string>> expected = {
            {"jsonrpc", "\"2.0\""}, {"id", "7"}, {"params", R"({"a":[1,{"b":2}]})"}, {"s", R"("x\"y")"}};
        for (std::size_t i = 0; i < expected.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(expected[i].first, std::string(s.members[i].key));
            CPPUNIT_ASSERT_EQUAL(expected[i].second, std::string(s.members[i].value));
            // Views of the text itself: nothing copied.
            CPPUNIT_ASSERT(s.members[i].value.data() >= text.data() && s.members[i].value.data() < text.data() + text.size());
        }
        CPPUNIT_ASSERT(s.elements.empty());
        // Only the top level is collected: the nested object's members are the params' own scan.
        const json::Scan params = json::scan(*s.member("params"));
        CPPUNIT_ASSERT_EQUAL(std::string("[1,{\"b\":2}]"), std::string(*params.member("a")));
        CPPUNIT_ASSERT(!s.member("a"));
    }

    void anArraysElementsAreViewsOfTheText() {
        const json::Scan s = json::scan(R"([ {"id":1} ,2, "three",[4] , null ])");
        CPPUNIT_ASSERT(s.ok());
        const std::vector<std::string> expected = {R"({"id":1})", "2", "\"three\"", "[4]", "null"};
        CPPUNIT_ASSERT_EQUAL(expected.size(), s.elements.size());
        for (std::size_t i = 0; i < expected.size(); ++i) CPPUNIT_ASSERT_EQUAL(expected[i], std::string(s.elements[i]));
        CPPUNIT_ASSERT(s.members.empty());
        CPPUNIT_ASSERT(json::scan("[]").elements.empty());
        CPPUNIT_ASSERT(json::scan("{}").members.empty());
    }

    void keysCompareDecodedAndTheLastOfARepeatedKeyCounts() {
        const json::Scan s = json::scan(R"({"meth\u006fd":"a","id":1,"id":2,"\u00e9":"e"})");
        CPPUNIT_ASSERT(s.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("\"a\""), std::string(*s.member("method")));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), std::string(*s.member("id"))); // the last, as readers keeping one do
        CPPUNIT_ASSERT_EQUAL(std::string("\"e\""), std::string(*s.member("\xc3\xa9")));
        CPPUNIT_ASSERT(!s.member("meth\\u006fd")); // a key is its decoded text, not the escape
        CPPUNIT_ASSERT(!s.member("missing"));
    }

    void stringsDecodeEscapesAndSurrogatePairs() {
        CPPUNIT_ASSERT_EQUAL(std::string("a\"b\\c/d\b\f\n\r\t"), json::decodeString(R"("a\"b\\c\/d\b\f\n\r\t")"));
        CPPUNIT_ASSERT_EQUAL(std::string("\x41\xc3\xa9\xe2\x82\xac"), json::decodeString(R"("\u0041\u00e9\u20AC")"));
        CPPUNIT_ASSERT_EQUAL(std::string("\xf0\x9f\x98\x80!"), json::decodeString(R"("\ud83d\ude00!")")); // U+1F600
        CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xa9"), json::decodeString("\"\xc3\xa9\"")); // UTF-8 as it is
        CPPUNIT_ASSERT_EQUAL(std::string(), json::decodeString("\"\""));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), *json::stringValue(std::string_view("\"x\"")));
        CPPUNIT_ASSERT(!json::stringValue(std::string_view("7")));
        CPPUNIT_ASSERT(!json::stringValue(std::nullopt));
    }

    void theKindIsTheValuesFirstCharacter() {
        const std::vector<std::pair<std::string, char>> cases = {
            {" {} ", '{'}, {"[1]", '['}, {"\"s\"", '"'}, {"-1.5e3", '0'}, {"0", '0'}, {"true", 't'}, {"false", 'f'}, {"\nnull", 'n'}};
        for (const auto& [text, kind] : cases) CPPUNIT_ASSERT_EQUAL_MESSAGE(text, kind, json::scan(text).kind);
    }

    void refusalsSayWhatAndWhere() {
        const std::vector<std::tuple<std::string, std::string, std::size_t>> cases = {
            {"", "a missing value at byte 0", 0},
            {"   ", "a missing value at byte 3", 3},
            {R"({"a" 1})", "a missing ':' at byte 5", 5},
            {R"({"a":1 "b":2})", "a missing ',' or '}' at byte 7", 7},
            {"[1 2]", "a missing ',' or ']' at byte 3", 3},
            {"{1:2}", "an object key that is not a string at byte 1", 1},
            {"{} x", "text after the value at byte 3", 3},
            {"tru", "an unknown literal at byte 0", 0},
            {"+1", "an unexpected character '+' at byte 0", 0},
            {"[\x01]", "an unexpected byte 0x01 at byte 1", 1},
            {"\xc3\xa9", "an unexpected byte 0xc3 at byte 0", 0},
            {"1.", "a number without digits after '.' at byte 2", 2},
            {"1e", "a number without exponent digits at byte 2", 2},
            {"\"ab", "an unterminated string at byte 3", 3},
            {"\"a\x01\"", "a control character in a string at byte 2", 2},
            {R"("\x")", "an unknown escape at byte 2", 2},
            {R"("\u12g4")", "a \\u escape without four hex digits at byte 2", 2},
            {R"("\udc00")", "a lone low surrogate escape at byte 2", 2},
            {R"("\ud800x")", "a high surrogate escape without its low one at byte 2", 2},
            {"\"\xff\"", "a byte that is not UTF-8 at byte 1", 1},
            {"\"\xc0\xaf\"", "a byte that is not UTF-8 at byte 1", 1},        // overlong '/'
            {"\"\xed\xa0\x80\"", "a byte that is not UTF-8 at byte 1", 1},    // a surrogate in UTF-8
            {"\"\xe2\x82", "a truncated UTF-8 sequence at byte 1", 1},
        };
        for (const auto& [text, why, at] : cases) {
            const json::Scan s = json::scan(text);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, why, s.problem);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, at, s.offset);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, why, json::problem(text));
            CPPUNIT_ASSERT(!s.ok() && s.members.empty() && s.elements.empty() && s.kind == 0);
        }
        // A refused object keeps none of the members read before the problem.
        CPPUNIT_ASSERT(json::scan(R"({"a":1,"b":})").members.empty());
    }

    void portableNumbersAreARuleToAskFor() {
        json::ScanRules portable;
        portable.portableNumbers = true;
        for (const std::string text : {"18446744073709551616", "-9223372036854775809", "1e400"}) {
            CPPUNIT_ASSERT_MESSAGE(text, json::scan(text).ok()); // RFC 8259 allows them
            CPPUNIT_ASSERT_MESSAGE(text, !json::scan(text, portable).ok());
        }
        CPPUNIT_ASSERT_EQUAL(std::string("an integer beyond 64 bits at byte 0"), json::problem("18446744073709551616", portable));
        CPPUNIT_ASSERT_EQUAL(std::string("a number beyond the range of a double at byte 1"), json::problem("-1e400", portable));
        CPPUNIT_ASSERT(json::scan("18446744073709551615", portable).ok());
        CPPUNIT_ASSERT(json::scan("-9223372036854775808", portable).ok());
    }

    void nestingIsLimited() {
        json::ScanRules two;
        two.maxDepth = 2;
        CPPUNIT_ASSERT(json::scan("[[1]]", two).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("more than 2 levels of objects and arrays at byte 2"), json::problem("[[[1]]]", two));
        CPPUNIT_ASSERT_EQUAL(std::string("more than 2 levels of objects and arrays at byte 6"), json::problem(R"([{"a":[1]}])", two));
        CPPUNIT_ASSERT(json::scan(std::string(256, '[') + std::string(256, ']')).ok()); // the default: 256
        CPPUNIT_ASSERT(!json::scan(std::string(257, '[') + std::string(257, ']')).ok());
    }

    // Plain characters are passed eight at a time: whatever ends a run (a quote, a backslash, a
    // control character, a byte of 0x80 or more) is found at its own byte in every place of the eight.
    void plainRunsEndAtTheExactByte() {
        for (std::size_t before = 0; before < 20; ++before) {
            const std::string run(before, 'a'), rest(11, 'b');
            const std::string at = " at byte " + std::to_string(before + 1);
            CPPUNIT_ASSERT_EQUAL(std::string(), json::problem('"' + run + "\\\"" + rest + '"'));
            CPPUNIT_ASSERT_EQUAL("a control character in a string" + at, json::problem('"' + run + '\x01' + rest + '"'));
            CPPUNIT_ASSERT_EQUAL("a byte that is not UTF-8" + at, json::problem('"' + run + '\xff' + rest + '"'));
            CPPUNIT_ASSERT_EQUAL("an unknown escape at byte " + std::to_string(before + 2), json::problem('"' + run + "\\q" + rest + '"'));
            CPPUNIT_ASSERT_EQUAL(std::string(), json::problem('"' + run + "\xc3\xa9" + rest + '"'));
            CPPUNIT_ASSERT_EQUAL("text after the value at byte " + std::to_string(before + 4),
                                 json::problem('"' + run + "\"  x" + rest));
            CPPUNIT_ASSERT_EQUAL("an unterminated string at byte " + std::to_string(before + 12), json::problem('"' + run + rest));
            CPPUNIT_ASSERT_EQUAL(run + "\"" + rest, json::decodeString('"' + run + "\\\"" + rest + '"'));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonScanTest);
