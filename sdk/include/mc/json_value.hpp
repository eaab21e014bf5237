// A small strict JSON reader (RFC 8259) for plugins and the SDK's own use: typed `config_json`,
// server definitions handed to a transport's `validate`/`open`, parameters of a store query. It builds
// a plain tree; documents here are small (configuration, one server definition), so simplicity wins
// over speed. Header-only, standard library only, no exceptions across the ABI (callers are behind
// the SDK's exception barriers).
//
//     mc::sdk::json::Value v = mc::sdk::json::parse(R"({"command":"npx","args":["-y","x"]})");
//     if (const auto* c = v.find("command"); c && c->isString()) use(c->str());
#pragma once

#include "mc/json_text.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::sdk::json {

// Thrown by parse(): what is wrong and the byte offset where it was seen.
class ParseError : public std::runtime_error {
public:
    ParseError(const std::string& what, std::size_t offset)
        : std::runtime_error("invalid JSON at byte " + std::to_string(offset) + ": " + what), offset_(offset) {}
    std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

class Value {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    struct Member;

    Value() = default;
    static Value null() { return Value(); }
    static Value boolean(bool b) { Value v(Type::Bool); v.bool_ = b; return v; }
    // `text` must be a JSON number (as written; integers are read back exactly from it).
    static Value number(std::string text) { Value v(Type::Number); v.text_ = std::move(text); return v; }
    static Value number(std::int64_t n) { return number(std::to_string(n)); }
    static Value string(std::string s) { Value v(Type::String); v.text_ = std::move(s); return v; }
    static Value array() { return Value(Type::Array); }
    static Value object() { return Value(Type::Object); }

    Type type() const noexcept { return type_; }
    bool isNull() const noexcept { return type_ == Type::Null; }
    bool isBool() const noexcept { return type_ == Type::Bool; }
    bool isNumber() const noexcept { return type_ == Type::Number; }
    bool isString() const noexcept { return type_ == Type::String; }
    bool isArray() const noexcept { return type_ == Type::Array; }
    bool isObject() const noexcept { return type_ == Type::Object; }

    // Unchecked accessors: the caller tested the type first.
    bool asBool() const noexcept { return bool_; }
    // String: its content; Number: its text as written.
    const std::string& str() const noexcept { return text_; }
    // The number as a double (may be +-inf when out of range; check std::isfinite).
    double asDouble() const noexcept { return std::strtod(text_.c_str(), nullptr); }
    // The number as an exact 64-bit integer: false when written with a fraction or an exponent, or
    // out of range.
    bool asInt64(std::int64_t& out) const noexcept {
        if (type_ != Type::Number || text_.find_first_of(".eE") != std::string::npos) return false;
        errno = 0;
        char* end = nullptr;
        const long long n = std::strtoll(text_.c_str(), &end, 10);
        if (errno == ERANGE || end != text_.c_str() + text_.size()) return false;
        out = n;
        return true;
    }
    const std::vector<Value>& items() const noexcept { return items_; }
    const std::vector<Member>& members() const noexcept { return members_; }

    // The member named `key` of an object (the last one when repeated), or nullptr.
    inline const Value* find(std::string_view key) const noexcept;

    // Building (tests, the fake host).
    Value& push(Value v) { items_.push_back(std::move(v)); return *this; }
    inline Value& set(std::string key, Value v);

    // Compact JSON text.
    inline std::string dump() const;
    inline void dumpTo(std::string& out) const;

private:
    explicit Value(Type t) : type_(t) {}
    Type type_ = Type::Null;
    bool bool_ = false;
    std::string text_;
    std::vector<Value> items_;
    std::vector<Member> members_;
};

struct Value::Member {
    std::string name;
    Value value;
};

inline const Value* Value::find(std::string_view key) const noexcept {
    for (auto it = members_.rbegin(); it != members_.rend(); ++it)
        if (it->name == key) return &it->value;
    return nullptr;
}

inline Value& Value::set(std::string key, Value v) {
    for (auto& m : members_)
        if (m.name == key) {
            m.value = std::move(v);
            return *this;
        }
    members_.push_back(Member{std::move(key), std::move(v)});
    return *this;
}

inline void Value::dumpTo(std::string& out) const {
    switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += bool_ ? "true" : "false"; break;
    case Type::Number: out += text_; break;
    case Type::String: out += '"'; appendEscaped(out, text_); out += '"'; break;
    case Type::Array:
        out += '[';
        for (std::size_t i = 0; i < items_.size(); ++i) {
            if (i) out += ',';
            items_[i].dumpTo(out);
        }
        out += ']';
        break;
    case Type::Object:
        out += '{';
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (i) out += ',';
            out += '"';
            appendEscaped(out, members_[i].name);
            out += "\":";
            members_[i].value.dumpTo(out);
        }
        out += '}';
        break;
    }
}

inline std::string Value::dump() const {
    std::string out;
    dumpTo(out);
    return out;
}

namespace detail {

class Reader {
public:
    explicit Reader(std::string_view text) : s_(text) {}

    Value document() {
        Value v = value(0);
        space();
        if (i_ != s_.size()) fail("unexpected text after the value");
        return v;
    }

private:
    static constexpr int kMaxDepth = 64;

    [[noreturn]] void fail(const std::string& what) const { throw ParseError(what, i_); }
    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool eat(char c) {
        space();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("expected '") + c + "'");
    }
    void literal(std::string_view word) {
        if (s_.substr(i_, word.size()) != word) fail("unexpected character");
        i_ += word.size();
    }

    Value value(int depth) {
        if (depth > kMaxDepth) fail("nested deeper than 64 levels");
        space();
        if (i_ >= s_.size()) fail("unexpected end of text");
        switch (s_[i_]) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return Value::string(quoted());
        case 't': literal("true"); return Value::boolean(true);
        case 'f': literal("false"); return Value::boolean(false);
        case 'n': literal("null"); return Value::null();
        default: return number();
        }
    }

    Value object(int depth) {
        ++i_; // '{'
        Value v = Value::object();
        if (eat('}')) return v;
        do {
            space();
            if (i_ >= s_.size() || s_[i_] != '"') fail("expected a member name");
            std::string name = quoted();
            expect(':');
            v.set(std::move(name), value(depth + 1));
        } while (eat(','));
        expect('}');
        return v;
    }

    Value array(int depth) {
        ++i_; // '['
        Value v = Value::array();
        if (eat(']')) return v;
        do v.push(value(depth + 1));
        while (eat(','));
        expect(']');
        return v;
    }

    Value number() {
        const std::size_t start = i_;
        const auto digits = [&] {
            const std::size_t from = i_;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
            return i_ - from;
        };
        if (i_ < s_.size() && s_[i_] == '-') ++i_;
        if (i_ < s_.size() && s_[i_] == '0') {
            ++i_;
        } else if (digits() == 0) {
            fail("unexpected character");
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (digits() == 0) fail("expected a digit after '.'");
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (digits() == 0) fail("expected a digit in the exponent");
        }
        return Value::number(std::string(s_.substr(start, i_ - start)));
    }

    unsigned hex4() {
        if (s_.size() - i_ < 4) fail("short \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }

    static void utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    std::string quoted() {
        ++i_; // '"'
        std::string out;
        while (true) {
            if (i_ >= s_.size()) fail("unterminated string");
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return out;
            }
            if (c < 0x20) fail("control character in a string");
            if (c >= 0x80) {
                const std::size_t n = utf8SequenceLength(s_, i_);
                if (n == 0) fail("invalid UTF-8");
                out.append(s_.data() + i_, n);
                i_ += n;
                continue;
            }
            ++i_;
            if (c != '\\') {
                out += char(c);
                continue;
            }
            if (i_ >= s_.size()) fail("unterminated escape");
            const char e = s_[i_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp = hex4();
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (s_.substr(i_, 2) != "\\u") fail("lone high surrogate");
                    i_ += 2;
                    const unsigned low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF) fail("bad low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail("lone low surrogate");
                }
                utf8(out, cp);
                break;
            }
            default: fail("bad escape");
            }
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

} // namespace detail

// Parses one JSON document; throws ParseError.
inline Value parse(std::string_view text) { return detail::Reader(text).document(); }

} // namespace mc::sdk::json
