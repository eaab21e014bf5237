// JWT authentication: roles, every rejection reason, and the disabled (open) mode.
#include "web/Auth.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using namespace mc::host;

namespace {
const std::string kSecret = "test-secret-0123456789abcdef";

std::string base64url(const std::string& in) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    enc << in;
    enc.close();
    return out.str();
}

std::string rejection(const Authenticator& auth, const std::string& token) {
    auto r = auth.verifyToken(token);
    return r.principal ? std::string("(accepted)") : r.error;
}
} // namespace

class AuthTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AuthTest);
    CPPUNIT_TEST(disabledMeansAnonymousAdmin);
    CPPUNIT_TEST(issuedTokensCarryTheirRole);
    CPPUNIT_TEST(wrongSecretIsRejected);
    CPPUNIT_TEST(expiredTokenIsRejected);
    CPPUNIT_TEST(tokenWithoutOrWithUnknownRoleIsRejected);
    CPPUNIT_TEST(unsignedAlgNoneTokenIsRejected);
    CPPUNIT_TEST(garbageIsRejected);
    CPPUNIT_TEST(issuerIsEnforcedWhenConfigured);
    CPPUNIT_TEST_SUITE_END();

public:
    void disabledMeansAnonymousAdmin() {
        Authenticator auth("");
        CPPUNIT_ASSERT(!auth.enabled());
    }

    void issuedTokensCarryTheirRole() {
        Authenticator auth(kSecret);
        CPPUNIT_ASSERT(auth.enabled());
        for (Role role : {Role::Viewer, Role::Operator, Role::Admin}) {
            auto r = auth.verifyToken(auth.issue("alice", role));
            CPPUNIT_ASSERT_MESSAGE(r.error, r.principal.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string("alice"), r.principal->subject);
            CPPUNIT_ASSERT(r.principal->role == role);
        }
    }

    void wrongSecretIsRejected() {
        Authenticator mine(kSecret), theirs("another-secret-0123456789");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid token signature"), rejection(mine, theirs.issue("eve", Role::Admin)));
    }

    void expiredTokenIsRejected() {
        Authenticator auth(kSecret);
        CPPUNIT_ASSERT_EQUAL(std::string("token expired"), rejection(auth, auth.issue("bob", Role::Viewer, -10)));
    }

    void tokenWithoutOrWithUnknownRoleIsRejected() {
        Poco::JWT::Signer signer(kSecret);
        Poco::JWT::Token noRole;
        noRole.setSubject("carol");
        Authenticator auth(kSecret);
        CPPUNIT_ASSERT_EQUAL(std::string("token has no 'role' claim"), rejection(auth, signer.sign(noRole, "HS256")));
        Poco::JWT::Token root;
        root.payload().set("role", std::string("root"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown role 'root' (expected viewer, operator or admin)"),
                             rejection(auth, signer.sign(root, "HS256")));
    }

    void unsignedAlgNoneTokenIsRejected() {
        const std::string token = base64url(R"({"alg":"none","typ":"JWT"})") + "." +
                                  base64url(R"({"sub":"mallory","role":"admin"})") + ".";
        Authenticator auth(kSecret);
        CPPUNIT_ASSERT(!auth.verifyToken(token).principal.has_value());
    }

    void garbageIsRejected() {
        Authenticator auth(kSecret);
        CPPUNIT_ASSERT(!auth.verifyToken("not-a-jwt").principal.has_value());
        CPPUNIT_ASSERT(!auth.verifyToken("").principal.has_value());
        CPPUNIT_ASSERT(!auth.verifyToken("a.b.c").principal.has_value());
    }

    void issuerIsEnforcedWhenConfigured() {
        Authenticator strict(kSecret, "mission-control"), loose(kSecret);
        CPPUNIT_ASSERT_EQUAL(std::string("token issuer is not 'mission-control'"),
                             rejection(strict, loose.issue("dave", Role::Viewer)));
        CPPUNIT_ASSERT(strict.verifyToken(strict.issue("dave", Role::Viewer)).principal.has_value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthTest);
