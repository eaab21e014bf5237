// Minimal Authenticator written on the `ws` branch so the WebSocket hub can be tested; the lead's
// Auth.cpp supersedes it (same header, same behaviour for the cases the hub relies on).
#include "web/Auth.h"

#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

namespace mc::host {

const char* roleName(Role role) {
    switch (role) {
    case Role::Viewer: return "viewer";
    case Role::Operator: return "operator";
    case Role::Admin: return "admin";
    }
    return "viewer";
}

std::optional<Role> parseRole(const std::string& name) {
    if (name == "viewer") return Role::Viewer;
    if (name == "operator") return Role::Operator;
    if (name == "admin") return Role::Admin;
    return std::nullopt;
}

Authenticator::Authenticator(std::string secret, std::string issuer)
    : secret_(std::move(secret)), issuer_(std::move(issuer)) {}

AuthResult Authenticator::authenticate(const Poco::Net::HTTPServerRequest& request) const {
    if (!enabled()) return AuthResult{Principal{"anonymous", Role::Admin}, {}};
    std::string token;
    const std::string authorization = request.get(Poco::Net::HTTPRequest::AUTHORIZATION, "");
    if (authorization.rfind("Bearer ", 0) == 0) {
        token = authorization.substr(7);
    } else {
        try {
            for (const auto& [key, value] : Poco::URI(request.getURI()).getQueryParameters())
                if (key == "token") token = value;
        } catch (const Poco::Exception&) {
            return AuthResult{std::nullopt, "malformed query string"};
        }
    }
    if (token.empty()) return AuthResult{std::nullopt, "missing bearer token"};
    return verifyToken(token);
}

AuthResult Authenticator::verifyToken(const std::string& token) const {
    if (!enabled()) return AuthResult{Principal{"anonymous", Role::Admin}, {}};
    try {
        Poco::JWT::Signer signer(secret_);
        Poco::JWT::Token verified = signer.verify(token);
        if (verified.getExpiration() != Poco::Timestamp(0) && verified.getExpiration() < Poco::Timestamp())
            return AuthResult{std::nullopt, "token expired"};
        if (!issuer_.empty() && verified.getIssuer() != issuer_) return AuthResult{std::nullopt, "wrong token issuer"};
        const auto role = parseRole(verified.payload().optValue<std::string>("role", ""));
        if (!role) return AuthResult{std::nullopt, "token has no valid role claim"};
        return AuthResult{Principal{verified.getSubject(), *role}, {}};
    } catch (const Poco::Exception& e) {
        return AuthResult{std::nullopt, "invalid token"};
    }
}

std::string Authenticator::issue(const std::string& subject, Role role, long ttlSeconds) const {
    Poco::JWT::Token token;
    token.setType("JWT");
    token.setSubject(subject);
    if (!issuer_.empty()) token.setIssuer(issuer_);
    token.payload().set("role", std::string(roleName(role)));
    Poco::Timestamp now;
    token.setIssuedAt(now);
    token.setExpiration(now + Poco::Timestamp::TimeDiff(ttlSeconds) * Poco::Timestamp::resolution());
    Poco::JWT::Signer signer(secret_);
    return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

} // namespace mc::host
