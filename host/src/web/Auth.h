#pragma once
// The authentication seam. When auth.jwt.secret is set, every /api and /ws request must carry a
// valid HS256 JWT (Authorization: Bearer <jwt>, or ?token=<jwt> for browsers' WebSockets) whose
// `role` claim is viewer, operator or admin. Without a secret the host is open (bind it to loopback).
//
// Ingest keys (auth.ingest_keys.<source>): a static bearer secret per sending source (an agent, a
// fleet's collector) that may only send events and telemetry: the routes that accept one say so
// (Route::acceptsIngestKeys); everything else, /ws included, refuses it. One key is revoked by
// removing it, without touching the others or anyone's JWT.
#include "policy/Role.h"

#include <Poco/Net/HTTPServerRequest.h>

#include <map>
#include <optional>
#include <string>

namespace mc::host {

struct Principal {
    std::string subject; // the JWT `sub`, "ingest:<source>" for an ingest key, or "anonymous" when auth is off
    Role role = Role::Viewer;
    bool ingestOnly = false; // an ingest key: only routes that accept one
};

struct AuthResult {
    std::optional<Principal> principal; // set when authenticated
    std::string error;                  // why not, when not (safe to show the client)
};

class Authenticator {
public:
    // An empty secret disables authentication: everyone is an anonymous admin (and ingest keys mean nothing).
    // `ingestKeys`: source name -> its key.
    explicit Authenticator(std::string secret, std::string issuer = {}, std::map<std::string, std::string> ingestKeys = {});

    bool enabled() const { return !secret_.empty(); }
    AuthResult authenticate(const Poco::Net::HTTPServerRequest& request) const;
    AuthResult verifyToken(const std::string& token) const;

    // Test and tooling helper: a signed token for `subject` with `role`, valid for `ttlSeconds`.
    std::string issue(const std::string& subject, Role role, long ttlSeconds = 3600) const;

private:
    std::optional<Principal> ingestPrincipal(const std::string& token) const;

    std::string secret_;
    std::string issuer_;
    std::map<std::string, std::string> ingestKeys_;
};

} // namespace mc::host
