#include "mc/json/Scan.h"
#include "mc/json_text.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace mc::json {
namespace {

class Scanner {
public:
    Scanner(std::string_view text, const ScanRules& rules, Scan* parts) : s_(text), rules_(rules), parts_(parts) {}

    // "" or the first problem, with its byte.
    std::string run() {
        skipSpace();
        if (!value(0)) return why_;
        skipSpace();
        if (at_ != s_.size()) failed("text after the value");
        return why_;
    }
    std::size_t problemAt() const { return whyAt_; }

private:
    bool failed(const std::string& what) {
        if (why_.empty()) {
            why_ = what + " at byte " + std::to_string(at_);
            whyAt_ = at_;
        }
        return false;
    }
    void skipSpace() {
        while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
    }
    bool literal(std::string_view word) {
        if (s_.substr(at_, word.size()) != word) return failed("an unknown literal");
        at_ += word.size();
        return true;
    }
    // The value of four hex digits at `from`, or -1.
    long hex4(std::size_t from) const {
        long value = 0;
        for (std::size_t i = from; i < from + 4; ++i) {
            if (i >= s_.size()) return -1;
            const char c = s_[i];
            const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        return value;
    }
    bool digits() {
        const std::size_t start = at_;
        while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') ++at_;
        return at_ > start;
    }
    bool number() {
        const bool negative = s_[at_] == '-';
        if (negative) ++at_;
        const std::size_t start = at_;
        if (at_ < s_.size() && s_[at_] == '0') ++at_;
        else if (!digits()) return failed("a number without digits");
        const std::string_view integer = s_.substr(start, at_ - start);
        const bool fraction = at_ < s_.size() && (s_[at_] == '.' || s_[at_] == 'e' || s_[at_] == 'E');
        if (rules_.portableNumbers && !fraction) {
            const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
            if (integer.size() > limit.size() || (integer.size() == limit.size() && integer > limit)) {
                at_ = start;
                return failed("an integer beyond 64 bits");
            }
        }
        if (at_ < s_.size() && s_[at_] == '.') {
            ++at_;
            if (!digits()) return failed("a number without digits after '.'");
        }
        if (at_ < s_.size() && (s_[at_] == 'e' || s_[at_] == 'E')) {
            ++at_;
            if (at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-')) ++at_;
            if (!digits()) return failed("a number without exponent digits");
        }
        if (rules_.portableNumbers && fraction &&
            !std::isfinite(std::strtod(std::string(s_.substr(start - negative, at_ - start + negative)).c_str(), nullptr))) {
            at_ = start;
            return failed("a number beyond the range of a double");
        }
        return true;
    }
    // Past the plain characters from at_ (printable ASCII but the quote and the backslash).
    void skipPlain() { at_ = mc::sdk::json::plainRunEnd(s_, at_); }
    bool string() {
        ++at_; // the opening quote
        while (at_ < s_.size()) {
            skipPlain();
            if (at_ >= s_.size()) break;
            const auto c = static_cast<unsigned char>(s_[at_]);
            if (c == '"') {
                ++at_;
                return true;
            }
            if (c < 0x20) return failed("a control character in a string");
            if (c == '\\') {
                if (++at_ >= s_.size()) break;
                const char e = s_[at_];
                if (e == 'u') {
                    const long unit = hex4(at_ + 1);
                    if (unit < 0) return failed("a \\u escape without four hex digits");
                    // UTF-16 surrogates come in pairs, high then low (readers refuse a lone one).
                    if (unit >= 0xdc00 && unit <= 0xdfff) return failed("a lone low surrogate escape");
                    if (unit >= 0xd800 && unit <= 0xdbff) {
                        const long low = at_ + 6 < s_.size() && s_[at_ + 5] == '\\' && s_[at_ + 6] == 'u' ? hex4(at_ + 7) : -1;
                        if (low < 0xdc00 || low > 0xdfff) return failed("a high surrogate escape without its low one");
                        at_ += 6;
                    }
                    at_ += 5;
                } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                    ++at_;
                } else {
                    return failed("an unknown escape");
                }
                continue;
            }
            if (c < 0x80) {
                ++at_;
                continue;
            }
            // UTF-8: a lead byte and its continuation bytes, shortest form, no surrogates, at most U+10FFFF.
            const int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;
            if (extra < 0 || c > 0xf4) return failed("a byte that is not UTF-8");
            if (at_ + static_cast<std::size_t>(extra) >= s_.size()) return failed("a truncated UTF-8 sequence");
            const auto c1 = static_cast<unsigned char>(s_[at_ + 1]);
            if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
                return failed("a byte that is not UTF-8");
            for (int i = 1; i <= extra; ++i)
                if ((static_cast<unsigned char>(s_[at_ + static_cast<std::size_t>(i)]) & 0xc0) != 0x80)
                    return failed("a byte that is not UTF-8");
            at_ += static_cast<std::size_t>(extra) + 1;
        }
        return failed("an unterminated string");
    }
    bool value(std::size_t depth) {
        if (at_ >= s_.size()) return failed("a missing value");
        const char c = s_[at_];
        if (c == '{' || c == '[') {
            if (depth + 1 > rules_.maxDepth)
                return failed("more than " + std::to_string(rules_.maxDepth) + " levels of objects and arrays");
            const bool collect = parts_ && depth == 0; // the top level's parts
            const char close = c == '{' ? '}' : ']';
            ++at_;
            skipSpace();
            if (at_ < s_.size() && s_[at_] == close) {
                ++at_;
                return true;
            }
            for (;;) {
                std::string_view key;
                if (c == '{') {
                    if (at_ >= s_.size() || s_[at_] != '"') return failed("an object key that is not a string");
                    const std::size_t keyStart = at_;
                    if (!string()) return false;
                    key = s_.substr(keyStart + 1, at_ - keyStart - 2);
                    skipSpace();
                    if (at_ >= s_.size() || s_[at_] != ':') return failed("a missing ':'");
                    ++at_;
                    skipSpace();
                }
                const std::size_t valueStart = at_;
                if (!value(depth + 1)) return false;
                if (collect) {
                    const std::string_view text = s_.substr(valueStart, at_ - valueStart);
                    if (c == '{') parts_->members.push_back({key, text});
                    else parts_->elements.push_back(text);
                }
                skipSpace();
                if (at_ < s_.size() && s_[at_] == ',') {
                    ++at_;
                    skipSpace();
                    continue;
                }
                if (at_ < s_.size() && s_[at_] == close) {
                    ++at_;
                    return true;
                }
                return failed(c == '{' ? "a missing ',' or '}'" : "a missing ',' or ']'");
            }
        }
        if (c == '"') return string();
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        return unexpected(c);
    }
    // Names what is there: a printable character as itself, any other byte in hex.
    bool unexpected(char c) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) return failed(std::string("an unexpected character '") + c + "'");
        const char* digits = "0123456789abcdef";
        return failed(std::string("an unexpected byte 0x") + digits[byte >> 4] + digits[byte & 15]);
    }

    std::string_view s_;
    const ScanRules& rules_;
    Scan* parts_;
    std::size_t at_ = 0;
    std::string why_;
    std::size_t whyAt_ = 0;
};

void appendUtf8(std::string& out, unsigned long code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
}

unsigned long hexValue(std::string_view four) {
    unsigned long value = 0;
    for (char c : four) value = value * 16 + static_cast<unsigned long>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    return value;
}

// The characters between a scanned string's quotes, decoded.
std::string decodeInner(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '\\') {
            out += in[i];
            continue;
        }
        const char e = in[++i];
        switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            unsigned long code = hexValue(in.substr(i + 1, 4));
            i += 4;
            if (code >= 0xd800 && code <= 0xdbff) { // its low half follows (scan checked): \uDCxx
                code = 0x10000 + ((code - 0xd800) << 10) + (hexValue(in.substr(i + 3, 4)) - 0xdc00);
                i += 6;
            }
            appendUtf8(out, code);
            break;
        }
        default: out += e; // '"', '\\', '/'
        }
    }
    return out;
}

} // namespace

std::optional<std::string_view> Scan::member(std::string_view key) const {
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
        if (it->key.find('\\') == std::string_view::npos ? it->key == key : decodeInner(it->key) == key) return it->value;
    }
    return std::nullopt;
}

Scan scan(std::string_view text, const ScanRules& rules) {
    Scan out;
    Scanner scanner(text, rules, &out);
    out.problem = scanner.run();
    if (!out.problem.empty()) {
        out.offset = scanner.problemAt();
        out.members.clear();
        out.elements.clear();
        return out;
    }
    const char first = text[text.find_first_not_of(" \t\r\n")];
    out.kind = first == '-' || (first >= '0' && first <= '9') ? '0' : first;
    return out;
}

std::string problem(std::string_view text, const ScanRules& rules) { return Scanner(text, rules, nullptr).run(); }

std::string decodeString(std::string_view quoted) { return decodeInner(quoted.substr(1, quoted.size() - 2)); }

std::optional<std::string> stringValue(std::optional<std::string_view> value) {
    if (!value || value->empty() || value->front() != '"') return std::nullopt;
    return decodeString(*value);
}

} // namespace mc::json
