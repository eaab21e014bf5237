// Mission Control plugin SDK for plugin ABI 2.0: a header-only C++17 layer over plugin_abi.h.
//
// It is compiled into each plugin, so no std:: type, exception or allocation ever crosses the C
// boundary: every trampoline below is an exception barrier that turns a C++ exception into an
// mc_status plus a reason recorded through mc_host_api::set_error.
//
// A plugin declares its settings ONCE, as a table binding a struct's fields to its configuration
// keys. The table yields both the descriptor's mc_config_key[] (what the host validates, documents
// and shows) and the parsing of config_json into the struct (defaults, ranges and choices included):
//
//     struct Settings {
//         std::vector<std::string> paths;
//         std::int64_t pollIntervalMs;
//         std::string policy;
//     };
//     constexpr mc::sdk::Key<Settings> kSettings[] = {
//         mc::sdk::key("paths", &Settings::paths).required().help("Config files to read"),
//         mc::sdk::key("poll_interval_ms", &Settings::pollIntervalMs).byDefault("2000").range(10, 600000)
//             .help("How often the files are checked"),
//         mc::sdk::key("policy", &Settings::policy).choices("auto-connect,list-only").byDefault("list-only")
//             .help("What the host does with what is found"),
//         mc::sdk::key<Settings>("enabled", MC_CONFIG_BOOL).byDefault("true")
//             .help("Read by the host (not bound to a field): false loads the plugin without starting it"),
//     };
//
//     class MyDiscovery final : public mc::sdk::DiscoveryPlugin {
//     public:
//         MyDiscovery(mc::sdk::Host host, const Settings& s, mc::sdk::Discovered out);
//         ...
//     };
//     MC_DECLARE_DISCOVERY_PLUGIN(MyDiscovery, "discovery-mine", "1.0.0", "What it does",
//                                 "discovery.mine", kSettings)
//
// Field types and the key type they declare: std::string -> STRING (ENUM with .choices(...)),
// std::int64_t -> INT, bool -> BOOL, double -> DOUBLE, std::vector<std::string> -> LIST,
// std::map<std::string, std::string> -> OBJECT. A plugin without keys passes mc::sdk::noSettings
// and its constructor takes no settings. The table is checked at compile time (names, defaults
// that parse and fit their range and choices, REQUIRED without default, ...); a wrong table stops
// the build with SettingsTableCheck<KeyProblem::..., index of the key> in the message.
//
// The constructor is `create` (it gets the parsed settings; it must not start threads or touch the
// network), start()/stop() are the hooks of the same name, the destructor is `destroy`.
//
// OWNERSHIP rules the C++ layer adds to the ABI's:
//  - Host, Discovered and ConnectionEvents are small handles, copyable; they stay usable until the
//    instance's destructor returns (Host) or stop() returns (Discovered) or Connection::close()
//    returns (ConnectionEvents). Keep copies, never pointers into the C structs: the SDK copies
//    mc_discovery_output and mc_connection_callbacks at create/open, as the ABI requires.
//  - A Connection returned by open() is owned by the SDK until the host calls close_connection,
//    which calls Connection::close() and then deletes it.
//  - Destructors are noexcept: a destructor that throws terminates the host process.
// THREAD rules the C++ layer adds:
//  - Discovered and ConnectionEvents may be called from any plugin thread, also from several at
//    once: the SDK serializes the calls per instance / per connection (the ABI allows one at a
//    time). ConnectionEvents never from inside a host call into the same connection (open, send,
//    close: no re-entry); Discovered also from inside start() and refresh(). Neither after
//    stop() / Connection::close() returned.
//  - Host may be used from any thread; setError only from inside the failing hook (the SDK's
//    barriers do it for you: throw mc::sdk::Error instead).
//  - If start() returns without any reportStatus() since it began, the SDK reports
//    MC_COMPONENT_OK ("started"); report RECOVERABLE_ERROR etc. from start() or later to override.
#pragma once

#include "mc/abi_text.hpp"
#include "mc/json_value.hpp"
#include "mc/plugin_abi.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// True when the struct at PTR (which starts with struct_size) is large enough to hold FIELD.
#define MC_SDK_HAS_FIELD(PTR, TYPE, FIELD) \
    ::mc::sdk::detail::holds((PTR), offsetof(TYPE, FIELD) + sizeof(std::declval<TYPE&>().FIELD))

namespace mc::sdk {

namespace detail {
template <class T>
constexpr bool holds(const T* s, std::size_t end) noexcept { return s != nullptr && s->struct_size >= end; }
} // namespace detail

// "ok", "io", "unavailable", ...: an mc_status in messages and logs ("unknown" for a value outside the enum).
constexpr const char* statusName(mc_status status) noexcept {
    switch (status) {
    case MC_STATUS_INVALID: return "invalid";
    case MC_OK: return "ok";
    case MC_ERR_CONFIG: return "config";
    case MC_ERR_IO: return "io";
    case MC_ERR_UNSUPPORTED: return "unsupported";
    case MC_ERR_INTERNAL: return "internal";
    case MC_ERR_NOT_FOUND: return "not_found";
    case MC_ERR_CONFLICT: return "conflict";
    case MC_ERR_UNAVAILABLE: return "unavailable";
    case MC_ERR_TIMEOUT: return "timeout";
    case MC_ERR_INVALID_ARGUMENT: return "invalid_argument";
    }
    return "unknown";
}


// Throw this from a plugin to return a specific status with a reason.
class Error : public std::runtime_error {
public:
    Error(mc_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    mc_status status() const noexcept { return status_; }

private:
    mc_status status_;
};

// ---------------------------------------------------------------------------------------------------
// Declared keys: checks usable at compile time (the settings table) and at run time (the fake host).

namespace detail {

constexpr char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || isDigit(c); }
constexpr bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
    return true;
}
constexpr bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
constexpr std::string_view trim(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}
// The next comma-separated, trimmed, non-empty item of `rest` (consumed); false at the end.
constexpr bool nextItem(std::string_view& rest, std::string_view& item) {
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        item = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (!item.empty()) return true;
    }
    return false;
}
constexpr bool inChoices(std::string_view choices, std::string_view value) {
    std::string_view item;
    while (nextItem(choices, item))
        if (equalsIgnoreCase(item, value)) return true;
    return false;
}
// BOOL as text: true/false, yes/no, on/off, 1/0, case-insensitive.
constexpr bool parseBool(std::string_view t, bool& out) {
    t = trim(t);
    for (std::string_view yes : {"true", "yes", "on", "1"})
        if (equalsIgnoreCase(t, yes)) return out = true, true;
    for (std::string_view no : {"false", "no", "off", "0"})
        if (equalsIgnoreCase(t, no)) return out = false, true;
    return false;
}
// INT as text: optional sign and decimal digits, within int64.
constexpr bool parseInt(std::string_view t, std::int64_t& out) {
    t = trim(t);
    std::size_t i = 0;
    const bool negative = !t.empty() && t[0] == '-';
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) ++i;
    if (i == t.size()) return false;
    const std::uint64_t limit = negative ? 9223372036854775808ull : 9223372036854775807ull;
    std::uint64_t v = 0;
    for (; i < t.size(); ++i) {
        if (!isDigit(t[i])) return false;
        const std::uint64_t d = std::uint64_t(t[i] - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    out = negative ? (v == 9223372036854775808ull ? INT64_MIN : -std::int64_t(v)) : std::int64_t(v);
    return true;
}
// DOUBLE as text: [sign] digits [. digits] [e [sign] digits].
constexpr bool isNumberText(std::string_view t) {
    t = trim(t);
    std::size_t i = 0, n = 0;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    for (n = 0; i < t.size() && isDigit(t[i]); ++i) ++n;
    if (n == 0) return false;
    if (i < t.size() && t[i] == '.') {
        for (++i, n = 0; i < t.size() && isDigit(t[i]); ++i) ++n;
        if (n == 0) return false;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
        for (n = 0; i < t.size() && isDigit(t[i]); ++i) ++n;
        if (n == 0) return false;
    }
    return i == t.size();
}
// Key names: [a-z0-9][a-z0-9_.-]*, no empty dot-separated part, at most 128 characters.
constexpr bool validKeyName(std::string_view n) {
    if (n.empty() || n.size() > 128 || !isLowerAlnum(n[0]) || n.back() == '.') return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char c = n[i];
        if (!(isLowerAlnum(c) || c == '_' || c == '-' || c == '.')) return false;
        if (c == '.' && i + 1 < n.size() && n[i + 1] == '.') return false;
    }
    return true;
}
// Plugin ids: [a-z0-9][a-z0-9-]*, at most 64 characters.
constexpr bool validId(std::string_view id) {
    if (id.empty() || id.size() > 64 || !isLowerAlnum(id[0])) return false;
    for (char c : id)
        if (!(isLowerAlnum(c) || c == '-')) return false;
    return true;
}
// Configuration prefixes: dot-separated parts [a-z0-9][a-z0-9_-]*, e.g. "discovery.files".
constexpr bool validPrefix(std::string_view p) {
    if (p.empty() || p.size() > 128) return false;
    bool partStart = true;
    for (char c : p) {
        if (c == '.') {
            if (partStart) return false;
            partStart = true;
        } else if (partStart) {
            if (!isLowerAlnum(c)) return false;
            partStart = false;
        } else if (!(isLowerAlnum(c) || c == '_' || c == '-')) {
            return false;
        }
    }
    return !partStart;
}

// What can be wrong with one declared key (KeyProblem::None: nothing). Checked at compile time on
// SDK settings tables (a wrong table stops the build, naming the problem and the key's index) and by
// the fake host on any descriptor, so both apply the same rules.
enum class KeyProblem {
    None,
    BadName,             // the name must match [a-z0-9][a-z0-9_.-]* (no empty dot-separated part)
    UnknownType,
    UnknownFlags,
    NoDescription,       // the help text is the documentation
    RequiredWithDefault, // a REQUIRED key has no default
    RangeOnWrongType,    // a range applies to INT and DOUBLE keys only
    RangeMinAboveMax,
    ChoicesOnWrongType,  // choices apply to ENUM keys only
    EnumWithoutChoices,
    ChoicesNotLowerCase, // values are handed over lower-case, so choices are written so
    DefaultNotInteger,
    DefaultNotNumber,
    DefaultNotBoolean,
    DefaultOutOfRange,
    DefaultNotAChoice,
    ObjectWithDefault,   // an OBJECT key has no default
    FieldTypeMismatch,   // choices() makes an ENUM, which binds a std::string only
    DuplicateName,
    ExampleNotValid      // the example must be a value the key accepts
};

inline const char* describe(KeyProblem p) {
    switch (p) {
    case KeyProblem::None: return "no problem";
    case KeyProblem::BadName: return "the name must match [a-z0-9][a-z0-9_.-]* (no empty dot-separated part)";
    case KeyProblem::UnknownType: return "unknown type";
    case KeyProblem::UnknownFlags: return "unknown flag bits";
    case KeyProblem::NoDescription: return "no description (it is the key's help text)";
    case KeyProblem::RequiredWithDefault: return "a REQUIRED key has no default";
    case KeyProblem::RangeOnWrongType: return "a range applies to INT and DOUBLE keys only";
    case KeyProblem::RangeMinAboveMax: return "the range's min is greater than its max";
    case KeyProblem::ChoicesOnWrongType: return "choices apply to ENUM keys only";
    case KeyProblem::EnumWithoutChoices: return "an ENUM key needs choices";
    case KeyProblem::ChoicesNotLowerCase: return "choices are written lower-case (values are handed over lower-case)";
    case KeyProblem::DefaultNotInteger: return "the default is not an integer";
    case KeyProblem::DefaultNotNumber: return "the default is not a number";
    case KeyProblem::DefaultNotBoolean: return "the default is not a boolean";
    case KeyProblem::DefaultOutOfRange: return "the default is out of the range";
    case KeyProblem::DefaultNotAChoice: return "the default is not one of the choices";
    case KeyProblem::ObjectWithDefault: return "an OBJECT key has no default";
    case KeyProblem::FieldTypeMismatch: return "the key's type does not fit the bound field";
    case KeyProblem::DuplicateName: return "two keys have the same name";
    case KeyProblem::ExampleNotValid: return "the example is not a value the key accepts";
    }
    return "unknown problem";
}

// Whether `text` is a value of the key (the default, or the example), as a default's problem.
constexpr KeyProblem valueProblem(const mc_config_key& k, std::string_view text) {
    const bool ranged = (k.flags & MC_CONFIG_HAS_RANGE) != 0;
    switch (k.type) {
    case MC_CONFIG_INT: {
        std::int64_t v = 0;
        if (!parseInt(text, v)) return KeyProblem::DefaultNotInteger;
        if (ranged && (double(v) < k.min || double(v) > k.max)) return KeyProblem::DefaultOutOfRange;
        break;
    }
    case MC_CONFIG_DOUBLE:
        if (!isNumberText(text)) return KeyProblem::DefaultNotNumber;
        break;
    case MC_CONFIG_BOOL: {
        bool b = false;
        if (!parseBool(text, b)) return KeyProblem::DefaultNotBoolean;
        break;
    }
    case MC_CONFIG_ENUM:
        if (!inChoices(view(k.choices), trim(text))) return KeyProblem::DefaultNotAChoice;
        break;
    case MC_CONFIG_OBJECT: return KeyProblem::ObjectWithDefault;
    default: break;
    }
    return KeyProblem::None;
}

constexpr KeyProblem keyProblem(const mc_config_key& k) {
    const std::string_view name = view(k.name), def = view(k.default_value), choices = view(k.choices);
    const bool hasDefault = !def.empty();
    if (!validKeyName(name)) return KeyProblem::BadName;
    if (k.type < MC_CONFIG_STRING || k.type > MC_CONFIG_OBJECT) return KeyProblem::UnknownType;
    if (k.flags & ~std::uint32_t(MC_CONFIG_REQUIRED | MC_CONFIG_SECRET | MC_CONFIG_HAS_RANGE))
        return KeyProblem::UnknownFlags;
    if (view(k.description).empty()) return KeyProblem::NoDescription;
    if ((k.flags & MC_CONFIG_REQUIRED) && hasDefault) return KeyProblem::RequiredWithDefault;
    const bool ranged = (k.flags & MC_CONFIG_HAS_RANGE) != 0;
    if (ranged && k.type != MC_CONFIG_INT && k.type != MC_CONFIG_DOUBLE) return KeyProblem::RangeOnWrongType;
    if (ranged && !(k.min <= k.max)) return KeyProblem::RangeMinAboveMax;
    if (!choices.empty() && k.type != MC_CONFIG_ENUM) return KeyProblem::ChoicesOnWrongType;
    if (k.type == MC_CONFIG_ENUM) {
        std::string_view rest = choices, item;
        if (!nextItem(rest, item)) return KeyProblem::EnumWithoutChoices;
        for (char c : choices)
            if (c >= 'A' && c <= 'Z') return KeyProblem::ChoicesNotLowerCase;
    }
    if (hasDefault) {
        const KeyProblem p = valueProblem(k, def);
        if (p != KeyProblem::None) return p;
    }
    if (!view(k.example).empty() && valueProblem(k, view(k.example)) != KeyProblem::None)
        return KeyProblem::ExampleNotValid;
    return KeyProblem::None;
}

// ---- run-time conversion of values (the fake host for input text, the SDK for defaults) ----------

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lowerAscii(c);
    return out;
}

// 10 as "10", 0.5 as "0.5".
inline std::string formatNumber(double d) {
    char buf[64];
    if (d > -9.2e18 && d < 9.2e18 && d == double(std::int64_t(d)))
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
    else
        std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
}

inline std::string choiceList(std::string_view choices) {
    std::string out;
    std::string_view item;
    while (nextItem(choices, item)) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

// "an integer in [10, 600000]", "one of a, b", ...
inline std::string expected(const mc_config_key& k) {
    const bool ranged = (k.flags & MC_CONFIG_HAS_RANGE) != 0;
    const std::string range = ranged ? " in [" + formatNumber(k.min) + ", " + formatNumber(k.max) + "]" : "";
    switch (k.type) {
    case MC_CONFIG_STRING: return "a string";
    case MC_CONFIG_INT: return "an integer" + range;
    case MC_CONFIG_BOOL: return "true or false";
    case MC_CONFIG_DOUBLE: return "a number" + range;
    case MC_CONFIG_ENUM: return "one of " + choiceList(view(k.choices));
    case MC_CONFIG_LIST: return "a list (comma-separated text; in config_json an array of strings)";
    case MC_CONFIG_OBJECT:
        return "sub-keys " + std::string(view(k.name)) + ".<name> (in config_json an object of strings)";
    default: return "a value of a known type";
    }
}

// Error(MC_ERR_CONFIG, "<name> = '<shown>': expected <what><note>"); secrets are never shown.
[[noreturn]] inline void badValue(const mc_config_key& k, std::string_view name, std::string_view shown,
                                  std::string_view note = {}) {
    std::string value = (k.flags & MC_CONFIG_SECRET) ? std::string("(secret)") : std::string(shown);
    if (value.size() > 200) value = value.substr(0, 200) + "...";
    throw Error(MC_ERR_CONFIG, std::string(name) + " = '" + value + "': expected " + expected(k) + std::string(note));
}

inline void checkRange(const mc_config_key& k, std::string_view name, double v, std::string_view shown) {
    if ((k.flags & MC_CONFIG_HAS_RANGE) && (v < k.min || v > k.max)) badValue(k, name, shown);
}

// Number text as isNumberText accepts it ("+007.5") -> valid JSON number text ("7.5").
inline std::string jsonNumberText(std::string_view t) {
    std::string out;
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
        if (t[0] == '-') out += '-';
        t.remove_prefix(1);
    }
    while (t.size() > 1 && t[0] == '0' && isDigit(t[1])) t.remove_prefix(1);
    out += t;
    return out;
}

// A value written as text (a .properties line, a declared default) -> its typed JSON value, checked.
// Throws Error(MC_ERR_CONFIG) naming `name`.
inline json::Value valueFromText(const mc_config_key& k, std::string_view name, std::string_view text) {
    switch (k.type) {
    case MC_CONFIG_STRING: return json::Value::string(std::string(text));
    case MC_CONFIG_INT: {
        std::int64_t v = 0;
        if (!parseInt(text, v)) badValue(k, name, text);
        checkRange(k, name, double(v), text);
        return json::Value::number(v);
    }
    case MC_CONFIG_DOUBLE: {
        const std::string t(trim(text));
        if (!isNumberText(t)) badValue(k, name, text);
        const double v = std::strtod(t.c_str(), nullptr);
        if (!std::isfinite(v)) badValue(k, name, text);
        checkRange(k, name, v, text);
        return json::Value::number(jsonNumberText(t));
    }
    case MC_CONFIG_BOOL: {
        bool b = false;
        if (!parseBool(text, b)) badValue(k, name, text);
        return json::Value::boolean(b);
    }
    case MC_CONFIG_ENUM: {
        const std::string_view t = trim(text);
        if (!inChoices(view(k.choices), t)) badValue(k, name, text);
        return json::Value::string(lower(t));
    }
    case MC_CONFIG_LIST: {
        json::Value list = json::Value::array();
        std::string_view rest = text, item;
        while (nextItem(rest, item)) list.push(json::Value::string(std::string(item)));
        return list;
    }
    default: badValue(k, name, text);
    }
}

inline std::string shown(const json::Value& v) { return v.isString() ? v.str() : v.dump(); }

// Checks a typed JSON value (config_json) against the key. Throws Error(MC_ERR_CONFIG) naming `name`.
inline void checkValue(const mc_config_key& k, std::string_view name, const json::Value& v) {
    const char* textNote = v.isString() ? " (a JSON string was given)" : "";
    switch (k.type) {
    case MC_CONFIG_STRING:
        if (!v.isString()) badValue(k, name, shown(v));
        return;
    case MC_CONFIG_INT: {
        std::int64_t n = 0;
        if (!v.asInt64(n)) badValue(k, name, shown(v), textNote);
        checkRange(k, name, double(n), shown(v));
        return;
    }
    case MC_CONFIG_DOUBLE:
        if (!v.isNumber() || !std::isfinite(v.asDouble())) badValue(k, name, shown(v), textNote);
        checkRange(k, name, v.asDouble(), shown(v));
        return;
    case MC_CONFIG_BOOL:
        if (!v.isBool()) badValue(k, name, shown(v), textNote);
        return;
    case MC_CONFIG_ENUM:
        if (!v.isString() || !inChoices(view(k.choices), v.str())) badValue(k, name, shown(v));
        return;
    case MC_CONFIG_LIST:
        if (!v.isArray()) badValue(k, name, shown(v));
        for (const auto& item : v.items())
            if (!item.isString()) badValue(k, name, shown(v));
        return;
    case MC_CONFIG_OBJECT:
        if (!v.isObject()) badValue(k, name, shown(v));
        for (const auto& m : v.members())
            if (!m.value.isString()) badValue(k, name, shown(v));
        return;
    default: badValue(k, name, shown(v));
    }
}

} // namespace detail

// ---------------------------------------------------------------------------------------------------
// Settings binding.

enum class Field : unsigned char { None, Text, Int, Bool, Double, List, Object };

// One declared key, optionally bound to a field of S. Built with mc::sdk::key(...) and the chained
// setters below, all constexpr, so a table of them is static data.
template <class S>
struct Key {
    mc_config_key decl{};
    Field field = Field::None;
    std::string S::*text = nullptr;
    std::int64_t S::*integer = nullptr;
    bool S::*boolean = nullptr;
    double S::*real = nullptr;
    std::vector<std::string> S::*list = nullptr;
    std::map<std::string, std::string> S::*object = nullptr;

    // The default, written as an operator would write it ("2000", "true", "a, b").
    constexpr Key byDefault(std::string_view value) const { Key k = *this; k.decl.default_value = str(value); return k; }
    // INT/DOUBLE: inclusive bounds.
    constexpr Key range(double min, double max) const {
        Key k = *this;
        k.decl.flags |= MC_CONFIG_HAS_RANGE;
        k.decl.min = min;
        k.decl.max = max;
        return k;
    }
    // Makes the key an ENUM (bound to a std::string, which receives the choice lower-case).
    constexpr Key choices(std::string_view commaSeparated) const {
        Key k = *this;
        k.decl.type = MC_CONFIG_ENUM;
        k.decl.choices = str(commaSeparated);
        return k;
    }
    constexpr Key required() const { Key k = *this; k.decl.flags |= MC_CONFIG_REQUIRED; return k; }
    // Never logged or shown; the operator may write ${env:NAME} or ${file:/path}.
    constexpr Key secret() const { Key k = *this; k.decl.flags |= MC_CONFIG_SECRET; return k; }
    // One sentence of help (required: it is the documentation).
    constexpr Key help(std::string_view sentence) const { Key k = *this; k.decl.description = str(sentence); return k; }
    // The value the generated .properties.example shows (a required key needs one; default: the default).
    constexpr Key example(std::string_view value) const { Key k = *this; k.decl.example = str(value); return k; }
};

namespace detail {
template <class S>
constexpr Key<S> declare(std::string_view name, mc_config_type type, Field field) {
    Key<S> k{};
    k.decl.struct_size = sizeof(mc_config_key);
    k.decl.name = str(name);
    k.decl.type = type;
    k.field = field;
    return k;
}
} // namespace detail

template <class S>
constexpr Key<S> key(std::string_view name, std::string S::*f) {
    Key<S> k = detail::declare<S>(name, MC_CONFIG_STRING, Field::Text);
    k.text = f;
    return k;
}
template <class S>
constexpr Key<S> key(std::string_view name, std::int64_t S::*f) {
    Key<S> k = detail::declare<S>(name, MC_CONFIG_INT, Field::Int);
    k.integer = f;
    return k;
}
template <class S>
constexpr Key<S> key(std::string_view name, bool S::*f) {
    Key<S> k = detail::declare<S>(name, MC_CONFIG_BOOL, Field::Bool);
    k.boolean = f;
    return k;
}
template <class S>
constexpr Key<S> key(std::string_view name, double S::*f) {
    Key<S> k = detail::declare<S>(name, MC_CONFIG_DOUBLE, Field::Double);
    k.real = f;
    return k;
}
template <class S>
constexpr Key<S> key(std::string_view name, std::vector<std::string> S::*f) {
    Key<S> k = detail::declare<S>(name, MC_CONFIG_LIST, Field::List);
    k.list = f;
    return k;
}
template <class S>
constexpr Key<S> key(std::string_view name, std::map<std::string, std::string> S::*f) {
    Key<S> k = detail::declare<S>(name, MC_CONFIG_OBJECT, Field::Object);
    k.object = f;
    return k;
}
// A declared key bound to no field: read by the host (e.g. a discovery source's `enabled`, `policy`)
// or through Host::config.
template <class S>
constexpr Key<S> key(std::string_view name, mc_config_type type) {
    return detail::declare<S>(name, type, Field::None);
}

// For plugins that declare no keys: pass mc::sdk::noSettings as SETTINGS.
struct NoSettings {};
struct NoSettingsTable {};
inline constexpr NoSettingsTable noSettings{};

namespace detail {

template <class S>
constexpr bool fieldFits(const Key<S>& k) {
    switch (k.field) {
    case Field::None: return true;
    case Field::Text: return k.decl.type == MC_CONFIG_STRING || k.decl.type == MC_CONFIG_ENUM;
    case Field::Int: return k.decl.type == MC_CONFIG_INT;
    case Field::Bool: return k.decl.type == MC_CONFIG_BOOL;
    case Field::Double: return k.decl.type == MC_CONFIG_DOUBLE;
    case Field::List: return k.decl.type == MC_CONFIG_LIST;
    case Field::Object: return k.decl.type == MC_CONFIG_OBJECT;
    }
    return false;
}

// The first problem of a settings table and the index of its key.
struct TableProblem {
    KeyProblem problem = KeyProblem::None;
    std::size_t key = 0;
};
template <class S, std::size_t N>
constexpr TableProblem tableProblem(const Key<S> (&table)[N]) {
    for (std::size_t i = 0; i < N; ++i) {
        if (const KeyProblem p = keyProblem(table[i].decl); p != KeyProblem::None) return {p, i};
        if (!fieldFits(table[i])) return {KeyProblem::FieldTypeMismatch, i};
        for (std::size_t j = 0; j < i; ++j)
            if (view(table[j].decl.name) == view(table[i].decl.name)) return {KeyProblem::DuplicateName, i};
    }
    return {};
}
constexpr TableProblem tableProblem(const NoSettingsTable&) { return {}; }

// Instantiated by MC_DECLARE_*: a wrong table fails here, and the compiler's message shows
// SettingsTableCheck<KeyProblem::..., index of the key in the table>.
template <KeyProblem Problem, std::size_t KeyIndex>
struct SettingsTableCheck {
    static_assert(Problem == KeyProblem::None,
                  "invalid settings table: see SettingsTableCheck<problem, index of the key> in this message");
    static constexpr bool ok = Problem == KeyProblem::None;
};

template <std::size_t N>
struct KeyArray {
    mc_config_key keys[N];
};
template <class S, std::size_t N>
constexpr KeyArray<N> declaredKeys(const Key<S> (&table)[N]) {
    KeyArray<N> out{};
    for (std::size_t i = 0; i < N; ++i) out.keys[i] = table[i].decl;
    return out;
}

template <class Table>
struct TableTraits;
template <class S, std::size_t N>
struct TableTraits<const Key<S>[N]> {
    using Settings = S;
};
template <>
struct TableTraits<const NoSettingsTable> {
    using Settings = NoSettings;
};

// The static mc_config_key[] of a table, for the descriptor.
template <const auto& Table>
struct DeclaredKeys {
    static constexpr auto array = declaredKeys(Table);
    static const mc_config_key* data() noexcept { return array.keys; }
    static constexpr std::size_t count = sizeof(array.keys) / sizeof(array.keys[0]);
};
template <>
struct DeclaredKeys<noSettings> {
    static const mc_config_key* data() noexcept { return nullptr; }
    static constexpr std::size_t count = 0;
};

// Reads one key from the config object into `field` (nullptr: unbound, checked only).
inline void readKey(const mc_config_key& k, Field kind, void* field, const json::Value& config) {
    const std::string_view name = view(k.name);
    const json::Value* given = config.find(name);
    json::Value fallback;
    if (!given || given->isNull()) {
        if (!view(k.default_value).empty()) {
            fallback = valueFromText(k, name, view(k.default_value));
            given = &fallback;
        } else if (k.flags & MC_CONFIG_REQUIRED) {
            throw Error(MC_ERR_CONFIG, std::string(name) + " is required and not set (" +
                                           std::string(view(k.description)) + ")");
        } else {
            return; // optional, unset, no default: the field keeps its value-initialized state
        }
    }
    checkValue(k, name, *given);
    if (!field) return;
    const json::Value& v = *given;
    switch (kind) {
    case Field::None: break;
    case Field::Text: *static_cast<std::string*>(field) = k.type == MC_CONFIG_ENUM ? lower(v.str()) : v.str(); break;
    case Field::Int: v.asInt64(*static_cast<std::int64_t*>(field)); break;
    case Field::Bool: *static_cast<bool*>(field) = v.asBool(); break;
    case Field::Double: *static_cast<double*>(field) = v.asDouble(); break;
    case Field::List: {
        auto& out = *static_cast<std::vector<std::string>*>(field);
        out.clear();
        for (const auto& item : v.items()) out.push_back(item.str());
        break;
    }
    case Field::Object: {
        auto& out = *static_cast<std::map<std::string, std::string>*>(field);
        out.clear();
        for (const auto& m : v.members()) out[m.name] = m.value.str();
        break;
    }
    }
}

template <class S>
void* fieldOf(S& s, const Key<S>& k) noexcept {
    switch (k.field) {
    case Field::Text: return &(s.*k.text);
    case Field::Int: return &(s.*k.integer);
    case Field::Bool: return &(s.*k.boolean);
    case Field::Double: return &(s.*k.real);
    case Field::List: return &(s.*k.list);
    case Field::Object: return &(s.*k.object);
    default: return nullptr;
    }
}

inline json::Value parseConfigObject(std::string_view json) {
    json::Value root;
    try {
        root = json::parse(json.empty() ? std::string_view("{}") : json);
    } catch (const json::ParseError& e) {
        throw Error(MC_ERR_CONFIG, std::string("configuration: ") + e.what());
    }
    if (!root.isObject()) throw Error(MC_ERR_CONFIG, "configuration: expected a JSON object");
    return root;
}

} // namespace detail

// The same into an existing `s`: a key absent from `json` and without a default leaves its field as
// it was (e.g. a server definition's optional limits, prefilled from the instance's settings).
template <class S, std::size_t N>
void readSettingsInto(const Key<S> (&table)[N], std::string_view json, S& s) {
    const json::Value root = detail::parseConfigObject(json);
    for (const Key<S>& k : table) detail::readKey(k.decl, k.field, detail::fieldOf(s, k), root);
}

// Parses `json` (config_json, or any JSON object such as a transport's server definition) into S by
// the table: declared defaults for absent keys, types, ranges and choices checked, unknown members
// ignored. Throws Error(MC_ERR_CONFIG, "<key> = '<value>': expected ...").
template <class S, std::size_t N>
S readSettings(const Key<S> (&table)[N], std::string_view json) {
    S s{};
    readSettingsInto(table, json, s);
    return s;
}
inline NoSettings readSettings(const NoSettingsTable&, std::string_view) { return NoSettings{}; }

// The declared defaults (what a plugin gets from an empty configuration); throws for a REQUIRED key.
template <class S, std::size_t N>
S defaultSettings(const Key<S> (&table)[N]) {
    return readSettings(table, "{}");
}

// ---------------------------------------------------------------------------------------------------
// The host as seen from one plugin instance.

namespace detail {
// Per-instance state shared by the Host handles of one instance and the SDK's adapters.
struct InstanceState {
    std::mutex statusMutex; // makes "report OK after start unless reported" atomic
    bool reported = false;
    std::mutex outputMutex; // serializes Discovered calls
};
} // namespace detail

class Host {
public:
    Host() noexcept = default;
    Host(const mc_host_api* api, mc_host* host, detail::InstanceState* state = nullptr) noexcept
        : api_(api), host_(host), state_(state) {}

    // Logger "<plugin-id>/<instance>". THREAD: any.
    void log(mc_log_level level, std::string_view message) const noexcept {
        if (MC_SDK_HAS_FIELD(api_, mc_host_api, log) && api_->log) api_->log(host_, level, str(message));
    }
    void trace(std::string_view m) const noexcept { log(MC_LOG_TRACE, m); }
    void debug(std::string_view m) const noexcept { log(MC_LOG_DEBUG, m); }
    void info(std::string_view m) const noexcept { log(MC_LOG_INFO, m); }
    void warn(std::string_view m) const noexcept { log(MC_LOG_WARN, m); }
    void error(std::string_view m) const noexcept { log(MC_LOG_ERROR, m); }

    // Why the hook now failing failed. THREAD: only inside that hook (the SDK's barriers call it).
    void setError(std::string_view message) const noexcept {
        if (MC_SDK_HAS_FIELD(api_, mc_host_api, set_error) && api_->set_error) api_->set_error(host_, str(message));
    }

    // The instance's health (mc_component_status). THREAD: any; never blocks for long.
    void reportStatus(mc_component_status status, std::string_view message = {}) const noexcept {
        if (!MC_SDK_HAS_FIELD(api_, mc_host_api, report_status) || !api_->report_status) return;
        if (state_) {
            std::lock_guard<std::mutex> lock(state_->statusMutex);
            state_->reported = true;
            api_->report_status(host_, status, str(message));
        } else {
            api_->report_status(host_, status, str(message));
        }
    }

    // A key of this instance's configuration as the host resolved it (defaults applied), as JSON
    // (a string, number, boolean, array or object), or nullopt when unset. Prefer the settings table.
    std::optional<json::Value> config(std::string_view key) const {
        if (!MC_SDK_HAS_FIELD(api_, mc_host_api, config_get) || !api_->config_get) return std::nullopt;
        std::string text;
        mc_sink sink{&text, &appendTo};
        if (api_->config_get(host_, str(key), &sink) != MC_OK) return std::nullopt;
        try {
            return json::parse(text);
        } catch (const json::ParseError& e) {
            throw Error(MC_ERR_INTERNAL, "config_get(" + std::string(key) + ") returned " + e.what());
        }
    }
    std::optional<std::string> configString(std::string_view key) const {
        auto v = config(key);
        if (!v) return std::nullopt;
        if (!v->isString()) throw Error(MC_ERR_CONFIG, std::string(key) + " = '" + v->dump() + "': expected a string");
        return v->str();
    }
    std::optional<std::int64_t> configInt(std::string_view key) const {
        auto v = config(key);
        std::int64_t n = 0;
        if (!v) return std::nullopt;
        if (!v->asInt64(n)) throw Error(MC_ERR_CONFIG, std::string(key) + " = '" + detail::shown(*v) + "': expected an integer");
        return n;
    }
    std::optional<bool> configBool(std::string_view key) const {
        auto v = config(key);
        if (!v) return std::nullopt;
        if (!v->isBool()) throw Error(MC_ERR_CONFIG, std::string(key) + " = '" + detail::shown(*v) + "': expected true or false");
        return v->asBool();
    }

    // Clocks (any thread). Without a host (unit tests of plugin parts) they read std::chrono.
    std::int64_t nowUnixUs() const noexcept {
        if (MC_SDK_HAS_FIELD(api_, mc_host_api, now_unix_us) && api_->now_unix_us) return api_->now_unix_us(host_);
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    }
    std::int64_t monotonicUs() const noexcept {
        if (MC_SDK_HAS_FIELD(api_, mc_host_api, monotonic_us) && api_->monotonic_us) return api_->monotonic_us(host_);
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    // ABI 2.4 (mc_host_api.watch_readable): one ready(ctx, readable) on this host I/O thread when `fd`
    // can be read or after `timeoutUs`. MC_ERR_UNSUPPORTED off such a thread, from an older host or
    // without one: the caller then waits its own way.
    mc_status watchReadable(int fd, std::int64_t timeoutUs, void (*ready)(void* ctx, int readable), void* ctx) const noexcept {
        if (!MC_SDK_HAS_FIELD(api_, mc_host_api, watch_readable) || !api_->watch_readable) return MC_ERR_UNSUPPORTED;
        return api_->watch_readable(host_, fd, timeoutUs, ready, ctx);
    }

    // The exception barrier for the plugin's own threads (a worker's loop, a reader): runs `body`;
    // when it throws, logs "<what>: <reason>" as an error and reports it as the instance's status
    // (PERMANENT_ERROR for Error(MC_ERR_CONFIG / MC_ERR_UNSUPPORTED), RECOVERABLE_ERROR otherwise).
    // Returns whether `body` completed.
    template <class F>
    bool barrier(std::string_view what, F&& body) const noexcept {
        try {
            body();
            return true;
        } catch (const Error& e) {
            const bool permanent = e.status() == MC_ERR_CONFIG || e.status() == MC_ERR_UNSUPPORTED;
            failed(permanent ? MC_COMPONENT_PERMANENT_ERROR : MC_COMPONENT_RECOVERABLE_ERROR, what, e.what());
        } catch (const std::exception& e) {
            failed(MC_COMPONENT_RECOVERABLE_ERROR, what, e.what());
        } catch (...) {
            failed(MC_COMPONENT_RECOVERABLE_ERROR, what, "unknown exception");
        }
        return false;
    }

    const mc_host_api* api() const noexcept { return api_; }
    mc_host* handle() const noexcept { return host_; }
    detail::InstanceState* state() const noexcept { return state_; }

    static mc_status appendTo(void* ctx, mc_str chunk) noexcept {
        try {
            static_cast<std::string*>(ctx)->append(view(chunk));
            return MC_OK;
        } catch (...) {
            return MC_ERR_INTERNAL;
        }
    }

private:
    void failed(mc_component_status status, std::string_view what, const char* reason) const noexcept {
        try {
            const std::string message = std::string(what) + ": " + reason;
            error(message);
            reportStatus(status, message);
        } catch (...) {
            reportStatus(status, reason);
        }
    }

    const mc_host_api* api_ = nullptr;
    mc_host* host_ = nullptr;
    detail::InstanceState* state_ = nullptr;
};

// Output towards the host (a caller-owned mc_sink). THREAD: only inside the hook that received it.
class Sink {
public:
    explicit Sink(mc_sink* sink) noexcept : sink_(sink) {}
    // Returns false when the host asked to stop (e.g. the client went away): stop producing; the SDK
    // then returns the host's status from the hook.
    bool write(std::string_view chunk) noexcept {
        if (status_ != MC_OK) return false;
        if (!sink_ || !sink_->write) return true;
        const mc_status s = sink_->write(sink_->ctx, str(chunk));
        if (s != MC_OK) status_ = s == MC_STATUS_INVALID ? MC_ERR_INTERNAL : s;
        return status_ == MC_OK;
    }
    mc_status status() const noexcept { return status_; }

private:
    mc_sink* sink_;
    mc_status status_ = MC_OK;
};

// ---------------------------------------------------------------------------------------------------
// Discovery output.

// One server a source found (see mc_found_server).
struct FoundServer {
    std::string key;         // stable within the source; lost() names it
    std::string name;        // a human name
    std::string serverJson;  // {"transport", ...fields}: how to reach it
    std::string detailsJson; // what else the source knows ("" = {})
    bool connectable = true; // false: listed only, `reason` says why
    std::string reason;
};

// The typed output of a discovery instance (a copy of mc_discovery_output).
// THREAD: any plugin thread; the SDK serializes calls. Not after stop() returned.
class Discovered {
public:
    Discovered() noexcept = default;
    explicit Discovered(const mc_discovery_output* out, std::mutex* serialize = nullptr) noexcept : mutex_(serialize) {
        if (out) {
            const std::size_t n = out->struct_size < sizeof out_ ? out->struct_size : sizeof out_;
            std::memcpy(&out_, out, n);
            out_.struct_size = n;
        }
    }
    void found(const FoundServer& s) const noexcept {
        if (!MC_SDK_HAS_FIELD(&out_, mc_discovery_output, found) || !out_.found) return;
        const mc_found_server server{sizeof(mc_found_server), str(s.key), str(s.name), str(s.serverJson),
                                     str(s.detailsJson), s.connectable ? 1 : 0, str(s.reason)};
        auto lock = locked();
        out_.found(out_.ctx, &server);
    }
    void lost(std::string_view key) const noexcept {
        if (!MC_SDK_HAS_FIELD(&out_, mc_discovery_output, lost) || !out_.lost) return;
        auto lock = locked();
        out_.lost(out_.ctx, str(key));
    }
    // A full scan that began at `startedUnixUs` (Host::nowUnixUs()) ended: what it did not report
    // found is gone.
    void scanComplete(std::int64_t startedUnixUs) const noexcept {
        if (!MC_SDK_HAS_FIELD(&out_, mc_discovery_output, scan_complete) || !out_.scan_complete) return;
        auto lock = locked();
        out_.scan_complete(out_.ctx, startedUnixUs);
    }

private:
    std::unique_lock<std::mutex> locked() const noexcept {
        return mutex_ ? std::unique_lock<std::mutex>(*mutex_) : std::unique_lock<std::mutex>();
    }
    mc_discovery_output out_{};
    std::mutex* mutex_ = nullptr;
};

// ---------------------------------------------------------------------------------------------------
// Receiver requests, replies and output.

// One request of a route the receiver declared (a view of mc_http_request: valid during handle()).
struct HttpRequest {
    std::string_view method;
    std::string_view path;
    std::string_view contentType;
    std::string_view contentEncoding;
    std::string_view body;
    std::string_view principal;
};

// Where one request is answered: exactly once, from any thread, now or later. Copies share one reply;
// a second respond() is ignored.
class Responder {
public:
    Responder() noexcept = default;
    explicit Responder(const mc_http_responder* responder) : state_(std::make_shared<State>()) {
        state_->responder = responder;
    }
    // `headersJson`: a JSON object of extra headers, e.g. {"Retry-After":"1"}; "" for none.
    void respond(int status, std::string_view contentType, std::string_view body, std::string_view headersJson = {}) const noexcept {
        if (!state_) return;
        const mc_http_responder* r = state_->responder.exchange(nullptr);
        if (!r || !MC_SDK_HAS_FIELD(r, mc_http_responder, respond) || !r->respond) return;
        r->respond(r->ctx, status, str(contentType), str(headersJson), str(body));
    }
    bool responded() const noexcept { return !state_ || state_->responder.load() == nullptr; }

private:
    struct State {
        std::atomic<const mc_http_responder*> responder{nullptr};
    };
    std::shared_ptr<State> state_;
};

// The outcome of Records::submit (see mc_submit_done_fn).
struct SubmitResult {
    mc_status status = MC_STATUS_INVALID; // MC_OK: committed; MC_ERR_UNAVAILABLE: nothing taken, retry later
    std::string resultJson;               // {"accepted":N,"rejected":[{"index","reason"}]} with MC_OK
};

// The typed output of a receiver instance (a copy of mc_receiver_output). THREAD: any plugin thread,
// concurrently. Not after stop() returned.
class Records {
public:
    using Done = std::function<void(const SubmitResult&)>;
    Records() noexcept = default;
    explicit Records(const mc_receiver_output* out) noexcept {
        if (out) {
            const std::size_t n = out->struct_size < sizeof out_ ? out->struct_size : sizeof out_;
            std::memcpy(&out_, out, n);
            out_.struct_size = n;
        }
    }
    // Hands the host `count` records; `done` runs once with the outcome, on a host thread (possibly
    // before submit returns). Throws Error when the host will not call `done` (then it has not).
    void submit(const mc_record* records, std::size_t count, Done done) const {
        if (!MC_SDK_HAS_FIELD(&out_, mc_receiver_output, submit) || !out_.submit)
            throw Error(MC_ERR_UNSUPPORTED, "this host takes no records from receivers");
        auto* heap = new Done(std::move(done));
        const mc_status s = out_.submit(out_.ctx, records, count, sizeof(mc_record), &Records::finished, heap);
        if (s != MC_OK) {
            delete heap;
            throw Error(s == MC_STATUS_INVALID ? MC_ERR_INTERNAL : s, "the host refused the records");
        }
    }

private:
    static void finished(void* ctx, mc_status status, mc_str result) noexcept {
        std::unique_ptr<Done> done(static_cast<Done*>(ctx));
        try {
            if (done && *done) (*done)(SubmitResult{status, std::string(view(result))});
        } catch (...) {
            // A receiver's completion must not throw into the host; it has nothing left to answer.
        }
    }
    mc_receiver_output out_{};
};

// ---------------------------------------------------------------------------------------------------
// Bus output (ABI 2.3).

// One message on a subscription the host made (a view of mc_bus_message).
struct BusMessage {
    std::uint64_t subscription = 0;
    std::string_view subject;
    std::string_view replyTo; // "" when no reply is expected
    std::string_view payload;
};

// Where a bus instance delivers (a copy of mc_bus_output). THREAD: plugin threads; entry() calls must
// not overlap (the log's order), message() calls may. Not after stop() returned.
class BusDeliveries {
public:
    BusDeliveries() noexcept = default;
    explicit BusDeliveries(const mc_bus_output* out) noexcept {
        if (out) {
            const std::size_t n = out->struct_size < sizeof out_ ? out->struct_size : sizeof out_;
            std::memcpy(&out_, out, n);
            out_.struct_size = n;
        }
    }
    // The next entry of the log: `seq` above the last one delivered.
    void entry(std::uint64_t seq, std::string_view payload) const noexcept {
        if (MC_SDK_HAS_FIELD(&out_, mc_bus_output, entry) && out_.entry) out_.entry(out_.ctx, seq, str(payload));
    }
    void message(const BusMessage& m) const noexcept {
        if (!MC_SDK_HAS_FIELD(&out_, mc_bus_output, message) || !out_.message) return;
        const mc_bus_message message{sizeof(mc_bus_message), m.subscription, str(m.subject), str(m.replyTo), str(m.payload)};
        out_.message(out_.ctx, &message);
    }

private:
    mc_bus_output out_{};
};

// ---------------------------------------------------------------------------------------------------
// Transport connections.

// What a connection reports to the host (a copy of mc_connection_callbacks; callbacks the host's
// struct does not have are skipped). THREAD: any plugin thread; the SDK serializes calls per
// connection. Never from inside send()/open() on the host's thread, never after close() returned.
// One HTTP exchange of a connection (mc_http_exchange), for ConnectionEvents::exchange.
struct HttpExchange {
    std::string_view method;          // "POST", "GET", "DELETE"
    std::string_view target;          // path and query
    int status = 0;                   // 0: no response (error says why)
    std::string_view requestHeaders;  // "Name: value\r\n" lines
    std::string_view responseHeaders;
    std::uint64_t requestBytes = 0;
    std::int64_t responseBytes = -1;  // Content-Length; -1: none declared (a stream); 0: no response
    std::int64_t durationMicros = 0;
    std::string_view jsonrpcId;       // the carried request's or response's id as JSON text, "" for none
    std::string_view error;
};

class ConnectionEvents {
public:
    ConnectionEvents() noexcept = default;
    explicit ConnectionEvents(const mc_connection_callbacks* cb, std::mutex* serialize = nullptr) noexcept
        : mutex_(serialize) {
        if (cb) {
            const std::size_t n = cb->struct_size < sizeof cb_ ? cb->struct_size : sizeof cb_;
            std::memcpy(&cb_, cb, n);
            cb_.struct_size = n;
        }
    }
    void message(std::string_view jsonrpc) const noexcept {
        if (!MC_SDK_HAS_FIELD(&cb_, mc_connection_callbacks, on_message) || !cb_.on_message) return;
        auto lock = locked();
        cb_.on_message(cb_.ctx, str(jsonrpc));
    }
    void log(mc_log_level level, std::string_view line) const noexcept {
        if (!MC_SDK_HAS_FIELD(&cb_, mc_connection_callbacks, on_log) || !cb_.on_log) return;
        auto lock = locked();
        cb_.on_log(cb_.ctx, level, str(line));
    }
    void status(mc_component_status status, std::string_view message = {}) const noexcept {
        if (!MC_SDK_HAS_FIELD(&cb_, mc_connection_callbacks, on_status) || !cb_.on_status) return;
        auto lock = locked();
        cb_.on_status(cb_.ctx, status, str(message));
    }
    // The connection ended for good (call once; nothing may follow).
    void closed(mc_status reason, std::string_view detail = {}) const noexcept {
        if (!MC_SDK_HAS_FIELD(&cb_, mc_connection_callbacks, on_closed) || !cb_.on_closed) return;
        auto lock = locked();
        cb_.on_closed(cb_.ctx, reason, str(detail));
    }
    // Whether the host takes HTTP exchanges (ABI 2.2): skip building them when it does not.
    bool wantsExchanges() const noexcept {
        return MC_SDK_HAS_FIELD(&cb_, mc_connection_callbacks, on_exchange) && cb_.on_exchange;
    }
    void exchange(const HttpExchange& e) const noexcept {
        if (!wantsExchanges()) return;
        mc_http_exchange x{};
        x.struct_size = sizeof x;
        x.method = str(e.method);
        x.target = str(e.target);
        x.status = e.status;
        x.request_headers = str(e.requestHeaders);
        x.response_headers = str(e.responseHeaders);
        x.request_bytes = e.requestBytes;
        x.response_bytes = e.responseBytes;
        x.duration_us = e.durationMicros;
        x.jsonrpc_id = str(e.jsonrpcId);
        x.error = str(e.error);
        auto lock = locked();
        cb_.on_exchange(cb_.ctx, &x);
    }

private:
    std::unique_lock<std::mutex> locked() const noexcept {
        return mutex_ ? std::unique_lock<std::mutex>(*mutex_) : std::unique_lock<std::mutex>();
    }
    mc_connection_callbacks cb_{};
    std::mutex* mutex_ = nullptr;
};

// One connection to one MCP server, created by TransportPlugin::open.
class Connection {
public:
    Connection() = default;
    virtual ~Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Queues one JSON-RPC message and returns (never waits for the peer). Throw
    // Error(MC_ERR_UNAVAILABLE) when the queue is full or the connection ended.
    // THREAD: any host thread, concurrently with other sends and with this connection's callbacks.
    virtual void send(std::string_view jsonrpcMessage) = 0;

    // Called by close_connection just before the object is deleted: stop callbacks and join threads
    // here or in the destructor. After it returns no ConnectionEvents call may be made.
    // THREAD: any host thread except this connection's callbacks. Exceptions are logged and dropped.
    virtual void close() {}
};

// ---------------------------------------------------------------------------------------------------
// Plugin base classes. THREAD for start/stop/the constructor/the destructor: the host's main thread,
// never concurrently with another of them on one instance.

class PluginBase {
public:
    explicit PluginBase(Host host) noexcept : host_(host) {}
    virtual ~PluginBase() = default;
    PluginBase(const PluginBase&) = delete;
    PluginBase& operator=(const PluginBase&) = delete;

    // Start threads, connect; the SDK reports MC_COMPONENT_OK afterwards unless you reported.
    virtual void start() {}
    // Stop producing: no output or callback after it returns. Join threads here.
    virtual void stop() {}

    const Host& host() const noexcept { return host_; }

private:
    Host host_;
};

// Constructor: (Host, const Settings&) or (Host) with noSettings.
class StorePlugin : public PluginBase {
public:
    using PluginBase::PluginBase;
    // "sqlite", "postgres": the dialect of the migrations the host applies. THREAD: main.
    virtual std::string dialect() const = 0;
    // Highest applied migration, 0 for an empty database. THREAD: main, before any write.
    virtual std::int64_t schemaVersion() = 0;
    // Applies one migration and records it, atomically. THREAD: main, before any write.
    virtual void applyMigration(std::int64_t version, std::string_view name, std::string_view sql) = 0;
    // A batch of records of `kind`, validated by the host; writes the outcome object to `result`.
    // THREAD: the host's writer thread (one at a time), concurrently with query/describe.
    virtual void write(std::string_view kind, std::string_view recordsJson, Sink& result) = 0;
    // The same batch as write("events", ...) as records the host already parsed and normalized
    // (mc_record: values in the catalog's field order; `recordSize` is the array's stride). The
    // default refuses with MC_ERR_UNSUPPORTED, and the host then sends JSON through write.
    // THREAD: the host's writer thread (one at a time), concurrently with query/describe.
    virtual void writeRecords(const mc_record* records, std::size_t count, std::size_t recordSize, Sink& result) {
        (void)records, (void)count, (void)recordSize, (void)result;
        throw Error(MC_ERR_UNSUPPORTED, "this store takes JSON only (write)");
    }
    // Retention (ABI 2.2): deletes at most `maxRows` records of `kind` older than `before` (RFC 3339),
    // oldest first; returns how many. The default refuses (MC_ERR_UNSUPPORTED): the store keeps all.
    // THREAD: the host's writer thread, between writes, concurrently with query/describe.
    virtual std::uint64_t expire(std::string_view kind, std::string_view before, std::size_t maxRows) {
        (void)kind, (void)before, (void)maxRows;
        throw Error(MC_ERR_UNSUPPORTED, "this store keeps everything (no expire)");
    }
    // Leases (ABI 2.3): take/renew, release or read the lease `name`; returns it as it stands after.
    // The default refuses (MC_ERR_UNSUPPORTED): the store cannot back a cluster. THREAD: any, concurrent.
    struct Lease {
        std::string holder; // "" when free
        std::int64_t expiresInMs = 0;
    };
    virtual Lease lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs) {
        (void)op, (void)name, (void)holder, (void)ttlMs;
        throw Error(MC_ERR_UNSUPPORTED, "this store keeps no leases (it cannot back a cluster)");
    }
    // A named query; throw Error(MC_ERR_UNSUPPORTED) for an unknown name. THREAD: any, concurrent.
    virtual void query(std::string_view name, std::string_view paramsJson, Sink& rows) = 0;
    // Details (counters, settings in effect) as a JSON object; health goes through reportStatus.
    // THREAD: any; must not block for long.
    virtual void describe(Sink& details) { details.write("{}"); }
};

// Constructor: (Host, const Settings&, Discovered) or (Host, Discovered) with noSettings.
class DiscoveryPlugin : public PluginBase {
public:
    DiscoveryPlugin(Host host, Discovered out) noexcept : PluginBase(host), out_(out) {}
    // Re-scan now; return at once (wake a worker). THREAD: any host thread.
    virtual void refresh() {}
    // Where found/lost/scanComplete go.
    const Discovered& discovered() const noexcept { return out_; }

private:
    Discovered out_;
};

// Constructor: (Host, const Settings&, Records) or (Host, Records) with noSettings.
class ReceiverPlugin : public PluginBase {
public:
    ReceiverPlugin(Host host, Records out) noexcept : PluginBase(host), out_(out) {}
    // The routes it serves and the addresses it asks the host to listen on, as mc_receiver_vtable's
    // `routes` describes. THREAD: main, after the constructor, before start.
    virtual std::string routes() = 0;
    // One request of a declared route: answer through `reply` now or later, exactly once. Throwing
    // before replying makes the host answer 500 with the message. THREAD: host workers, concurrently.
    virtual void handle(const HttpRequest& request, Responder reply) = 0;
    // Where records go.
    const Records& records() const noexcept { return out_; }

private:
    Records out_;
};

// Constructor: (Host, const Settings&, BusDeliveries) or (Host, BusDeliveries) with noSettings. Every
// hook but follow() runs on any host thread, concurrently: queue and return, never wait for the bus.
class BusPlugin : public PluginBase {
public:
    BusPlugin(Host host, BusDeliveries out) noexcept : PluginBase(host), out_(out) {}
    // Queues one entry for the log, kept once per `entryId`; Error(MC_ERR_UNAVAILABLE) when full.
    virtual void append(std::string_view entryId, std::string_view payload) = 0;
    // Starts delivering the log through deliveries().entry(). THREAD: main, once, after start().
    virtual void follow(mc_bus_follow_from from, std::uint64_t afterSeq) = 0;
    // Queues one message (`replyTo` "" for none).
    virtual void publish(std::string_view subject, std::string_view replyTo, std::string_view payload) = 0;
    // Subscribes under the host's id; Error(MC_ERR_CONFLICT) when the id is in use.
    virtual void subscribe(std::uint64_t subscription, std::string_view subject, std::string_view queueGroup) = 0;
    // Error(MC_ERR_NOT_FOUND) for an unknown id; no message of it is delivered once this returns.
    virtual void unsubscribe(std::uint64_t subscription) = 0;
    // Details (counters, the log's position) as a JSON object. THREAD: any; must not block for long.
    virtual void describe(Sink& details) { details.write("{}"); }
    const BusDeliveries& deliveries() const noexcept { return out_; }

private:
    BusDeliveries out_;
};

// Constructor: (Host, const Settings&) or (Host) with noSettings; the class also needs
// `static constexpr const char kTransports[] = "stdio";` (the transport names it serves).
class TransportPlugin : public PluginBase {
public:
    using PluginBase::PluginBase;
    // Checks one server definition ({"id", "transport", ...fields}) without connecting; throw
    // Error(MC_ERR_CONFIG, "<field> = '<value>': ...") naming the field. THREAD: any, concurrent.
    virtual void validate(std::string_view serverJson) = 0;
    // Opens a connection (the host validated the definition first). Return once it exists; report
    // reachability through `events` from the connection's own thread. Throw Error(MC_ERR_IO) when it
    // cannot even begin. THREAD: any host thread, concurrent opens allowed.
    virtual std::unique_ptr<Connection> open(std::string_view serverJson, ConnectionEvents events) = 0;
};

// ---------------------------------------------------------------------------------------------------
// Adapters: the C vtables over the classes above. Every trampoline is an exception barrier.

namespace detail {

template <class T>
struct Box {
    InstanceState state;
    Host host;
    std::unique_ptr<T> impl;
};

template <class T>
Box<T>* box(mc_instance* p) noexcept { return reinterpret_cast<Box<T>*>(p); }

// The exception barrier of hooks that return a status.
template <class F>
mc_status guard(const Host& host, F&& body) noexcept {
    try {
        body();
        return MC_OK;
    } catch (const Error& e) {
        host.setError(e.what());
        return e.status() == MC_STATUS_INVALID || e.status() == MC_OK ? MC_ERR_INTERNAL : e.status();
    } catch (const std::exception& e) {
        host.setError(e.what());
        return MC_ERR_INTERNAL;
    } catch (...) {
        host.setError("unknown exception in plugin");
        return MC_ERR_INTERNAL;
    }
}

template <class F>
mc_status guardSink(const Host& host, Sink& sink, F&& body) noexcept {
    const mc_status s = guard(host, body);
    return s == MC_OK ? sink.status() : s;
}

template <class T, const auto& Table>
struct Lifecycle {
    using Settings = typename TableTraits<std::remove_reference_t<decltype(Table)>>::Settings;
    static constexpr bool kHasSettings = !std::is_same_v<Settings, NoSettings>;

    // Builds the box; `make(host, settings)` returns the new T.
    template <class Make>
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, mc_instance** out, Make make) noexcept {
        if (!out) return MC_ERR_INVALID_ARGUMENT;
        *out = nullptr;
        return guard(Host(api, host), [&] {
            auto b = std::make_unique<Box<T>>();
            b->host = Host(api, host, &b->state);
            b->impl = make(*b, readSettings(Table, view(config)));
            *out = reinterpret_cast<mc_instance*>(b.release());
        });
    }
    static mc_status start(mc_instance* p) noexcept {
        auto* b = box<T>(p);
        if (!b) return MC_ERR_INVALID_ARGUMENT;
        {
            std::lock_guard<std::mutex> lock(b->state.statusMutex);
            b->state.reported = false;
        }
        const mc_status s = guard(b->host, [&] { b->impl->start(); });
        if (s == MC_OK) {
            const mc_host_api* api = b->host.api();
            std::lock_guard<std::mutex> lock(b->state.statusMutex);
            if (!b->state.reported && MC_SDK_HAS_FIELD(api, mc_host_api, report_status) && api->report_status)
                api->report_status(b->host.handle(), MC_COMPONENT_OK, str("started"));
        }
        return s;
    }
    static mc_status stop(mc_instance* p) noexcept {
        auto* b = box<T>(p);
        if (!b) return MC_ERR_INVALID_ARGUMENT;
        return guard(b->host, [&] { b->impl->stop(); });
    }
    static void destroy(mc_instance* p) noexcept { delete box<T>(p); } // destructors are noexcept
};

template <class T, const auto& Table>
struct StoreAdapter : Lifecycle<T, Table> {
    using L = Lifecycle<T, Table>;
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, const void*, mc_instance** out) noexcept {
        return L::create(api, host, config, out, [](Box<T>& b, auto&& settings) {
            if constexpr (L::kHasSettings) return std::make_unique<T>(b.host, std::move(settings));
            else return std::make_unique<T>(b.host);
        });
    }
    static mc_status dialect(mc_instance* p, mc_sink* out) noexcept {
        auto* b = box<T>(p);
        Sink sink(out);
        return guardSink(b->host, sink, [&] { sink.write(b->impl->dialect()); });
    }
    static mc_status schemaVersion(mc_instance* p, std::int64_t* out) noexcept {
        auto* b = box<T>(p);
        if (!out) return MC_ERR_INVALID_ARGUMENT;
        return guard(b->host, [&] { *out = b->impl->schemaVersion(); });
    }
    static mc_status applyMigration(mc_instance* p, std::int64_t version, mc_str name, mc_str sql) noexcept {
        auto* b = box<T>(p);
        return guard(b->host, [&] { b->impl->applyMigration(version, view(name), view(sql)); });
    }
    static mc_status write(mc_instance* p, mc_str kind, mc_str records, mc_sink* result) noexcept {
        auto* b = box<T>(p);
        Sink sink(result);
        return guardSink(b->host, sink, [&] { b->impl->write(view(kind), view(records), sink); });
    }
    static mc_status writeRecords(mc_instance* p, const mc_record* records, std::size_t count, std::size_t recordSize,
                                  mc_sink* result) noexcept {
        auto* b = box<T>(p);
        Sink sink(result);
        return guardSink(b->host, sink, [&] { b->impl->writeRecords(records, count, recordSize, sink); });
    }
    static mc_status expire(mc_instance* p, mc_str kind, mc_str before, std::size_t maxRows, mc_sink* result) noexcept {
        auto* b = box<T>(p);
        Sink sink(result);
        return guardSink(b->host, sink, [&] {
            sink.write("{\"deleted\":" + std::to_string(b->impl->expire(view(kind), view(before), maxRows)) + "}");
        });
    }
    static mc_status query(mc_instance* p, mc_str name, mc_str params, mc_sink* rows) noexcept {
        auto* b = box<T>(p);
        Sink sink(rows);
        return guardSink(b->host, sink, [&] { b->impl->query(view(name), view(params), sink); });
    }
    static mc_status lease(mc_instance* p, mc_lease_op op, mc_str name, mc_str holder, std::int64_t ttlMs,
                           mc_sink* result) noexcept {
        auto* b = box<T>(p);
        Sink sink(result);
        return guardSink(b->host, sink, [&] {
            if (op != MC_LEASE_ACQUIRE && op != MC_LEASE_RELEASE && op != MC_LEASE_READ)
                throw Error(MC_ERR_INVALID_ARGUMENT, "lease: unknown operation " + std::to_string(static_cast<int>(op)));
            if (view(name).empty()) throw Error(MC_ERR_INVALID_ARGUMENT, "lease: the name is empty");
            if (op != MC_LEASE_READ && view(holder).empty()) throw Error(MC_ERR_INVALID_ARGUMENT, "lease: the holder is empty");
            if (op == MC_LEASE_ACQUIRE && ttlMs <= 0) throw Error(MC_ERR_INVALID_ARGUMENT, "lease: ttl_ms must be positive");
            const auto l = b->impl->lease(op, view(name), view(holder), ttlMs);
            sink.write("{\"name\":" + json::quote(view(name)) + ",\"holder\":" +
                       (l.holder.empty() ? std::string("null") : json::quote(l.holder)) +
                       ",\"expires_in_ms\":" + std::to_string(l.holder.empty() ? 0 : l.expiresInMs) + "}");
        });
    }
    static mc_status describe(mc_instance* p, mc_sink* details) noexcept {
        auto* b = box<T>(p);
        Sink sink(details);
        return guardSink(b->host, sink, [&] { b->impl->describe(sink); });
    }
    static constexpr mc_store_vtable vtable{sizeof(mc_store_vtable), &create, &L::start, &L::stop, &L::destroy,
                                            &dialect, &schemaVersion, &applyMigration, &write, &query, &describe,
                                            &writeRecords, &expire, &lease};
};

template <class T, const auto& Table>
struct DiscoveryAdapter : Lifecycle<T, Table> {
    using L = Lifecycle<T, Table>;
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, const void* output,
                            mc_instance** out) noexcept {
        return L::create(api, host, config, out, [output](Box<T>& b, auto&& settings) {
            Discovered discovered(static_cast<const mc_discovery_output*>(output), &b.state.outputMutex);
            if constexpr (L::kHasSettings) return std::make_unique<T>(b.host, std::move(settings), discovered);
            else return std::make_unique<T>(b.host, discovered);
        });
    }
    static mc_status refresh(mc_instance* p) noexcept {
        auto* b = box<T>(p);
        return guard(b->host, [&] { b->impl->refresh(); });
    }
    static constexpr mc_discovery_vtable vtable{sizeof(mc_discovery_vtable), &create, &L::start, &L::stop,
                                                &L::destroy, &refresh};
};

template <class T, const auto& Table>
struct ReceiverAdapter : Lifecycle<T, Table> {
    using L = Lifecycle<T, Table>;
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, const void* output,
                            mc_instance** out) noexcept {
        return L::create(api, host, config, out, [output](Box<T>& b, auto&& settings) {
            Records records(static_cast<const mc_receiver_output*>(output));
            if constexpr (L::kHasSettings) return std::make_unique<T>(b.host, std::move(settings), records);
            else return std::make_unique<T>(b.host, records);
        });
    }
    static mc_status routes(mc_instance* p, mc_sink* out) noexcept {
        auto* b = box<T>(p);
        Sink sink(out);
        return guardSink(b->host, sink, [&] { sink.write(b->impl->routes()); });
    }
    static mc_status handle(mc_instance* p, const mc_http_request* request, const mc_http_responder* responder) noexcept {
        auto* b = box<T>(p);
        if (!request || !responder) return MC_ERR_INVALID_ARGUMENT;
        mc_http_request r{};
        std::memcpy(&r, request, request->struct_size < sizeof r ? request->struct_size : sizeof r);
        const HttpRequest req{view(r.method), view(r.path), view(r.content_type), view(r.content_encoding),
                              view(r.body), view(r.principal)};
        const Responder reply(responder);
        const mc_status s = guard(b->host, [&] { b->impl->handle(req, reply); });
        // The responder is the host's until answered: a request the plugin failed on is answered here.
        if (s != MC_OK && !reply.responded()) reply.respond(500, "text/plain; charset=utf-8", "the receiver failed");
        return s;
    }
    static constexpr mc_receiver_vtable vtable{sizeof(mc_receiver_vtable), &create, &L::start, &L::stop,
                                               &L::destroy, &routes, &handle};
};

template <class T, const auto& Table>
struct BusAdapter : Lifecycle<T, Table> {
    using L = Lifecycle<T, Table>;
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, const void* output,
                            mc_instance** out) noexcept {
        return L::create(api, host, config, out, [output](Box<T>& b, auto&& settings) {
            BusDeliveries deliveries(static_cast<const mc_bus_output*>(output));
            if constexpr (L::kHasSettings) return std::make_unique<T>(b.host, std::move(settings), deliveries);
            else return std::make_unique<T>(b.host, deliveries);
        });
    }
    static mc_status append(mc_instance* p, mc_str id, mc_str payload) noexcept {
        auto* b = box<T>(p);
        return guard(b->host, [&] { b->impl->append(view(id), view(payload)); });
    }
    static mc_status follow(mc_instance* p, mc_bus_follow_from from, std::uint64_t afterSeq) noexcept {
        auto* b = box<T>(p);
        if (from != MC_BUS_FOLLOW_NEW && from != MC_BUS_FOLLOW_AFTER) {
            b->host.setError("follow: `from` must be MC_BUS_FOLLOW_NEW or MC_BUS_FOLLOW_AFTER");
            return MC_ERR_INVALID_ARGUMENT;
        }
        return guard(b->host, [&] { b->impl->follow(from, afterSeq); });
    }
    static mc_status publish(mc_instance* p, mc_str subject, mc_str replyTo, mc_str payload) noexcept {
        auto* b = box<T>(p);
        return guard(b->host, [&] { b->impl->publish(view(subject), view(replyTo), view(payload)); });
    }
    static mc_status subscribe(mc_instance* p, std::uint64_t id, mc_str subject, mc_str queueGroup) noexcept {
        auto* b = box<T>(p);
        if (id == 0) {
            b->host.setError("subscribe: the subscription id must not be 0");
            return MC_ERR_INVALID_ARGUMENT;
        }
        return guard(b->host, [&] { b->impl->subscribe(id, view(subject), view(queueGroup)); });
    }
    static mc_status unsubscribe(mc_instance* p, std::uint64_t id) noexcept {
        auto* b = box<T>(p);
        return guard(b->host, [&] { b->impl->unsubscribe(id); });
    }
    static mc_status describe(mc_instance* p, mc_sink* details) noexcept {
        auto* b = box<T>(p);
        Sink sink(details);
        return guardSink(b->host, sink, [&] { b->impl->describe(sink); });
    }
    static constexpr mc_bus_vtable vtable{sizeof(mc_bus_vtable), &create,  &L::start,   &L::stop,       &L::destroy,
                                          &append,               &follow,  &publish,    &subscribe,     &unsubscribe,
                                          &describe};
};

// mc_connection* points at one of these.
struct ConnectionBox {
    Host host;          // the instance's (set_error of send)
    std::mutex events;  // serializes this connection's callbacks
    std::unique_ptr<Connection> impl;
};

template <class T, const auto& Table>
struct TransportAdapter : Lifecycle<T, Table> {
    using L = Lifecycle<T, Table>;
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, const void*, mc_instance** out) noexcept {
        return L::create(api, host, config, out, [](Box<T>& b, auto&& settings) {
            if constexpr (L::kHasSettings) return std::make_unique<T>(b.host, std::move(settings));
            else return std::make_unique<T>(b.host);
        });
    }
    static mc_status transports(mc_sink* out) noexcept {
        Sink sink(out);
        sink.write(T::kTransports);
        return sink.status();
    }
    static mc_status validate(mc_instance* p, mc_str server) noexcept {
        auto* b = box<T>(p);
        return guard(b->host, [&] { b->impl->validate(view(server)); });
    }
    static mc_status open(mc_instance* p, mc_str server, const mc_connection_callbacks* callbacks,
                          mc_connection** out) noexcept {
        auto* b = box<T>(p);
        if (!out) return MC_ERR_INVALID_ARGUMENT;
        *out = nullptr;
        return guard(b->host, [&] {
            auto c = std::make_unique<ConnectionBox>();
            c->host = b->host;
            c->impl = b->impl->open(view(server), ConnectionEvents(callbacks, &c->events));
            if (!c->impl) throw Error(MC_ERR_INTERNAL, "open() returned no connection");
            *out = reinterpret_cast<mc_connection*>(c.release());
        });
    }
    static mc_status send(mc_connection* c, mc_str message) noexcept {
        auto* cb = reinterpret_cast<ConnectionBox*>(c);
        if (!cb) return MC_ERR_INVALID_ARGUMENT;
        return guard(cb->host, [&] { cb->impl->send(view(message)); });
    }
    static void closeConnection(mc_connection* c) noexcept {
        auto* cb = reinterpret_cast<ConnectionBox*>(c);
        if (!cb) return;
        try {
            cb->impl->close();
        } catch (const std::exception& e) {
            cb->host.warn(std::string("closing a connection failed: ") + e.what());
        } catch (...) {
            cb->host.warn("closing a connection failed: unknown exception");
        }
        delete cb;
    }
    static constexpr mc_transport_vtable vtable{sizeof(mc_transport_vtable), &create, &L::start, &L::stop,
                                                &L::destroy, &transports, &validate, &open, &send,
                                                &closeConnection};
};

template <std::size_t N>
constexpr mc_str literal(const char (&s)[N]) { return mc_str{s, N - 1}; }

} // namespace detail
} // namespace mc::sdk

// ---------------------------------------------------------------------------------------------------
// Declaring a plugin: MC_DECLARE_{STORE,DISCOVERY,TRANSPORT,RECEIVER,BUS}_PLUGIN(CLASS, ID, VERSION, DESCRIPTION,
// PREFIX, SETTINGS) exports mc_plugin_entry (one per shared library). SETTINGS is a constexpr
// mc::sdk::Key<S>[] table or mc::sdk::noSettings. MC_DEFINE_*_DESCRIPTOR(FUNCTION, ...) defines a
// plain `const mc_plugin_descriptor* FUNCTION()` instead (several plugins in one test binary).

#define MC_SDK_DESCRIPTOR_(SIGNATURE, KIND, ADAPTER, VTABLE_TYPE, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS) \
    static_assert(::mc::sdk::detail::validId(ID), "plugin id: [a-z0-9][a-z0-9-]*, at most 64 characters");       \
    static_assert(::mc::sdk::detail::validPrefix(PREFIX),                                                         \
                  "config prefix: dot-separated [a-z0-9][a-z0-9_-]* parts, e.g. \"discovery.files\"");            \
    static_assert(::mc::sdk::detail::SettingsTableCheck<::mc::sdk::detail::tableProblem(SETTINGS).problem,          \
                                                        ::mc::sdk::detail::tableProblem(SETTINGS).key>::ok,           \
                  "invalid settings table");                                                                    \
    SIGNATURE {                                                                                                  \
        static const mc_plugin_descriptor descriptor{sizeof(mc_plugin_descriptor),                              \
                                                     MC_ABI_MAJOR,                                              \
                                                     MC_ABI_MINOR,                                              \
                                                     KIND,                                                      \
                                                     ::mc::sdk::detail::literal(ID),                            \
                                                     ::mc::sdk::detail::literal(VERSION),                       \
                                                     ::mc::sdk::detail::literal(DESCRIPTION),                   \
                                                     &ADAPTER<CLASS, SETTINGS>::vtable,                         \
                                                     sizeof(VTABLE_TYPE),                                       \
                                                     ::mc::sdk::detail::DeclaredKeys<SETTINGS>::data(),         \
                                                     ::mc::sdk::detail::DeclaredKeys<SETTINGS>::count,          \
                                                     sizeof(mc_config_key),                                     \
                                                     ::mc::sdk::detail::literal(PREFIX)};                       \
        return &descriptor;                                                                                     \
    }

#define MC_SDK_ENTRY_SIGNATURE_ extern "C" MC_PLUGIN_EXPORT const mc_plugin_descriptor* mc_plugin_entry(void)

#define MC_DECLARE_STORE_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                              \
    MC_SDK_DESCRIPTOR_(MC_SDK_ENTRY_SIGNATURE_, MC_KIND_STORE, ::mc::sdk::detail::StoreAdapter, mc_store_vtable, \
                       CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)
#define MC_DECLARE_DISCOVERY_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                          \
    MC_SDK_DESCRIPTOR_(MC_SDK_ENTRY_SIGNATURE_, MC_KIND_DISCOVERY, ::mc::sdk::detail::DiscoveryAdapter,          \
                       mc_discovery_vtable, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)
#define MC_DECLARE_TRANSPORT_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                          \
    MC_SDK_DESCRIPTOR_(MC_SDK_ENTRY_SIGNATURE_, MC_KIND_TRANSPORT, ::mc::sdk::detail::TransportAdapter,          \
                       mc_transport_vtable, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)

#define MC_DECLARE_RECEIVER_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                           \
    MC_SDK_DESCRIPTOR_(MC_SDK_ENTRY_SIGNATURE_, MC_KIND_RECEIVER, ::mc::sdk::detail::ReceiverAdapter,            \
                       mc_receiver_vtable, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)

#define MC_DECLARE_BUS_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                                \
    MC_SDK_DESCRIPTOR_(MC_SDK_ENTRY_SIGNATURE_, MC_KIND_BUS, ::mc::sdk::detail::BusAdapter, mc_bus_vtable, CLASS, \
                       ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)

#define MC_DEFINE_STORE_DESCRIPTOR(FUNCTION, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                 \
    MC_SDK_DESCRIPTOR_(const mc_plugin_descriptor* FUNCTION(), MC_KIND_STORE, ::mc::sdk::detail::StoreAdapter,   \
                       mc_store_vtable, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)
#define MC_DEFINE_DISCOVERY_DESCRIPTOR(FUNCTION, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)             \
    MC_SDK_DESCRIPTOR_(const mc_plugin_descriptor* FUNCTION(), MC_KIND_DISCOVERY,                                \
                       ::mc::sdk::detail::DiscoveryAdapter, mc_discovery_vtable, CLASS, ID, VERSION, DESCRIPTION, \
                       PREFIX, SETTINGS)
#define MC_DEFINE_TRANSPORT_DESCRIPTOR(FUNCTION, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)             \
    MC_SDK_DESCRIPTOR_(const mc_plugin_descriptor* FUNCTION(), MC_KIND_TRANSPORT,                                \
                       ::mc::sdk::detail::TransportAdapter, mc_transport_vtable, CLASS, ID, VERSION, DESCRIPTION, \
                       PREFIX, SETTINGS)
#define MC_DEFINE_RECEIVER_DESCRIPTOR(FUNCTION, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)              \
    MC_SDK_DESCRIPTOR_(const mc_plugin_descriptor* FUNCTION(), MC_KIND_RECEIVER,                                 \
                       ::mc::sdk::detail::ReceiverAdapter, mc_receiver_vtable, CLASS, ID, VERSION, DESCRIPTION,  \
                       PREFIX, SETTINGS)
#define MC_DEFINE_BUS_DESCRIPTOR(FUNCTION, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)                   \
    MC_SDK_DESCRIPTOR_(const mc_plugin_descriptor* FUNCTION(), MC_KIND_BUS, ::mc::sdk::detail::BusAdapter,       \
                       mc_bus_vtable, CLASS, ID, VERSION, DESCRIPTION, PREFIX, SETTINGS)
