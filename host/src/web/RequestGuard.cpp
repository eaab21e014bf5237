#include "web/RequestGuard.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace mc::host {
namespace {

std::optional<Poco::Net::IPAddress> ipLiteral(const std::string& host) {
    Poco::Net::IPAddress address;
    if (Poco::Net::IPAddress::tryParse(host, address)) return address;
    return std::nullopt;
}

bool matchesPattern(const std::string& name, const std::string& pattern) {
    if (pattern == "*") return true;
    if (pattern.size() > 2 && pattern.compare(0, 2, "*.") == 0) {
        const std::string suffix = pattern.substr(1); // ".example.com"
        return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    }
    return name == pattern;
}

// "http://Example.com:80" -> "http://example.com" (default ports dropped), for comparisons.
std::string normalizedOrigin(const std::string& origin) {
    try {
        Poco::URI uri(origin);
        const std::string scheme = Poco::toLower(uri.getScheme());
        if (scheme.empty() || uri.getHost().empty()) return {};
        std::string out = scheme + "://" + Poco::toLower(uri.getHost());
        const unsigned port = uri.getPort();
        const bool defaultPort = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
        if (!defaultPort && port != 0) out += ":" + std::to_string(port);
        return out;
    } catch (const Poco::Exception&) {
        return {};
    }
}

} // namespace

RequestGuard::RequestGuard(RequestGuardSettings settings) : settings_(std::move(settings)) {
    for (auto& h : settings_.allowedHosts) h = Poco::toLower(Poco::trim(h));
    for (auto& o : settings_.allowedOrigins) o = o == "*" ? o : normalizedOrigin(Poco::trim(o));
    if (auto ip = ipLiteral(settings_.bindHost)) bindAll_ = ip->isWildcard();
}

std::string RequestGuard::hostName(const std::string& hostHeader) {
    std::string host = Poco::toLower(Poco::trim(hostHeader));
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return close == std::string::npos ? std::string() : host.substr(1, close - 1);
    }
    const auto colon = host.find(':');
    if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) host.erase(colon);
    while (!host.empty() && host.back() == '.') host.pop_back(); // "localhost." is localhost
    return host;
}

bool RequestGuard::isLoopbackAddress(const std::string& host) {
    const std::string name = Poco::toLower(host);
    if (name == "localhost" || (name.size() > 10 && name.compare(name.size() - 10, 10, ".localhost") == 0)) return true;
    auto ip = ipLiteral(name);
    return ip && ip->isLoopback();
}

std::optional<std::string> RequestGuard::hostProblem(const Poco::Net::HTTPServerRequest& request) const {
    if (!request.has("Host")) return std::nullopt; // HTTP/1.0 without Host: nothing a browser sends
    const std::string name = hostName(request.getHost());
    if (name.empty()) return std::string("the Host header is empty or malformed");
    if (isLoopbackAddress(name)) return std::nullopt;
    if (auto ip = ipLiteral(name)) {
        // An IP literal cannot be rebound by DNS.
        auto bound = ipLiteral(settings_.bindHost);
        if (bindAll_ || (bound && *bound == *ip)) return std::nullopt;
    } else if (name == Poco::toLower(settings_.bindHost)) {
        return std::nullopt;
    }
    for (const auto& pattern : settings_.allowedHosts)
        if (matchesPattern(name, pattern)) return std::nullopt;
    return "Host '" + name + "' does not name this server: add it to http.allowed_hosts to accept it";
}

bool RequestGuard::sameOrigin(const std::string& origin, const Poco::Net::HTTPServerRequest& request) const {
    const std::string scheme = request.secure() ? "https" : "http";
    std::string host = Poco::toLower(Poco::trim(request.getHost()));
    // The request's own origin, written as a browser writes it (default ports dropped).
    return origin == normalizedOrigin(scheme + "://" + host);
}

bool RequestGuard::originAllowed(const std::string& origin) const {
    return std::any_of(settings_.allowedOrigins.begin(), settings_.allowedOrigins.end(),
                       [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

std::optional<std::string> RequestGuard::originProblem(const Poco::Net::HTTPServerRequest& request) const {
    if (!request.has("Origin")) return std::nullopt; // not a browser's cross-origin request
    const std::string raw = Poco::trim(request.get("Origin"));
    const std::string origin = normalizedOrigin(raw);
    if (!origin.empty() && (sameOrigin(origin, request) || originAllowed(origin))) return std::nullopt;
    return "Origin '" + raw.substr(0, 200) + "' may not use this server: add it to http.allowed_origins to allow it";
}

std::string RequestGuard::corsOrigin(const Poco::Net::HTTPServerRequest& request) const {
    if (!request.has("Origin")) return {};
    const std::string origin = normalizedOrigin(Poco::trim(request.get("Origin")));
    if (origin.empty() || sameOrigin(origin, request) || !originAllowed(origin)) return {};
    return Poco::trim(request.get("Origin"));
}

} // namespace mc::host
