// Registry packages (registryType, identifier, version): which ones can be run safely, and the one
// command line each runs as. Shared by discovery-registry (which builds the command it reports) and
// the host (which pins packages with discovery.<source>.allow_packages and checks that a reported
// command is exactly the package's), so both sides hold one definition. Header-only.
//
// Only what cannot be misread by npx, uvx or docker passes: a known registry type, an identifier that
// is a plain package or image name (never an option, a URL, a path or a second version), and a plain
// semver version (never a range, a tag such as "latest", "npm:other", "github:..." or a tarball URL).
#pragma once

#include <cctype>
#include <string>
#include <vector>

namespace mc::sdk::package {

struct PackageSpec {
    std::string registryType; // "npm", "pypi" or "oci"
    std::string identifier;   // "@scope/name", "mcp-server-time", "docker.io/mcp/everything"
    std::string version;      // "1.2.3"

    bool operator==(const PackageSpec& o) const {
        return registryType == o.registryType && identifier == o.identifier && version == o.version;
    }
    bool operator!=(const PackageSpec& o) const { return !(*this == o); }
    bool operator<(const PackageSpec& o) const {
        if (registryType != o.registryType) return registryType < o.registryType;
        return identifier != o.identifier ? identifier < o.identifier : version < o.version;
    }
};

namespace detail {

inline bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
inline bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// One dot-separated semver part: digits without a leading zero, or (prerelease) [0-9A-Za-z-]+.
inline bool isSemverPart(const std::string& part, bool numericOnly) {
    if (part.empty()) return false;
    bool digits = true;
    for (char c : part) {
        if (!(isAlnum(c) || c == '-')) return false;
        digits = digits && c >= '0' && c <= '9';
    }
    if (numericOnly && !digits) return false;
    return !(digits && part.size() > 1 && part[0] == '0');
}

inline std::vector<std::string> split(const std::string& s, char separator) {
    std::vector<std::string> out(1);
    for (char c : s) {
        if (c == separator) out.emplace_back();
        else out.back() += c;
    }
    return out;
}

// npm: [@scope/]name, lower-case letters, digits and - . _ ~, neither part starting with . or _.
inline bool isNpmName(const std::string& id) {
    if (id.empty() || id.size() > 214) return false;
    std::string rest = id;
    if (id[0] == '@') {
        const auto slash = id.find('/');
        if (slash == std::string::npos) return false;
        const std::string scope = id.substr(1, slash - 1);
        rest = id.substr(slash + 1);
        if (scope.empty() || !isLowerAlnum(scope[0])) return false;
        for (char c : scope)
            if (!(isLowerAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~')) return false;
    }
    if (rest.empty() || !isLowerAlnum(rest[0])) return false; // also never an option ("-x")
    for (char c : rest)
        if (!(isLowerAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~')) return false;
    return true;
}

// PyPI (PEP 508 names): letters, digits, - . _, starting and ending with a letter or digit.
inline bool isPypiName(const std::string& id) {
    if (id.empty() || id.size() > 200 || !isAlnum(id.front()) || !isAlnum(id.back())) return false;
    for (char c : id)
        if (!(isAlnum(c) || c == '-' || c == '.' || c == '_')) return false;
    return true;
}

// An OCI image name without tag or digest: "/"-separated lower-case components, each letters and
// digits joined by single runs of . _ -; the first may be a registry host (no port: a ':' would be
// read as a tag).
inline bool isOciName(const std::string& id) {
    if (id.empty() || id.size() > 255) return false;
    for (const auto& component : split(id, '/')) {
        if (component.empty() || !isLowerAlnum(component.front()) || !isLowerAlnum(component.back())) return false;
        for (char c : component)
            if (!(isLowerAlnum(c) || c == '.' || c == '_' || c == '-')) return false;
    }
    return true;
}

} // namespace detail

// "MAJOR.MINOR.PATCH" with an optional "-prerelease" (dot-separated [0-9A-Za-z-] parts), numbers
// without leading zeros, no build metadata: one exact version for npm, PyPI and image tags alike.
inline bool isPlainSemver(const std::string& version) {
    if (version.empty() || version.size() > 128) return false;
    const auto dash = version.find('-');
    const std::string core = version.substr(0, dash);
    const auto numbers = detail::split(core, '.');
    if (numbers.size() != 3) return false;
    for (const auto& n : numbers)
        if (!detail::isSemverPart(n, true)) return false;
    if (dash == std::string::npos) return true;
    for (const auto& part : detail::split(version.substr(dash + 1), '.'))
        if (!detail::isSemverPart(part, false)) return false;
    return true;
}

// Why `spec` cannot be run safely; "" when it can.
inline std::string problem(const PackageSpec& spec) {
    const std::string& type = spec.registryType;
    if (type != "npm" && type != "pypi" && type != "oci")
        return "registry type '" + type + "' is not one of npm, pypi, oci";
    const bool nameOk = type == "npm" ? detail::isNpmName(spec.identifier)
                        : type == "pypi" ? detail::isPypiName(spec.identifier)
                                         : detail::isOciName(spec.identifier);
    if (!nameOk)
        return "identifier '" + spec.identifier + "' is not a plain " + type +
               (type == "oci" ? " image name (lower-case, no tag, digest or registry port)" : " package name");
    if (spec.version.empty()) return "it has no version (only an exact version can be pinned)";
    if (!isPlainSemver(spec.version))
        return "version '" + spec.version + "' is not plain semver (MAJOR.MINOR.PATCH, optionally -prerelease)";
    return {};
}

// The command line `spec` runs as; call it only when problem(spec) is "".
inline std::vector<std::string> commandLine(const PackageSpec& spec) {
    if (spec.registryType == "npm") return {"npx", "-y", spec.identifier + "@" + spec.version};
    if (spec.registryType == "pypi") return {"uvx", spec.identifier + "==" + spec.version};
    return {"docker", "run", "-i", "--rm", spec.identifier + ":" + spec.version};
}

// "npm:@scope/name@1.2.3": the allow_packages form.
inline std::string toText(const PackageSpec& spec) {
    return spec.registryType + ":" + spec.identifier + "@" + spec.version;
}

// Parses "<registryType>:<identifier>@<version>" and checks it with problem(); false with `error`
// saying what is wrong.
inline bool parse(const std::string& text, PackageSpec& out, std::string& error) {
    const auto colon = text.find(':');
    const auto at = text.rfind('@');
    if (colon == std::string::npos || colon == 0) {
        error = "no registry type (npm:, pypi: or oci:) before the identifier";
        return false;
    }
    if (at == std::string::npos || at <= colon + 1) {
        error = "no @<version> after the identifier";
        return false;
    }
    PackageSpec spec{text.substr(0, colon), text.substr(colon + 1, at - colon - 1), text.substr(at + 1)};
    error = problem(spec);
    if (!error.empty()) return false;
    out = std::move(spec);
    return true;
}

} // namespace mc::sdk::package
