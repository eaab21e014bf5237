#pragma once
// Documentation generated from declared keys (mc_config_key): a plugin's README key table and its
// .properties.example, written between marker lines so the prose around them stays hand-written.
// The declaration is the single source; a test of the plugin regenerates and compares (see
// sdk/README.md#generated-documentation), so the documents cannot drift from the code.
#include "mc/sdk.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mc::sdk::doc {

// The marker lines around generated text. Everything between them is replaced; nothing else is touched.
inline constexpr std::string_view kMarkdownBegin =
    "<!-- generated from the plugin's declared keys (mc/config_doc.hpp): edit the declaration, not this table -->";
inline constexpr std::string_view kMarkdownEnd = "<!-- end of generated keys -->";
inline constexpr std::string_view kPropertiesBegin =
    "# ---- generated from the plugin's declared keys (mc/config_doc.hpp): edit the declaration, not below ----";
inline constexpr std::string_view kPropertiesEnd = "# ---- end of generated keys ----";

// The environment variable that sets a key: MC_, then the full key upper-cased with '.' and '-' as '_'
// (store.sqlite.busy_timeout_ms -> MC_STORE_SQLITE_BUSY_TIMEOUT_MS). The host reads it by this rule.
inline std::string environmentVariable(std::string_view fullKey) {
    std::string out = "MC_";
    for (char c : fullKey) {
        if (c == '.' || c == '-') out += '_';
        else if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 'A');
        else out += c;
    }
    return out;
}

namespace detail {

inline std::string fullKey(std::string_view prefix, const mc_config_key& k) {
    return std::string(prefix) + "." + std::string(view(k.name));
}

inline std::string sentence(std::string_view text) {
    std::string out(text);
    if (!out.empty() && out.back() != '.' && out.back() != '?' && out.back() != '!') out += '.';
    return out;
}

// What the key accepts, as an operator writes it in a configuration file.
inline std::string acceptedValues(const mc_config_key& k) {
    if (k.type == MC_CONFIG_LIST) return "a comma-separated list";
    if (k.type == MC_CONFIG_OBJECT) return "sub-keys " + std::string(view(k.name)) + ".<name>";
    return mc::sdk::detail::expected(k);
}

// What the key accepts, with required/secret notes, as one sentence.
inline std::string accepts(const mc_config_key& k) {
    std::string out = acceptedValues(k);
    if (!out.empty()) out[0] = static_cast<char>(out[0] >= 'a' && out[0] <= 'z' ? out[0] - 'a' + 'A' : out[0]);
    if (k.flags & MC_CONFIG_REQUIRED) out += "; required";
    else if (k.type == MC_CONFIG_OBJECT) out += "; none by default";
    else out += "; default: " + (view(k.default_value).empty() ? std::string("empty") : std::string(view(k.default_value)));
    if (k.flags & MC_CONFIG_SECRET) out += "; secret (never shown; write ${env:NAME} or ${file:/path})";
    return out + ".";
}

// `text` as '# ' comment lines of at most `width` characters, broken at spaces.
inline std::string commentLines(std::string_view text, std::size_t width = 100) {
    std::string out, line = "#";
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = text.find(' ', i);
        if (j == std::string_view::npos) j = text.size();
        const std::string_view word = text.substr(i, j - i);
        if (line.size() > 1 && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line = "#";
        }
        line += " ";
        line += word;
        i = j + 1;
    }
    if (line.size() > 1) out += line + "\n";
    return out;
}

inline std::string markdownCell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

} // namespace detail

// The README table: | key | accepts | default | environment | meaning |, keys in declaration order.
inline std::string markdownKeyTable(std::string_view prefix, const std::vector<mc_config_key>& keys) {
    std::string out = "| key | accepts | default | environment | meaning |\n|---|---|---|---|---|\n";
    for (const auto& k : keys) {
        const std::string name(view(k.name));
        std::string accepts = detail::acceptedValues(k);
        if (k.flags & MC_CONFIG_SECRET) accepts += ", secret";
        std::string def = (k.flags & MC_CONFIG_REQUIRED) ? std::string("required")
                          : view(k.default_value).empty() ? std::string("(empty)")
                                                          : "`" + std::string(view(k.default_value)) + "`";
        if (k.type == MC_CONFIG_OBJECT) def = "(none)";
        const std::string key = k.type == MC_CONFIG_OBJECT ? name + ".<name>" : name;
        const std::string env = "`" + environmentVariable(detail::fullKey(prefix, k)) +
                                (k.type == MC_CONFIG_OBJECT ? "_<NAME>`" : "`");
        out += "| `" + key + "` | " + detail::markdownCell(accepts) + " | " + detail::markdownCell(def) + " | " + env +
               " | " + detail::markdownCell(detail::sentence(view(k.description))) + " |\n";
    }
    return out;
}

// The .properties example: every key with its help and what it accepts as comments, then
// `key = value` (the declared example, else the default). Keys are relative to the prefix, the way the
// fake host and the host's --plugin-example read them. Throws std::invalid_argument for a required
// key without an example (the file would not load).
inline std::string exampleProperties(std::string_view prefix, const std::vector<mc_config_key>& keys) {
    std::string out = detail::commentLines("Keys are relative to the prefix " + std::string(prefix) + ": write " +
                                           std::string(prefix) + ".<key> in the host's configuration, or set " +
                                           environmentVariable(std::string(prefix) + ".<KEY>") +
                                           " in its environment.");
    for (const auto& k : keys) {
        const std::string name(view(k.name));
        std::string value(view(k.example).empty() ? view(k.default_value) : view(k.example));
        if ((k.flags & MC_CONFIG_REQUIRED) && view(k.example).empty())
            throw std::invalid_argument("key '" + name + "' is required and declares no example (.example(...))");
        out += "\n" + detail::commentLines(detail::sentence(view(k.description)) + " " + detail::accepts(k));
        const std::string line = (k.type == MC_CONFIG_OBJECT ? "# " + name + ".<name>" : name) + " =";
        out += line + (value.empty() ? "" : " " + value) + "\n";
    }
    return out;
}

// `document` with the text between the begin and end marker lines replaced by `generated`. Throws
// std::invalid_argument when the markers are missing or out of order.
inline std::string withGenerated(std::string_view document, std::string_view begin, std::string_view end,
                                 std::string_view generated) {
    const auto b = document.find(begin);
    const auto e = b == std::string_view::npos ? b : document.find(end, b);
    if (b == std::string_view::npos || e == std::string_view::npos)
        throw std::invalid_argument("the document has no '" + std::string(begin) + "' ... '" + std::string(end) +
                                    "' region");
    const auto afterBegin = document.find('\n', b);
    if (afterBegin == std::string_view::npos || afterBegin > e)
        throw std::invalid_argument("the begin marker must end its line");
    return std::string(document.substr(0, afterBegin + 1)) + std::string(generated) + std::string(document.substr(e));
}

} // namespace mc::sdk::doc
