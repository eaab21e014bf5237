#pragma once
// The authentication seam. When auth.jwt.secret is set, every /api and /ws request must carry a
// valid HS256 JWT (Authorization: Bearer <jwt>, or ?token=<jwt> for browsers' WebSockets) whose
// `role` claim is viewer, operator or admin. Without a secret the host is open (bind it to loopback).
#include "policy/Role.h"

#include <Poco/Net/HTTPServerRequest.h>

#include <optional>
#include <string>

namespace mc::host {

struct Principal {
    std::string subject; // the JWT `sub`, or "anonymous" when auth is off
    Role role = Role::Viewer;
};

struct AuthResult {
    std::optional<Principal> principal; // set when authenticated
    std::string error;                  // why not, when not (safe to show the client)
};

class Authenticator {
public:
    // An empty secret disables authentication: everyone is an anonymous admin.
    explicit Authenticator(std::string secret, std::string issuer = {});

    bool enabled() const { return !secret_.empty(); }
    AuthResult authenticate(const Poco::Net::HTTPServerRequest& request) const;
    AuthResult verifyToken(const std::string& token) const;

    // Test and tooling helper: a signed token for `subject` with `role`, valid for `ttlSeconds`.
    std::string issue(const std::string& subject, Role role, long ttlSeconds = 3600) const;

private:
    std::string secret_;
    std::string issuer_;
};

} // namespace mc::host
