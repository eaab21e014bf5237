// mc/package_spec.hpp: which registry packages can be run safely and the one command line each runs
// as (shared by discovery-registry and the host's allowlist check).
#include "mc/package_spec.hpp"

#include <cppunit/extensions/HelperMacros.h>

using namespace mc::sdk::package;

class PackageSpecTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PackageSpecTest);
    CPPUNIT_TEST(testPlainSemverOnly);
    CPPUNIT_TEST(testIdentifiersThatCouldBeMisreadAreRefused);
    CPPUNIT_TEST(testCommandLines);
    CPPUNIT_TEST(testAllowlistForm);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPlainSemverOnly() {
        for (const char* v : {"1.2.3", "0.0.1", "2025.11.25", "1.0.0-rc.1", "1.0.0-alpha-2.x"})
            CPPUNIT_ASSERT_MESSAGE(v, isPlainSemver(v));
        for (const char* v : {"", "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3+build", "latest", "^1.2.3", "~1.2.3", ">=1.0.0",
                              "1.x", "*", "npm:evil@1.0.0", "github:evil/pkg", "https://evil.example/pkg.tgz",
                              "file:../x", "1.2.3 || 2.0.0", "1.2.3-rc..1", " 1.2.3"})
            CPPUNIT_ASSERT_MESSAGE(v, !isPlainSemver(v));
    }

    void testIdentifiersThatCouldBeMisreadAreRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string(), problem({"npm", "@modelcontextprotocol/server-everything", "2025.11.25"}));
        CPPUNIT_ASSERT_EQUAL(std::string(), problem({"npm", "left-pad", "1.3.0"}));
        CPPUNIT_ASSERT_EQUAL(std::string(), problem({"pypi", "mcp-server-time", "0.6.2"}));
        CPPUNIT_ASSERT_EQUAL(std::string(), problem({"pypi", "Mcp_Server.Fetch", "1.0.0"}));
        CPPUNIT_ASSERT_EQUAL(std::string(), problem({"oci", "ghcr.io/org/mcp-server", "1.0.0"}));
        for (const char* id : {"-y", "--registry=http://evil", "x@npm:evil", "github:evil/x", "https://evil/x.tgz", "../x",
                               "@scope", "@scope/", "Upper", "a b", ".hidden", "_x"})
            CPPUNIT_ASSERT_MESSAGE(id, !problem({"npm", id, "1.0.0"}).empty());
        for (const char* id : {"-x", "x==1.0", "x @ https://evil", "x[extra]", "git+https://evil/x", "x;rm"})
            CPPUNIT_ASSERT_MESSAGE(id, !problem({"pypi", id, "1.0.0"}).empty());
        for (const char* id : {"--privileged", "img:tag", "img@sha256:abc", "localhost:5000/img", "Org/img", "a//b", "-v/:/host"})
            CPPUNIT_ASSERT_MESSAGE(id, !problem({"oci", id, "1.0.0"}).empty());
        CPPUNIT_ASSERT_EQUAL(std::string("registry type 'nuget' is not one of npm, pypi, oci"), problem({"nuget", "x", "1.0.0"}));
        CPPUNIT_ASSERT_EQUAL(std::string("it has no version (only an exact version can be pinned)"), problem({"npm", "x", ""}));
        CPPUNIT_ASSERT_EQUAL(std::string("version 'npm:evil' is not plain semver (MAJOR.MINOR.PATCH, optionally -prerelease)"),
                             problem({"npm", "x", "npm:evil"}));
    }

    void testCommandLines() {
        using Argv = std::vector<std::string>;
        CPPUNIT_ASSERT((commandLine({"npm", "@a/b", "1.2.3"}) == Argv{"npx", "-y", "@a/b@1.2.3"}));
        CPPUNIT_ASSERT((commandLine({"pypi", "mcp-server-time", "0.6.2"}) == Argv{"uvx", "mcp-server-time==0.6.2"}));
        CPPUNIT_ASSERT((commandLine({"oci", "docker.io/mcp/x", "1.0.0"}) == Argv{"docker", "run", "-i", "--rm", "docker.io/mcp/x:1.0.0"}));
    }

    void testAllowlistForm() {
        PackageSpec spec;
        std::string error;
        CPPUNIT_ASSERT(parse("npm:@scope/name@1.2.3", spec, error));
        CPPUNIT_ASSERT((spec == PackageSpec{"npm", "@scope/name", "1.2.3"}));
        CPPUNIT_ASSERT_EQUAL(std::string("npm:@scope/name@1.2.3"), toText(spec));
        CPPUNIT_ASSERT(parse("oci:docker.io/mcp/everything@1.0.0", spec, error));
        CPPUNIT_ASSERT_EQUAL(std::string("docker.io/mcp/everything"), spec.identifier);
        CPPUNIT_ASSERT(!parse("npm:@scope/name", spec, error));
        CPPUNIT_ASSERT_EQUAL(std::string("no @<version> after the identifier"), error);
        CPPUNIT_ASSERT(!parse("@scope/name@1.2.3", spec, error));
        CPPUNIT_ASSERT_EQUAL(std::string("no registry type (npm:, pypi: or oci:) before the identifier"), error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PackageSpecTest);
