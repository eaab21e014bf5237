#include "util/Json.h"

#include "mc/json/Scan.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

namespace mc::host::json {
namespace {

// Builds Poco's objects from text the scanner accepted: no error can occur but in a number Poco
// cannot hold (as with Poco's parser), so nothing is checked twice and nothing is tokenized into state.
class TreeBuilder {
public:
    TreeBuilder(std::string_view text, KeyOrder order) : text_(text), keyOptions_(order == KeyOrder::AsWritten ? Poco::JSON_PRESERVE_KEY_ORDER : 0) {}

    Poco::Dynamic::Var value() {
        skipSpace();
        switch (text_[at_]) {
        case '{': return object();
        case '[': return array();
        case '"': return string();
        case 't': at_ += 4; return true;
        case 'f': at_ += 5; return false;
        case 'n': at_ += 4; return {};
        default: return number();
        }
    }

private:
    void skipSpace() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t')) ++at_;
    }
    std::string string() {
        const std::size_t open = at_++;
        // The closing quote is the first one when no backslash comes before it (most strings).
        const auto quote = text_.find('"', at_);
        if (text_.substr(at_, quote - at_).find('\\') == std::string_view::npos) {
            at_ = quote + 1;
            return std::string(text_.substr(open + 1, quote - open - 1));
        }
        bool escaped = false;
        while (text_[at_] != '"') {
            if (text_[at_] == '\\') {
                escaped = true;
                ++at_; // the escaped character, a quote among them
            }
            ++at_;
        }
        ++at_;
        if (escaped) return mc::json::decodeString(text_.substr(open, at_ - open));
        return std::string(text_.substr(open + 1, at_ - open - 2));
    }
    // As Poco's parser: a fraction or an exponent makes a double; else a signed 64-bit integer, or an
    // unsigned one when it does not fit (Poco's own conversions, its limits included).
    Poco::Dynamic::Var number() {
        const std::size_t start = at_;
        bool real = false;
        for (; at_ < text_.size(); ++at_) {
            const char c = text_[at_];
            if (c == '.' || c == 'e' || c == 'E') real = true;
            else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) break;
        }
        const std::string digits(text_.substr(start, at_ - start));
        if (real) return Poco::NumberParser::parseFloat(digits);
        Poco::Int64 signedValue;
        if (Poco::NumberParser::tryParse64(digits, signedValue)) return signedValue;
        return Poco::NumberParser::parseUnsigned64(digits);
    }
    Poco::Dynamic::Var object() {
        Poco::JSON::Object::Ptr object = new Poco::JSON::Object(keyOptions_);
        ++at_;
        skipSpace();
        if (text_[at_] == '}') {
            ++at_;
            return object;
        }
        for (;;) {
            skipSpace();
            const std::string key = string();
            skipSpace();
            ++at_; // ':'
            object->set(key, value());
            skipSpace();
            if (text_[at_++] == '}') return object; // else ','
        }
    }
    Poco::Dynamic::Var array() {
        Poco::JSON::Array::Ptr array = new Poco::JSON::Array();
        ++at_;
        skipSpace();
        if (text_[at_] == ']') {
            ++at_;
            return array;
        }
        for (;;) {
            array->add(value());
            skipSpace();
            if (text_[at_++] == ']') return array; // else ','
        }
    }

    std::string_view text_;
    std::size_t at_ = 0;
    int keyOptions_;
};

} // namespace

Poco::Dynamic::Var parse(std::string_view text, KeyOrder order) {
    static const mc::json::ScanRules rules{kMaxDepth, false};
    const std::string problem = mc::json::problem(text, rules);
    if (!problem.empty()) throw Poco::JSON::JSONException(problem);
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (text[first] != '{' && text[first] != '[')
        throw Poco::JSON::JSONException("a JSON object or array is expected, not a single value");
    return TreeBuilder(text, order).value();
}

Poco::JSON::Object::Ptr parseObject(std::string_view text, KeyOrder order) {
    auto parsed = parse(text, order);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) throw Poco::JSON::JSONException("a JSON object is expected, not an array");
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

} // namespace mc::host::json
