#include "web/Auth.h"

#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Net/HTTPCredentials.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

namespace mc::host {

Authenticator::Authenticator(std::string secret, std::string issuer, std::map<std::string, std::string> ingestKeys)
    : secret_(std::move(secret)), issuer_(std::move(issuer)), ingestKeys_(std::move(ingestKeys)) {}

// Every key is compared in full, whatever matched: the time taken says nothing about which key, or
// how much of one, a guess got right.
std::optional<Principal> Authenticator::ingestPrincipal(const std::string& token) const {
    std::optional<Principal> found;
    for (const auto& [source, key] : ingestKeys_) {
        unsigned char differ = key.size() == token.size() ? 0 : 1;
        for (std::size_t i = 0; i < key.size(); ++i)
            differ |= static_cast<unsigned char>(key[i] ^ (i < token.size() ? token[i] : 0));
        if (differ == 0) found = Principal{"ingest:" + source, Role::Viewer, true};
    }
    return found;
}

AuthResult Authenticator::authenticate(const Poco::Net::HTTPServerRequest& request) const {
    if (!enabled()) return AuthResult{Principal{"anonymous", Role::Admin}, {}};

    std::string token;
    if (request.has("Authorization")) {
        std::string scheme, info;
        request.getCredentials(scheme, info);
        if (Poco::icompare(scheme, "Bearer") != 0)
            return AuthResult{std::nullopt, "the Authorization header must use the Bearer scheme"};
        token = info;
    } else {
        try {
            for (const auto& [key, value] : Poco::URI(request.getURI()).getQueryParameters())
                if (key == "token") token = value;
        } catch (const Poco::Exception&) {
            return AuthResult{std::nullopt, "malformed query string"};
        }
    }
    if (token.empty())
        return AuthResult{std::nullopt, "authentication required: send 'Authorization: Bearer <jwt>' or ?token=<jwt>"};
    if (auto ingest = ingestPrincipal(token)) return AuthResult{std::move(ingest), {}};
    return verifyToken(token);
}

AuthResult Authenticator::verifyToken(const std::string& jwt) const {
    Poco::JWT::Signer signer(secret_); // HS256 only: "none" and other algorithms are refused
    Poco::JWT::Token token;
    try {
        if (!signer.tryVerify(jwt, token)) return AuthResult{std::nullopt, "invalid token signature"};
    } catch (const Poco::Exception&) {
        return AuthResult{std::nullopt, "malformed token"};
    }
    const Poco::Timestamp now;
    const auto& payload = token.payload();
    if (payload.has("exp") && token.getExpiration() <= now) return AuthResult{std::nullopt, "token expired"};
    if (payload.has("nbf") && token.getNotBefore() > now) return AuthResult{std::nullopt, "token not yet valid"};
    if (!issuer_.empty() && token.getIssuer() != issuer_)
        return AuthResult{std::nullopt, "token issuer is not '" + issuer_ + "'"};
    if (!payload.has("role")) return AuthResult{std::nullopt, "token has no 'role' claim"};
    std::string roleText;
    try {
        roleText = payload.getValue<std::string>("role");
    } catch (const Poco::Exception&) {
        return AuthResult{std::nullopt, "the 'role' claim must be a string"};
    }
    auto role = parseRole(roleText);
    if (!role) return AuthResult{std::nullopt, "unknown role '" + roleText + "' (expected viewer, operator or admin)"};
    std::string subject = token.getSubject();
    return AuthResult{Principal{subject.empty() ? "unknown" : subject, *role}, {}};
}

std::string Authenticator::issue(const std::string& subject, Role role, long ttlSeconds) const {
    Poco::JWT::Token token;
    token.setType("JWT");
    token.setSubject(subject);
    if (!issuer_.empty()) token.setIssuer(issuer_);
    token.payload().set("role", std::string(roleName(role)));
    Poco::Timestamp now;
    token.setIssuedAt(now);
    token.setExpiration(now + Poco::Timespan(ttlSeconds, 0));
    Poco::JWT::Signer signer(secret_);
    return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

} // namespace mc::host
