// Where discovered servers may be reached: address classes (loopback, link-local, lan, metadata),
// host names resolved before they are judged, and allow_remotes host patterns.
#include "config/HostConfig.h"
#include "discovery/AddressPolicy.h"

#include "NetworkNamespace.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host;

namespace {

AddressClass classOf(const std::string& address) { return classifyAddress(Poco::Net::IPAddress(address)); }

std::string name(AddressClass c) { return addressClassName(c); }

} // namespace

class AddressPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AddressPolicyTest);
    CPPUNIT_TEST(testAddressesAreClassed);
    CPPUNIT_TEST(testNamesAreResolvedBeforeTheyAreJudged);
    CPPUNIT_TEST(testUnresolvableNameIsNotAllowed);
    CPPUNIT_TEST(testHostPatterns);
    CPPUNIT_TEST(testMalformedHostPatternsNameTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAddressesAreClassed() {
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"127.0.0.1", "loopback"},      {"127.8.9.10", "loopback"},     {"0.0.0.0", "loopback"},
            {"::1", "loopback"},            {"::", "loopback"},             {"::ffff:127.0.0.1", "loopback"},
            {"169.254.1.1", "link-local"},  {"fe80::1", "link-local"},      {"febf::1", "link-local"},
            {"169.254.169.254", "metadata"}, {"169.254.170.2", "metadata"}, {"100.100.100.200", "metadata"},
            {"fd00:ec2::254", "metadata"},  {"::ffff:169.254.169.254", "metadata"}, {"64:ff9b::a9fe:a9fe", "metadata"},
            {"10.1.2.3", "lan"},            {"172.16.0.1", "lan"},          {"172.31.255.255", "lan"},
            {"192.168.1.10", "lan"},        {"100.64.0.1", "lan"},          {"fd12:3456::1", "lan"},
            {"224.0.0.251", "unusable"},    {"255.255.255.255", "unusable"}, {"ff02::fb", "unusable"},
            {"8.8.8.8", "public"},          {"172.32.0.1", "public"},       {"169.253.0.1", "public"},
            {"2001:db8::1", "public"},      {"192.169.0.1", "public"},
        };
        for (const auto& [address, expected] : cases) CPPUNIT_ASSERT_EQUAL_MESSAGE(address, expected, name(classOf(address)));
        CPPUNIT_ASSERT(classifyHostName("localhost") == AddressClass::Loopback);
        CPPUNIT_ASSERT(classifyHostName("api.LOCALHOST") == AddressClass::Loopback);
        CPPUNIT_ASSERT(classifyHostName("metadata.google.internal") == AddressClass::Metadata);
        CPPUNIT_ASSERT(!classifyHostName("mcp.example.com"));
    }

    void testNamesAreResolvedBeforeTheyAreJudged() {
        // A literal address is judged as it is.
        auto literal = checkHostAddresses("127.0.0.1", {});
        CPPUNIT_ASSERT(literal.outcome == AddressCheck::Outcome::Refused);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), literal.refusedAddress);
        CPPUNIT_ASSERT(literal.refusedClass == AddressClass::Loopback);
        auto allowed = checkHostAddresses("127.0.0.1", {AddressClass::Loopback});
        CPPUNIT_ASSERT(allowed.outcome == AddressCheck::Outcome::Allowed);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), allowed.connectAddress);

        // A name from /etc/hosts (no network needed): what it resolves to is judged, and connected to.
        auto local = checkHostAddresses("localhost", {});
        CPPUNIT_ASSERT(local.outcome == AddressCheck::Outcome::Refused);
        CPPUNIT_ASSERT(local.refusedClass == AddressClass::Loopback);
        auto resolved = checkHostAddresses("localhost", {AddressClass::Loopback});
        CPPUNIT_ASSERT(resolved.outcome == AddressCheck::Outcome::Allowed);
        CPPUNIT_ASSERT(!resolved.addresses.empty());
        CPPUNIT_ASSERT_EQUAL(resolved.addresses.front(), resolved.connectAddress);
        CPPUNIT_ASSERT(classOf(resolved.connectAddress) == AddressClass::Loopback);

        // Metadata names are refused by name, without a lookup; metadata addresses need their own class.
        auto metadata = checkHostAddresses("metadata.google.internal", {AddressClass::Loopback, AddressClass::LinkLocal, AddressClass::Lan});
        CPPUNIT_ASSERT(metadata.outcome == AddressCheck::Outcome::Refused);
        CPPUNIT_ASSERT(metadata.addresses.empty());
        CPPUNIT_ASSERT(metadata.refusedClass == AddressClass::Metadata);
        auto imds = checkHostAddresses("169.254.169.254", {AddressClass::LinkLocal});
        CPPUNIT_ASSERT(imds.outcome == AddressCheck::Outcome::Refused);
        CPPUNIT_ASSERT(imds.refusedClass == AddressClass::Metadata);
        // Multicast is never allowed.
        CPPUNIT_ASSERT(checkHostAddresses("224.0.0.251", {AddressClass::Lan, AddressClass::Loopback}).outcome ==
                       AddressCheck::Outcome::Refused);
    }

    // A name that does not resolve is unresolved, not allowed. Looked up inside a network namespace
    // with only lo, so the query reaches no real resolver.
    void testUnresolvableNameIsNotAllowed() {
        mc::test::inNetworkNamespace("AddressPolicyTest::testUnresolvableNameIsNotAllowed", [] {
            auto missing = checkHostAddresses("mc-test.invalid", {AddressClass::Loopback, AddressClass::Lan});
            CPPUNIT_ASSERT(missing.outcome == AddressCheck::Outcome::Unresolved);
            CPPUNIT_ASSERT(missing.connectAddress.empty());
            CPPUNIT_ASSERT_MESSAGE(missing.error, missing.error.find("cannot resolve 'mc-test.invalid': ") == 0);
        });
    }

    void testHostPatterns() {
        const auto patterns = parseHostPatterns("*.example.com, 127.0.0.1:3001, [::1]:8080, mcp.example.org:443, 10.0.0.0/8, fd00::/8", "k");
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), patterns.size());
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "a.example.com", 80));
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "a.b.EXAMPLE.com", 8443));
        CPPUNIT_ASSERT(!matchesHostPattern(patterns, "example.com", 80));      // *. needs a label below
        CPPUNIT_ASSERT(!matchesHostPattern(patterns, "badexample.com", 80));
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "127.0.0.1", 3001));
        CPPUNIT_ASSERT(!matchesHostPattern(patterns, "127.0.0.1", 3002));
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "::1", 8080));
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "mcp.example.org", 443));
        CPPUNIT_ASSERT(!matchesHostPattern(patterns, "mcp.example.org", 80));
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "10.20.30.40", 1));
        CPPUNIT_ASSERT(!matchesHostPattern(patterns, "11.0.0.1", 1));
        CPPUNIT_ASSERT(matchesHostPattern(patterns, "fd12::1", 1));
        // Patterns match the URL's host as written: a name is not matched by a CIDR block.
        CPPUNIT_ASSERT(!matchesHostPattern(patterns, "localhost", 3001));
        CPPUNIT_ASSERT(matchesHostPattern(parseHostPatterns("*", "k"), "anything", 1));
        CPPUNIT_ASSERT(matchesHostPattern(parseHostPatterns("*:3001", "k"), "anything", 3001));
        CPPUNIT_ASSERT(!matchesHostPattern(parseHostPatterns("", "k"), "anything", 1));
    }

    void testMalformedHostPatternsNameTheKey() {
        const std::string tail = " (expected *, a host name, *.domain, an IP address, any of these with :port, or a CIDR block "
                                 "such as 10.0.0.0/8)";
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"mcp.*.example.com", "'mcp.*.example.com' is not a host name, *.domain or IP address"},
            {"10.0.0.0/33", "prefix length '33' is not in 0..32"},
            {"example.com:0", "port '0' is not in 1..65535"},
            {"[::1", "no closing ']'"},
            {"http://example.com", "a URL; write its host[:port] only"},
        };
        for (const auto& [entry, why] : cases) {
            try {
                parseHostPatterns("ok.example, " + entry, "discovery.registry.allow_remotes");
                CPPUNIT_FAIL("accepted '" + entry + "'");
            } catch (const ConfigError& e) {
                CPPUNIT_ASSERT_EQUAL("invalid configuration: discovery.registry.allow_remotes entry '" + entry + "': " + why + tail,
                                     std::string(e.what()));
            }
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AddressPolicyTest);
