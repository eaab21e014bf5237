#include "JsonSyntax.h"

#include <cctype>
#include <cstring>

namespace mc::discovery_files {
namespace {

constexpr int kMaxDepth = 512;

class Checker {
public:
    explicit Checker(std::string_view text) : text_(text) {}

    std::string run() {
        skipSpace();
        if (!value(0)) return error_;
        skipSpace();
        if (pos_ != text_.size()) fail("unexpected text after the JSON value");
        return error_;
    }

private:
    bool value(int depth) {
        if (depth > kMaxDepth) return fail("nested too deeply");
        if (pos_ >= text_.size()) return fail("unexpected end of file, expected a value");
        const char c = text_[pos_];
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') return string();
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number();
        for (const char* word : {"true", "false", "null"})
            if (text_.substr(pos_, std::strlen(word)) == word) {
                pos_ += std::strlen(word);
                return true;
            }
        return fail(std::string("unexpected character '") + c + "', expected a value");
    }
    bool object(int depth) {
        ++pos_;
        skipSpace();
        if (peek('}')) return ++pos_, true;
        for (;;) {
            skipSpace();
            if (!peek('"')) return fail("expected a member name in double quotes");
            if (!string()) return false;
            skipSpace();
            if (!peek(':')) return fail("expected ':' after the member name");
            ++pos_;
            skipSpace();
            if (!value(depth + 1)) return false;
            skipSpace();
            if (peek(',')) {
                ++pos_;
                skipSpace();
                if (peek('}')) return fail("trailing comma before '}'");
                continue;
            }
            if (peek('}')) return ++pos_, true;
            return fail("expected ',' or '}' in an object");
        }
    }
    bool array(int depth) {
        ++pos_;
        skipSpace();
        if (peek(']')) return ++pos_, true;
        for (;;) {
            skipSpace();
            if (!value(depth + 1)) return false;
            skipSpace();
            if (peek(',')) {
                ++pos_;
                skipSpace();
                if (peek(']')) return fail("trailing comma before ']'");
                continue;
            }
            if (peek(']')) return ++pos_, true;
            return fail("expected ',' or ']' in an array");
        }
    }
    bool string() {
        ++pos_;
        while (pos_ < text_.size()) {
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') return ++pos_, true;
            if (c < 0x20) return fail("control character in a string (unterminated string?)");
            if (c == '\\') {
                ++pos_;
                if (pos_ >= text_.size()) break;
                const char e = text_[pos_];
                if (e == 'u') {
                    for (int i = 1; i <= 4; ++i)
                        if (pos_ + i >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_ + i])))
                            return fail("invalid \\u escape");
                    pos_ += 4;
                } else if (!std::strchr("\"\\/bfnrt", e)) {
                    return fail(std::string("invalid escape '\\") + e + "'");
                }
            }
            ++pos_;
        }
        return fail("unterminated string");
    }
    bool number() {
        if (peek('-')) ++pos_;
        if (!digits()) return fail("invalid number");
        if (peek('.')) {
            ++pos_;
            if (!digits()) return fail("invalid number: digits expected after '.'");
        }
        if (peek('e') || peek('E')) {
            ++pos_;
            if (peek('+') || peek('-')) ++pos_;
            if (!digits()) return fail("invalid number: digits expected in the exponent");
        }
        return true;
    }
    bool digits() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        return pos_ > start;
    }
    bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    void skipSpace() {
        while (pos_ < text_.size() && std::strchr(" \t\r\n", text_[pos_]) && text_[pos_] != '\0') ++pos_;
    }
    bool fail(const std::string& what) {
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        error_ = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
        return false;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;
};

} // namespace

std::string jsonSyntaxError(std::string_view text) { return Checker(text).run(); }

} // namespace mc::discovery_files
