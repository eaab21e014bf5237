#include "JsonScan.h"

#include <cctype>

namespace mc::mcp_stdio {
namespace {

// Deep nesting is legal JSON but a stack hazard for every parser downstream.
constexpr int kMaxDepth = 256;

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    JsonScan run() {
        JsonScan out;
        skipSpace();
        if (pos_ >= text_.size()) return failWith(out, "empty message");
        const char first = text_[pos_];
        out.kind = first == '{' || first == '[' ? first : 'v';
        if (!value(0, first == '[' ? &out.elements : nullptr)) return failWith(out, error_);
        skipSpace();
        if (pos_ != text_.size()) {
            errorOffset_ = pos_;
            return failWith(out, "trailing data at offset " + std::to_string(pos_));
        }
        out.ok = true;
        return out;
    }

private:
    JsonScan failWith(JsonScan& out, const std::string& why) {
        out.ok = false;
        out.error = why;
        out.offset = errorOffset_;
        out.elements.clear();
        return out;
    }
    bool fail(const std::string& why) {
        if (error_.empty()) {
            error_ = why + " at offset " + std::to_string(pos_);
            errorOffset_ = pos_;
        }
        return false;
    }
    bool unexpected() {
        if (pos_ >= text_.size()) return fail("unexpected end");
        const unsigned char c = static_cast<unsigned char>(text_[pos_]);
        if (c < 0x20 || c >= 0x7f) return fail("unexpected byte 0x" + hex(c));
        return fail(std::string("unexpected character '") + text_[pos_] + "'");
    }
    static std::string hex(unsigned char c) {
        const char* digits = "0123456789abcdef";
        return {digits[c >> 4], digits[c & 15]};
    }
    void skipSpace() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return unexpected();
        pos_ += word.size();
        return true;
    }
    bool value(int depth, std::vector<std::string_view>* elements) {
        if (depth > kMaxDepth) return fail("nesting deeper than " + std::to_string(kMaxDepth));
        if (pos_ >= text_.size()) return unexpected();
        switch (text_[pos_]) {
        case '{': return object(depth);
        case '[': return array(depth, elements);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }
    bool object(int depth) {
        ++pos_;
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
        for (;;) {
            skipSpace();
            if (pos_ >= text_.size() || text_[pos_] != '"') return unexpected();
            if (!string()) return false;
            skipSpace();
            if (pos_ >= text_.size() || text_[pos_] != ':') return unexpected();
            ++pos_;
            skipSpace();
            if (!value(depth + 1, nullptr)) return false;
            skipSpace();
            if (pos_ < text_.size() && text_[pos_] == ',') { ++pos_; continue; }
            if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
            return unexpected();
        }
    }
    bool array(int depth, std::vector<std::string_view>* elements) {
        ++pos_;
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == ']') return ++pos_, true;
        for (;;) {
            skipSpace();
            const std::size_t start = pos_;
            if (!value(depth + 1, nullptr)) return false;
            if (elements) elements->push_back(text_.substr(start, pos_ - start));
            skipSpace();
            if (pos_ < text_.size() && text_[pos_] == ',') { ++pos_; continue; }
            if (pos_ < text_.size() && text_[pos_] == ']') return ++pos_, true;
            return unexpected();
        }
    }
    bool string() {
        ++pos_; // opening quote
        while (pos_ < text_.size()) {
            const unsigned char c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') return ++pos_, true;
            if (c < 0x20) return fail("control character in a string");
            if (c == '\\') {
                ++pos_;
                if (pos_ >= text_.size()) return unexpected();
                const char e = text_[pos_];
                if (e == 'u') {
                    for (int i = 1; i <= 4; ++i) {
                        if (pos_ + i >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_ + i]))) {
                            pos_ += i;
                            return fail("bad \\u escape");
                        }
                    }
                    pos_ += 5;
                    continue;
                }
                if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return fail("bad escape");
            }
            ++pos_;
        }
        return fail("unterminated string");
    }
    bool digits() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        return pos_ > start || unexpected();
    }
    bool number() {
        if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '0') {
            ++pos_;
        } else if (!digits()) {
            return false;
        }
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            if (!digits()) return false;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            if (!digits()) return false;
        }
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;
    std::size_t errorOffset_ = 0;
};

} // namespace

JsonScan scanJson(std::string_view text) { return Scanner(text).run(); }

} // namespace mc::mcp_stdio
