#pragma once
// `${env:NAME}` and `${file:/path}` placeholders in MCP server header and env values (the form of
// mcp.json tooling), so secrets need not sit in host.properties or a registration body. They are
// checked when a definition is read and resolved only when a server connects (every attempt, into
// the transport's configuration alone): nothing stored, audited, published or logged holds a value.
//
// Who may use which (docs/mcp-gateway.md#secrets):
//   host.properties (origin "config"): any placeholder;
//   POST /api/mcps (origin "api"): only those gateway.api_placeholders allows (default: none), as an
//     admin could otherwise send the host's secrets to a server of their own;
//   any other origin (discovery): none.
// MC_* variables (the host's own configuration) are refused everywhere when a definition is parsed.
#include "gateway/McpServerConfig.h"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

// The most a ${file:...} placeholder reads; a larger file fails the connect.
constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

struct SecretPlaceholder {
    enum class Kind { Env, File };
    Kind kind = Kind::Env;
    std::string target; // the variable name, or the absolute file path
    std::string text;   // as written ("${env:NAME}"), for messages
};

// The placeholders in `value`, in order. `$${` is a literal `${`. Throws std::invalid_argument with
// the reason on a malformed or unknown one, or a ${env:MC_*}.
std::vector<SecretPlaceholder> secretPlaceholdersIn(const std::string& value);

// A placeholder refused by the origin's rule, or one that cannot be resolved. `field` is the header
// or variable ("headers.Authorization", "env.GH_TOKEN", "inherit_env"); the message names the
// server, the field and the placeholder, never a value.
class SecretPlaceholderError : public std::runtime_error {
public:
    SecretPlaceholderError(std::string field, const std::string& message)
        : std::runtime_error(message), field(std::move(field)) {}
    std::string field;
};

// gateway.api_placeholders: comma-separated `env:<glob>` / `file:<glob>` (`*`, `?`). Throws
// ConfigError naming the key on anything else, or on an env:MC_* pattern.
std::vector<std::string> parseApiPlaceholderPatterns(const std::string& value);

// Throws SecretPlaceholderError for the first placeholder (or inherit_env name) of `config` a
// definition from `origin` may not use under `apiPatterns`.
void checkSecretPlaceholders(const McpServerConfig& config, const std::string& origin,
                             const std::vector<std::string>& apiPatterns);

// `value` with its placeholders resolved for a definition from `origin` (a plugin's SECRET key: origin
// "config"). Throws std::runtime_error naming `what` and the placeholder, never a value.
std::string resolveSecretValue(const std::string& what, const std::string& value, const std::string& origin,
                               const std::vector<std::string>& apiPatterns);

// `config` with every header and env value resolved from the host's environment and files, as of
// now. Throws SecretPlaceholderError (an unset variable, an unreadable, oversized or non-regular
// file, a line break in a header, a placeholder the origin may not use).
McpServerConfig resolveSecretPlaceholders(const McpServerConfig& config, const std::string& origin,
                                          const std::vector<std::string>& apiPatterns);

} // namespace mc::host
