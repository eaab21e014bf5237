// The permission policy: rule matching (users, roles, MCP and tool globs), evaluation order, the
// default, reads (the rules naming no tools), and configuration errors that name the key.
#include "config/HostConfig.h"
#include "policy/PermissionPolicy.h"

#include <Poco/Util/MapConfiguration.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host;

namespace {
Poco::AutoPtr<Poco::Util::MapConfiguration> config(const std::map<std::string, std::string>& keys) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
    for (const auto& [k, v] : keys) c->setString(k, v);
    return c;
}

std::string configError(const std::map<std::string, std::string>& keys) {
    try {
        PermissionPolicy::fromConfig(*config(keys));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}
} // namespace

class PermissionPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PermissionPolicyTest);
    CPPUNIT_TEST(globs);
    CPPUNIT_TEST(firstMatchingRuleInOrderDecides);
    CPPUNIT_TEST(theDefaultDecidesWhenNoRuleMatches);
    CPPUNIT_TEST(badConfigurationNamesTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void globs() {
        CPPUNIT_ASSERT(PermissionPolicy::globMatch("read_*", "read_file"));
        CPPUNIT_ASSERT(PermissionPolicy::globMatch("read_*", "read_"));
        CPPUNIT_ASSERT(!PermissionPolicy::globMatch("read_*", "write_file"));
        CPPUNIT_ASSERT(PermissionPolicy::globMatch("git*", "git"));
        CPPUNIT_ASSERT(PermissionPolicy::globMatch("*", ""));
        CPPUNIT_ASSERT(PermissionPolicy::globMatch("a?c", "abc"));
        CPPUNIT_ASSERT(!PermissionPolicy::globMatch("a?c", "ac"));
        CPPUNIT_ASSERT(PermissionPolicy::globMatch("*-*-end", "x-y-z-end"));
        CPPUNIT_ASSERT(!PermissionPolicy::globMatch("files", "files2"));
    }

    void firstMatchingRuleInOrderDecides() {
        auto policy = PermissionPolicy::fromConfig(*config({
            {"permissions.default", "deny"},
            {"permissions.rules.readers.effect", "allow"},
            {"permissions.rules.readers.tools", "read_*, list_*"},
            {"permissions.rules.readers.mcps", "files, git*"},
            {"permissions.rules.admins.effect", "allow"},
            {"permissions.rules.admins.roles", "admin"},
            {"permissions.rules.admins.order", "50"},
            {"permissions.rules.no-mallory.effect", "deny"},
            {"permissions.rules.no-mallory.users", "mallory"},
            {"permissions.rules.no-mallory.order", "10"},
        }));
        CPPUNIT_ASSERT_EQUAL(std::string("no-mallory"), policy.rules()[0].name);
        CPPUNIT_ASSERT_EQUAL(std::string("admins"), policy.rules()[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("readers"), policy.rules()[2].name); // default order 100

        auto d = policy.decide("alice", "operator", "files", "read_file");
        CPPUNIT_ASSERT(d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string("readers"), d.rule);
        CPPUNIT_ASSERT_EQUAL(std::string("rule 'readers' allows"), d.reason);
        CPPUNIT_ASSERT(policy.decide("alice", "operator", "github", "list_repos").granted);
        d = policy.decide("mallory", "admin", "files", "read_file"); // order 10 beats her admin role
        CPPUNIT_ASSERT(!d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string("rule 'no-mallory' denies"), d.reason);
        CPPUNIT_ASSERT(policy.decide("bob", "admin", "shell", "exec").granted);
        d = policy.decide("alice", "operator", "files", "write_file");
        CPPUNIT_ASSERT(!d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string(""), d.rule);
        CPPUNIT_ASSERT_EQUAL(std::string("no rule matched: permissions.default = deny"), d.reason);
        // Reads: the rules naming tools ("readers") do not apply; the others and the default do.
        d = policy.decideRead("alice", "operator", "files");
        CPPUNIT_ASSERT(!d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string("no rule matched: permissions.default = deny"), d.reason);
        d = policy.decideRead("bob", "admin", "files");
        CPPUNIT_ASSERT(d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string("admins"), d.rule);
        d = policy.decideRead("mallory", "admin", "files");
        CPPUNIT_ASSERT(!d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string("rule 'no-mallory' denies"), d.reason);
    }

    void theDefaultDecidesWhenNoRuleMatches() {
        PermissionPolicy open;
        auto d = open.decide("anyone", "viewer", "m", "t");
        CPPUNIT_ASSERT(d.granted);
        CPPUNIT_ASSERT_EQUAL(std::string("no rule matched: permissions.default = allow"), d.reason);
        auto policy = PermissionPolicy::fromConfig(*config({{"permissions.default", "DENY"}}));
        CPPUNIT_ASSERT(!policy.decide("anyone", "admin", "m", "t").granted);
    }

    void badConfigurationNamesTheKey() {
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: permissions.default = 'maybe': expected allow or deny"),
                             configError({{"permissions.default", "maybe"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: permissions.rules.r.effect = '': expected allow or deny (required)"),
                             configError({{"permissions.rules.r.tools", "x"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: permissions.rules.r.roles = 'root': expected viewer, operator or admin"),
                             configError({{"permissions.rules.r.effect", "allow"}, {"permissions.rules.r.roles", "viewer, root"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: permissions.rules.r.order = 'first': expected an integer"),
                             configError({{"permissions.rules.r.effect", "deny"}, {"permissions.rules.r.order", "first"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: unknown key permissions.rules.r.tool (a rule has effect, users, "
                                         "roles, mcps, tools, order)"),
                             configError({{"permissions.rules.r.effect", "deny"}, {"permissions.rules.r.tool", "x"}}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PermissionPolicyTest);
