#pragma once
// Who may talk to the host from a browser. Without it, any web page the operator visits could drive
// the host: a page's scripts can open a WebSocket to localhost (browsers do not apply CORS to
// WebSockets), post forms without a CORS preflight, and reach a loopback listener through a DNS name it
// controls (DNS rebinding). So:
//   - Host must name this host: localhost (or *.localhost), an IP literal of the bind address (any IP
//     literal when bound to every interface), or a name in http.allowed_hosts;
//   - a request carrying Origin must come from the same origin as its Host, or from an origin in
//     http.allowed_origins (which also get CORS headers); "Origin: null" is refused;
//   - a request with a body must declare a media type the route accepts (415 otherwise), so a
//     cross-site form (text/plain, urlencoded) can never be a valid request.
#include <Poco/Net/HTTPServerRequest.h>

#include <optional>
#include <string>
#include <vector>

namespace mc::host {

struct RequestGuardSettings {
    std::string bindHost = "127.0.0.1";      // http.host
    std::vector<std::string> allowedHosts;   // http.allowed_hosts: names, "*.example.com", or "*" (any)
    std::vector<std::string> allowedOrigins; // http.allowed_origins: "https://console.example.com", or "*"
};

class RequestGuard {
public:
    explicit RequestGuard(RequestGuardSettings settings = {});

    // Why the Host header is refused, or nullopt when it names this host.
    std::optional<std::string> hostProblem(const Poco::Net::HTTPServerRequest& request) const;
    // Why the Origin header is refused, or nullopt when absent, same-origin or allowed.
    std::optional<std::string> originProblem(const Poco::Net::HTTPServerRequest& request) const;
    // The Origin when it is cross-origin and allowed (CORS answers echo it), else "".
    std::string corsOrigin(const Poco::Net::HTTPServerRequest& request) const;

    // "example.com" from "example.com:8000", "::1" from "[::1]:8000"; lower-cased.
    static std::string hostName(const std::string& hostHeader);
    static bool isLoopbackAddress(const std::string& host); // 127.0.0.0/8, ::1, localhost

private:
    bool sameOrigin(const std::string& origin, const Poco::Net::HTTPServerRequest& request) const;
    bool originAllowed(const std::string& origin) const;

    RequestGuardSettings settings_;
    bool bindAll_ = false;
};

} // namespace mc::host
