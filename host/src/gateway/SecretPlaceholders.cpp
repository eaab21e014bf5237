#include "gateway/SecretPlaceholders.h"

#include "config/HostConfig.h"
#include "policy/PermissionPolicy.h"

#include <Poco/JSON/Object.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace mc::host {
namespace {

const char* const kForms = "use ${env:NAME} or ${file:/absolute/path} ($${ for a literal ${)";
const char* const kMcRefusal = "MC_* variables hold the host's own configuration and are never passed to MCP servers";

bool isMcName(const std::string& name) { return name.rfind("MC_", 0) == 0; }

// An absolute path without empty, "." or ".." components: what it names is what a pattern sees.
bool isPlainAbsolutePath(const std::string& path) {
    if (path.size() < 2 || path[0] != '/') return false;
    std::size_t start = 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        const std::string part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return path.find('\0') == std::string::npos;
}

SecretPlaceholder parseOne(const std::string& text) {
    const std::string inner = text.substr(2, text.size() - 3);
    SecretPlaceholder p;
    p.text = text;
    if (inner.rfind("env:", 0) == 0) {
        p.kind = SecretPlaceholder::Kind::Env;
        p.target = inner.substr(4);
        if (!isValidEnvName(p.target))
            throw std::invalid_argument("placeholder " + text + ": '" + p.target + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
        if (isMcName(p.target)) throw std::invalid_argument("placeholder " + text + " names " + p.target + ": " + kMcRefusal);
    } else if (inner.rfind("file:", 0) == 0) {
        p.kind = SecretPlaceholder::Kind::File;
        p.target = inner.substr(5);
        if (!isPlainAbsolutePath(p.target))
            throw std::invalid_argument("placeholder " + text + ": the path must be absolute, without empty, '.' or '..' parts");
    } else {
        // Not echoed: it may be a piece of a literal secret that happens to hold "${".
        throw std::invalid_argument(std::string("a ${...} that is no known placeholder: ") + kForms);
    }
    return p;
}

// Calls `literal(text)` and `placeholder(p)` for the pieces of `value`, in order.
template <typename Literal, typename Placeholder>
void scan(const std::string& value, Literal&& literal, Placeholder&& placeholder) {
    std::size_t i = 0;
    while (i < value.size()) {
        const std::size_t dollar = value.find('$', i);
        if (dollar == std::string::npos) {
            literal(value.substr(i));
            return;
        }
        if (value.compare(dollar, 3, "$${") == 0) {
            literal(value.substr(i, dollar - i) + "${");
            i = dollar + 3;
        } else if (value.compare(dollar, 2, "${") == 0) {
            literal(value.substr(i, dollar - i));
            const std::size_t close = value.find('}', dollar);
            if (close == std::string::npos)
                throw std::invalid_argument(std::string("a ${ without its closing }: ") + kForms);
            placeholder(parseOne(value.substr(dollar, close - dollar + 1)));
            i = close + 1;
        } else {
            literal(value.substr(i, dollar - i + 1));
            i = dollar + 1;
        }
    }
}

bool matchesAny(const std::vector<std::string>& patterns, const std::string& prefix, const std::string& target) {
    for (const auto& p : patterns)
        if (p.rfind(prefix, 0) == 0 && PermissionPolicy::globMatch(std::string_view(p).substr(prefix.size()), target)) return true;
    return false;
}

// "" when a definition from `origin` may take `target` from the host, else the end of a sentence
// saying why not ("is not allowed in ...").
std::string refusal(SecretPlaceholder::Kind kind, const std::string& target, const std::string& origin,
                    const std::vector<std::string>& apiPatterns) {
    if (origin == "config") return {};
    if (origin != "api")
        return "is not allowed in a server from " + origin +
               ": only host.properties, and POST /api/mcps as far as gateway.api_placeholders allows, may take values from the host";
    const std::string prefix = kind == SecretPlaceholder::Kind::Env ? "env:" : "file:";
    if (matchesAny(apiPatterns, prefix, target)) return {};
    return "is not allowed in a server registered over the API: gateway.api_placeholders " +
           (apiPatterns.empty() ? std::string("is empty") : "does not allow " + prefix + target);
}

struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
};

// Every string value of an object field of `config` with its name ("headers.X", "env.Y"): where
// placeholders may be written, whatever the transport calls its fields.
template <typename Visit>
void forEachSecretField(const McpServerConfig& config, Visit&& visit) {
    for (const auto& [field, value] : config.fields)
        if (value.type() == typeid(Poco::JSON::Object::Ptr))
            for (const auto& [name, member] : *value.template extract<Poco::JSON::Object::Ptr>())
                if (member.isString()) visit(field + "." + name, member.template extract<std::string>());
}

std::string readSecretFile(const SecretPlaceholder& p, const std::string& origin, const std::vector<std::string>& apiPatterns) {
    const std::string& path = p.target;
    // First only a handle (O_PATH opens nothing: no FIFO waits, no device acts), to check what the
    // name leads to; then the very same file is opened for reading through it.
    const int handle = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (handle < 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    const FdCloser handleCloser{handle};
    const std::string viaHandle = "/proc/self/fd/" + std::to_string(handle);
    if (origin == "api") {
        // A link must not lead an allowed name out of the allowed files.
        char real[PATH_MAX];
        const ssize_t n = ::readlink(viaHandle.c_str(), real, sizeof real - 1);
        if (n <= 0) throw std::runtime_error("cannot tell which file " + path + " is: " + std::strerror(errno));
        real[n] = '\0';
        if (!matchesAny(apiPatterns, "file:", real))
            throw std::runtime_error(path + " leads to " + std::string(real) + ", which gateway.api_placeholders does not allow");
    }
    struct stat info {};
    if (::fstat(handle, &info) != 0 || !S_ISREG(info.st_mode)) throw std::runtime_error(path + " is not a regular file");
    if (static_cast<std::size_t>(info.st_size) > kMaxSecretFileBytes)
        throw std::runtime_error(path + " is larger than " + std::to_string(kMaxSecretFileBytes) + " bytes");
    const int fd = ::open(viaHandle.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    const FdCloser closer{fd};
    std::string out;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
        if (n == 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
        if (out.size() > kMaxSecretFileBytes)
            throw std::runtime_error(path + " is larger than " + std::to_string(kMaxSecretFileBytes) + " bytes");
    }
    // Secret files usually end with a line break that is not part of the secret.
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.find('\0') != std::string::npos) throw std::runtime_error(path + " holds a NUL byte");
    return out;
}

std::string resolveOne(const SecretPlaceholder& p, const std::string& origin, const std::vector<std::string>& apiPatterns) {
    if (p.kind == SecretPlaceholder::Kind::Env) {
        const char* value = std::getenv(p.target.c_str());
        if (!value) throw std::runtime_error("the environment variable " + p.target + " is not set");
        return value;
    }
    return readSecretFile(p, origin, apiPatterns);
}

} // namespace

std::vector<SecretPlaceholder> secretPlaceholdersIn(const std::string& value) {
    std::vector<SecretPlaceholder> out;
    scan(value, [](const std::string&) {}, [&](SecretPlaceholder p) { out.push_back(std::move(p)); });
    return out;
}

std::vector<std::string> parseApiPlaceholderPatterns(const std::string& value) {
    static const std::string key = "gateway.api_placeholders";
    std::vector<std::string> out;
    Poco::StringTokenizer items(value, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& item : items) {
        const bool env = item.rfind("env:", 0) == 0;
        const bool file = item.rfind("file:", 0) == 0;
        const std::string target = env ? item.substr(4) : file ? item.substr(5) : std::string();
        if (target.empty())
            throw ConfigError("invalid configuration: " + key + " = '" + value + "': '" + item +
                              "' is not env:<name> or file:<path> (globs * and ?)");
        if (file && target[0] != '/')
            throw ConfigError("invalid configuration: " + key + " = '" + value + "': '" + item + "' is not an absolute path");
        if (env && isMcName(target))
            throw ConfigError("invalid configuration: " + key + " = '" + value + "': '" + item + "': " + kMcRefusal);
        out.push_back(item);
    }
    return out;
}

void checkSecretPlaceholders(const McpServerConfig& config, const std::string& origin,
                             const std::vector<std::string>& apiPatterns) {
    forEachSecretField(config, [&](const std::string& field, const std::string& value) {
        for (const auto& p : secretPlaceholdersIn(value)) {
            const std::string why = refusal(p.kind, p.target, origin, apiPatterns);
            if (!why.empty()) throw SecretPlaceholderError(field, field + ": " + p.text + " " + why);
        }
    });
    // inherit_env takes from the host's environment as ${env:NAME} does, under the same rule.
    for (const auto& name : config.strings("inherit_env")) {
        const std::string why = refusal(SecretPlaceholder::Kind::Env, name, origin, apiPatterns);
        if (!why.empty()) throw SecretPlaceholderError("inherit_env", "inherit_env: " + name + " " + why);
    }
}

namespace {
// `value` resolved; throws std::exception with the placeholder and the reason (never a value).
std::string resolveText(const std::string& value, const std::string& origin, const std::vector<std::string>& apiPatterns) {
    std::string resolved;
    scan(value, [&](const std::string& text) { resolved += text; },
         [&](const SecretPlaceholder& p) {
             const std::string why = refusal(p.kind, p.target, origin, apiPatterns);
             if (!why.empty()) throw std::runtime_error(p.text + " " + why);
             try {
                 resolved += resolveOne(p, origin, apiPatterns);
             } catch (const std::runtime_error& e) {
                 throw std::runtime_error(p.text + ": " + e.what());
             }
         });
    return resolved;
}
} // namespace

std::string resolveSecretValue(const std::string& what, const std::string& value, const std::string& origin,
                               const std::vector<std::string>& apiPatterns) {
    try {
        return resolveText(value, origin, apiPatterns);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot resolve " + what + ": " + e.what());
    }
}

McpServerConfig resolveSecretPlaceholders(const McpServerConfig& config, const std::string& origin,
                                          const std::vector<std::string>& apiPatterns) {
    McpServerConfig out = config;
    auto resolve = [&](const std::string& field, const std::string& value) {
        std::string resolved;
        try {
            resolved = resolveText(value, origin, apiPatterns);
        } catch (const std::exception& e) {
            throw SecretPlaceholderError(field, "cannot resolve " + field + " of MCP server '" + config.id + "': " + e.what());
        }
        if (field.rfind("headers.", 0) == 0 && resolved.find_first_of("\r\n") != std::string::npos)
            throw SecretPlaceholderError(field, "cannot resolve " + field + " of MCP server '" + config.id +
                                                    "': its value holds a line break once its placeholders are resolved");
        return resolved;
    };
    // New objects: the definition the gateway keeps (and shows) still holds the placeholders.
    for (auto& [field, value] : out.fields) {
        if (value.type() != typeid(Poco::JSON::Object::Ptr)) continue;
        Poco::JSON::Object::Ptr resolved(new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER));
        for (const auto& [name, member] : *value.extract<Poco::JSON::Object::Ptr>())
            resolved->set(name, member.isString() ? Poco::Dynamic::Var(resolve(field + "." + name, member.extract<std::string>()))
                                                  : member);
        value = resolved;
    }
    return out;
}

} // namespace mc::host
