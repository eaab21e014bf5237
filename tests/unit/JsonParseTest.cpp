// The host's one JSON parser (util/JsonParse.cpp): the tree Poco's parser builds, type by type and key
// order by key order, and what it refuses, with the scanner's words.
#include "mc/json/Scan.h"
#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace json = mc::host::json;

namespace {

// The same tree: kinds, the C++ type of each scalar, values, keys and their order.
std::string sameTreeOrWhy(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b, const std::string& at = "$") {
    if (a.type() != b.type()) return at + ": " + a.type().name() + " against " + b.type().name();
    if (a.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto x = a.extract<Poco::JSON::Object::Ptr>(), y = b.extract<Poco::JSON::Object::Ptr>();
        if (x->size() != y->size()) return at + ": " + std::to_string(x->size()) + " members against " + std::to_string(y->size());
        auto i = x->begin();
        for (auto j = y->begin(); j != y->end(); ++i, ++j) {
            if (i->first != j->first) return at + ": key " + i->first + " against " + j->first;
            if (auto why = sameTreeOrWhy(i->second, j->second, at + "." + i->first); !why.empty()) return why;
        }
        return "";
    }
    if (a.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto x = a.extract<Poco::JSON::Array::Ptr>(), y = b.extract<Poco::JSON::Array::Ptr>();
        if (x->size() != y->size()) return at + ": " + std::to_string(x->size()) + " elements against " + std::to_string(y->size());
        for (unsigned i = 0; i < x->size(); ++i)
            if (auto why = sameTreeOrWhy(x->get(i), y->get(i), at + "[" + std::to_string(i) + "]"); !why.empty()) return why;
        return "";
    }
    if (a.isEmpty() != b.isEmpty() || (!a.isEmpty() && a.toString() != b.toString())) return at + ": " + a.toString() + " against " + b.toString();
    return "";
}

std::string refusal(const std::string& text) {
    try {
        json::parse(text);
    } catch (const Poco::Exception& e) {
        return e.message();
    }
    return "(accepted)";
}

} // namespace

class JsonParseTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonParseTest);
    CPPUNIT_TEST(itBuildsPocosTreeTypeByType);
    CPPUNIT_TEST(keysAreSortedOrAsWrittenAsAsked);
    CPPUNIT_TEST(stringsAreDecoded);
    CPPUNIT_TEST(refusalsSayWhatAndWhere);
    CPPUNIT_TEST(nestingStopsWherePocosDoes);
    CPPUNIT_TEST(parseObjectRefusesAnArray);
    CPPUNIT_TEST_SUITE_END();

public:
    void itBuildsPocosTreeTypeByType() {
        const std::vector<std::string> texts = {
            R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"_meta":{"progressToken":"t-1"},"name":"a__echo","arguments":{"message":"hi"}}})",
            R"([1,-1,0,-0,2147483648,9223372036854775807,9223372036854775808,-9223372036854775808,1.5,-2.25e-3,1E2,0.1e-400])",
            R"( [ true , false , null , {} , [] , "" , {"a" : [ {"b" : null} ] } ] )",
            R"({"z":1,"a":2,"m":{"y":[3,{"x":4}],"b":5},"a":6})", // a repeated key: the last counts
            "{\"t\":\"tab\\there\",\"u\":\"\\u00e9\\ud83d\\ude00\",\"q\":\"\\\"\\\\\\/\"}\n",
        };
        for (const auto& text : texts) {
            const auto why = sameTreeOrWhy(json::parse(text), Poco::JSON::Parser().parse(text));
            CPPUNIT_ASSERT_MESSAGE(text + " -> " + why, why.empty());
        }
        const auto numbers = json::parse(texts[1]).extract<Poco::JSON::Array::Ptr>();
        CPPUNIT_ASSERT(numbers->get(0).type() == typeid(Poco::Int64));
        CPPUNIT_ASSERT(numbers->get(6).type() == typeid(Poco::UInt64)); // beyond Int64, as Poco
        CPPUNIT_ASSERT(numbers->get(8).type() == typeid(double));
        CPPUNIT_ASSERT_EQUAL(100.0, numbers->get(10).extract<double>());
        // A number beyond a double's range is refused as Poco refuses it.
        CPPUNIT_ASSERT_EQUAL(std::string("Not a valid floating-point number: 1E400"), refusal("[1E400]"));
    }

    void keysAreSortedOrAsWrittenAsAsked() {
        const std::string text = R"({"z":1,"a":2,"m":{"y":1,"b":2}})";
        // Poco's objects iterate their keys sorted either way; written out, they keep the order asked for.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"a":2,"m":{"b":2,"y":1},"z":1})"), json::stringify(json::parse(text)));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"z":1,"a":2,"m":{"y":1,"b":2}})"), json::stringify(json::parse(text, json::KeyOrder::AsWritten)));
        Poco::JSON::Parser ordered(new Poco::JSON::ParseHandler(true));
        CPPUNIT_ASSERT_EQUAL(json::stringify(ordered.parse(text)), json::stringify(json::parse(text, json::KeyOrder::AsWritten)));
        const auto why = sameTreeOrWhy(json::parse(text, json::KeyOrder::AsWritten), ordered.parse(text));
        CPPUNIT_ASSERT_MESSAGE(why, why.empty());
    }

    void stringsAreDecoded() {
        const auto o = json::parseObject(R"({"plain":"abc","escaped":"a\"b\\c\nd\u0041\u00e9\ud83d\ude00","nul":"a\u0000b"})");
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), o->getValue<std::string>("plain"));
        CPPUNIT_ASSERT_EQUAL(std::string("a\"b\\c\ndA\xc3\xa9\xf0\x9f\x98\x80"), o->getValue<std::string>("escaped"));
        // U+0000 stays in the string (Poco's parser cuts the string there).
        CPPUNIT_ASSERT_EQUAL(std::string("a\0b", 3), o->getValue<std::string>("nul"));
        // A string ends at the first quote no backslash escapes: an escaped backslash before it, an
        // escaped quote first, an escape in a key.
        const auto e = json::parseObject(R"({"ends":"back\\","q":"\"quoted\" twice","k\"ey":"v","after":"plain"})");
        CPPUNIT_ASSERT_EQUAL(std::string("back\\"), e->getValue<std::string>("ends"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"quoted\" twice"), e->getValue<std::string>("q"));
        CPPUNIT_ASSERT_EQUAL(std::string("v"), e->getValue<std::string>("k\"ey"));
        CPPUNIT_ASSERT_EQUAL(std::string("plain"), e->getValue<std::string>("after"));
    }

    void refusalsSayWhatAndWhere() {
        CPPUNIT_ASSERT_EQUAL(mc::json::problem(R"({"a" 1})"), refusal(R"({"a" 1})"));
        CPPUNIT_ASSERT(refusal(R"({"a" 1})").find("at byte 5") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(mc::json::problem(""), refusal(""));
        CPPUNIT_ASSERT_EQUAL(mc::json::problem("[1] x"), refusal("[1] x"));
        CPPUNIT_ASSERT_EQUAL(mc::json::problem("[\"\xff\"]"), refusal("[\"\xff\"]")); // not UTF-8
        CPPUNIT_ASSERT_EQUAL(mc::json::problem(R"(["\ud800"])"), refusal(R"(["\ud800"])"));
        CPPUNIT_ASSERT_EQUAL(mc::json::problem("{\"a\":1,}"), refusal("{\"a\":1,}"));
        // A single value is no document here, as for Poco's parser.
        for (const char* single : {"42", "\"s\"", "true", "null"})
            CPPUNIT_ASSERT_EQUAL(std::string("a JSON object or array is expected, not a single value"), refusal(single));
        try {
            json::parse("{");
            CPPUNIT_FAIL("accepted an unfinished object");
        } catch (const Poco::JSON::JSONException& e) {
            CPPUNIT_ASSERT(e.displayText().rfind("JSON Exception: ", 0) == 0);
        }
    }

    void nestingStopsWherePocosDoes() {
        const auto nested = [](std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); };
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), refusal(nested(json::kMaxDepth)));
        Poco::JSON::Parser().parse(nested(json::kMaxDepth));
        CPPUNIT_ASSERT_EQUAL(std::string("more than 128 levels of objects and arrays at byte 128"), refusal(nested(json::kMaxDepth + 1)));
        CPPUNIT_ASSERT_THROW(Poco::JSON::Parser().parse(nested(json::kMaxDepth + 1)), Poco::JSON::JSONException);
    }

    void parseObjectRefusesAnArray() {
        CPPUNIT_ASSERT_THROW(json::parseObject("[1]"), Poco::JSON::JSONException);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), json::parseObject(R"({"a":[1]})")->getArray("a")->size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonParseTest);
