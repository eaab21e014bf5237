// ${env:NAME} / ${file:/path} placeholders in MCP server headers and env: syntax, resolution from
// real environment variables and files, and which origin may use which.
#include "config/HostConfig.h"
#include "gateway/McpServerConfig.h"
#include "gateway/SecretPlaceholders.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include "TestHttp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

using namespace mc::host;

namespace {

std::string syntaxError(const std::string& value) {
    try {
        secretPlaceholdersIn(value);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(accepted)";
}

Poco::JSON::Object::Ptr objectOf(const std::map<std::string, std::string>& values) {
    Poco::JSON::Object::Ptr out(new Poco::JSON::Object);
    for (const auto& [k, v] : values) out->set(k, v);
    return out;
}

McpServerConfig httpServer(const std::map<std::string, std::string>& headers) {
    McpServerConfig c;
    c.id = "remote";
    c.transport = "http";
    c.set("url", std::string("http://127.0.0.1:9/mcp"));
    c.set("headers", objectOf(headers));
    return c;
}

McpServerConfig stdioServer(const std::map<std::string, std::string>& env, const std::vector<std::string>& inherit = {}) {
    McpServerConfig c;
    c.id = "local";
    c.transport = "stdio";
    c.set("command", std::string("node"));
    c.set("env", objectOf(env));
    Poco::JSON::Array::Ptr names(new Poco::JSON::Array);
    for (const auto& n : inherit) names->add(n);
    c.set("inherit_env", names);
    return c;
}

// The message of the SecretPlaceholderError `f` throws, "" when it throws none.
template <typename F>
std::string placeholderError(F&& f, std::string* field = nullptr) {
    try {
        f();
    } catch (const SecretPlaceholderError& e) {
        if (field) *field = e.field;
        return e.what();
    }
    return {};
}

// Environment variables set for one test and removed after it.
struct ScopedEnv {
    explicit ScopedEnv(std::map<std::string, std::string> values) : values_(std::move(values)) {
        for (const auto& [k, v] : values_) ::setenv(k.c_str(), v.c_str(), 1);
    }
    ~ScopedEnv() {
        for (const auto& [k, v] : values_) ::unsetenv(k.c_str());
    }
    std::map<std::string, std::string> values_;
};

} // namespace

class SecretPlaceholdersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SecretPlaceholdersTest);
    CPPUNIT_TEST(placeholdersAreFoundAndMalformedOnesRefused);
    CPPUNIT_TEST(definitionsWithBadPlaceholdersAreRefusedNamingTheField);
    CPPUNIT_TEST(resolvesEnvironmentVariablesAndFiles);
    CPPUNIT_TEST(unresolvableOnesNameServerFieldAndPlaceholderButNoValue);
    CPPUNIT_TEST(eachOriginMayUseOnlyWhatItsRuleAllows);
    CPPUNIT_TEST(apiPatternsAreValidated);
    CPPUNIT_TEST_SUITE_END();

public:
    void placeholdersAreFoundAndMalformedOnesRefused() {
        auto found = secretPlaceholdersIn("Bearer ${env:GH_TOKEN} and ${file:/run/secrets/api key}!");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), found.size());
        CPPUNIT_ASSERT(found[0].kind == SecretPlaceholder::Kind::Env);
        CPPUNIT_ASSERT_EQUAL(std::string("GH_TOKEN"), found[0].target);
        CPPUNIT_ASSERT_EQUAL(std::string("${env:GH_TOKEN}"), found[0].text);
        CPPUNIT_ASSERT(found[1].kind == SecretPlaceholder::Kind::File);
        CPPUNIT_ASSERT_EQUAL(std::string("/run/secrets/api key"), found[1].target);
        // Plain text, a lone '$' and the escape are no placeholders.
        CPPUNIT_ASSERT(secretPlaceholdersIn("costs $5, $HOME, $${env:X} and $").empty());

        const std::string forms = "use ${env:NAME} or ${file:/absolute/path} ($${ for a literal ${)";
        CPPUNIT_ASSERT_EQUAL("a ${ without its closing }: " + forms, syntaxError("Bearer ${env:GH_TOKEN"));
        CPPUNIT_ASSERT_EQUAL("a ${...} that is no known placeholder: " + forms, syntaxError("${GH_TOKEN}"));
        CPPUNIT_ASSERT_EQUAL("a ${...} that is no known placeholder: " + forms, syntaxError("pa${ss}word"));
        CPPUNIT_ASSERT_EQUAL(std::string("placeholder ${env:GH-TOKEN}: 'GH-TOKEN' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)"),
                             syntaxError("${env:GH-TOKEN}"));
        CPPUNIT_ASSERT_EQUAL(std::string("placeholder ${env:MC_AUTH_JWT_SECRET} names MC_AUTH_JWT_SECRET: MC_* variables hold "
                                         "the host's own configuration and are never passed to MCP servers"),
                             syntaxError("${env:MC_AUTH_JWT_SECRET}"));
        const std::string pathRule = ": the path must be absolute, without empty, '.' or '..' parts";
        CPPUNIT_ASSERT_EQUAL("placeholder ${file:token.txt}" + pathRule, syntaxError("${file:token.txt}"));
        CPPUNIT_ASSERT_EQUAL("placeholder ${file:/run/secrets/../../etc/shadow}" + pathRule,
                             syntaxError("${file:/run/secrets/../../etc/shadow}"));
        CPPUNIT_ASSERT_EQUAL("placeholder ${file:/run//x}" + pathRule, syntaxError("${file:/run//x}"));
    }

    void definitionsWithBadPlaceholdersAreRefusedNamingTheField() {
        try {
            parseMcpServerConfig(*mc::test::parseObject(
                R"({"id":"a","transport":"http","url":"http://h/","headers":{"Authorization":"Bearer ${env:MC_STORE_POSTGRES_URL}"}})"));
            CPPUNIT_FAIL("an MC_* placeholder must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("headers"), e.field);
            CPPUNIT_ASSERT_EQUAL(std::string("\"headers\".Authorization: placeholder ${env:MC_STORE_POSTGRES_URL} names "
                                             "MC_STORE_POSTGRES_URL: MC_* variables hold the host's own configuration and are "
                                             "never passed to MCP servers"),
                                 std::string(e.what()));
        }
        try {
            parseMcpServerConfig(*mc::test::parseObject(R"({"id":"a","transport":"stdio","command":"x","env":{"TOKEN":"${vault:x}"}})"));
            CPPUNIT_FAIL("an unknown placeholder must be refused");
        } catch (const McpConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("env"), e.field);
            CPPUNIT_ASSERT(std::string(e.what()).rfind("\"env\".TOKEN: a ${...} that is no known placeholder", 0) == 0);
        }
        auto ok = parseMcpServerConfig(*mc::test::parseObject(
            R"({"id":"a","transport":"stdio","command":"x","env":{"TOKEN":"${env:GH_TOKEN}","KEY":"${file:/run/key}"}})"));
        // Kept as written: resolving is for the connect.
        CPPUNIT_ASSERT_EQUAL(std::string("${env:GH_TOKEN}"), ok.stringMap("env").at("TOKEN"));
        CPPUNIT_ASSERT(ok.serverJson().find("${file:/run/key}") != std::string::npos);
    }

    void resolvesEnvironmentVariablesAndFiles() {
        mc::test::TempDir dir;
        dir.write("token", "file-secret\r\n\n");
        dir.write("empty", "");
        ScopedEnv env({{"SP_TEST_TOKEN", "env-secret"}, {"SP_TEST_EMPTY", ""}});
        auto http = resolveSecretPlaceholders(
            httpServer({{"Authorization", "Bearer ${env:SP_TEST_TOKEN}"},
                        {"X-Key", "${file:" + dir.file("token") + "}:${file:" + dir.file("empty") + "}${env:SP_TEST_EMPTY}"},
                        {"X-Literal", "$${env:SP_TEST_TOKEN} costs $5"}}),
            "config", {});
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer env-secret"), http.stringMap("headers").at("Authorization"));
        CPPUNIT_ASSERT_EQUAL(std::string("file-secret:"), http.stringMap("headers").at("X-Key")); // trailing line breaks trimmed
        CPPUNIT_ASSERT_EQUAL(std::string("${env:SP_TEST_TOKEN} costs $5"), http.stringMap("headers").at("X-Literal"));
        auto stdio = resolveSecretPlaceholders(stdioServer({{"TOKEN", "${env:SP_TEST_TOKEN}"}, {"PLAIN", "x"}}), "config", {});
        CPPUNIT_ASSERT_EQUAL(std::string("env-secret"), stdio.stringMap("env").at("TOKEN"));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), stdio.stringMap("env").at("PLAIN"));
        CPPUNIT_ASSERT(stdio.serverJson().find("env-secret") != std::string::npos);
        // A file just below the cap is read whole; a line break inside a header value is refused.
        dir.write("big", std::string(kMaxSecretFileBytes, 'k'));
        CPPUNIT_ASSERT_EQUAL(kMaxSecretFileBytes,
                             resolveSecretPlaceholders(stdioServer({{"BIG", "${file:" + dir.file("big") + "}"}}), "config", {})
                                 .stringMap("env").at("BIG")
                                 .size());
    }

    void unresolvableOnesNameServerFieldAndPlaceholderButNoValue() {
        mc::test::TempDir dir;
        dir.write("huge", std::string(kMaxSecretFileBytes + 1, 'h'));
        dir.write("two-lines", "line-one\nline-two\n");
        dir.write("nul", std::string("a\0b", 3));
        ::mkfifo(dir.file("fifo").c_str(), 0600);
        auto resolveHeader = [&](const std::string& value) {
            return placeholderError([&] { resolveSecretPlaceholders(httpServer({{"X-Key", value}}), "config", {}); });
        };
        const std::string prefix = "cannot resolve headers.X-Key of MCP server 'remote': ";
        CPPUNIT_ASSERT_EQUAL(prefix + "${env:SP_TEST_UNSET}: the environment variable SP_TEST_UNSET is not set",
                             resolveHeader("Bearer ${env:SP_TEST_UNSET}"));
        CPPUNIT_ASSERT_EQUAL(prefix + "${file:" + dir.file("missing") + "}: cannot read " + dir.file("missing") +
                                 ": No such file or directory",
                             resolveHeader("${file:" + dir.file("missing") + "}"));
        CPPUNIT_ASSERT_EQUAL(prefix + "${file:" + dir.file("huge") + "}: " + dir.file("huge") + " is larger than 65536 bytes",
                             resolveHeader("${file:" + dir.file("huge") + "}"));
        CPPUNIT_ASSERT_EQUAL(prefix + "${file:" + dir.path() + "}: " + dir.path() + " is not a regular file",
                             resolveHeader("${file:" + dir.path() + "}"));
        // A FIFO nobody writes to is refused without being opened (an open would wait for a writer).
        CPPUNIT_ASSERT_EQUAL(prefix + "${file:" + dir.file("fifo") + "}: " + dir.file("fifo") + " is not a regular file",
                             resolveHeader("${file:" + dir.file("fifo") + "}"));
        CPPUNIT_ASSERT_EQUAL(prefix + "${file:" + dir.file("nul") + "}: " + dir.file("nul") + " holds a NUL byte",
                             resolveHeader("${file:" + dir.file("nul") + "}"));
        CPPUNIT_ASSERT_EQUAL(prefix + "its value holds a line break once its placeholders are resolved",
                             resolveHeader("${file:" + dir.file("two-lines") + "}"));
        // ... which env values may hold.
        CPPUNIT_ASSERT_EQUAL(std::string("line-one\nline-two"),
                             resolveSecretPlaceholders(stdioServer({{"K", "${file:" + dir.file("two-lines") + "}"}}), "config", {})
                                 .stringMap("env").at("K"));
        std::string field;
        const std::string envError = placeholderError(
            [&] { resolveSecretPlaceholders(stdioServer({{"TOKEN", "${env:SP_TEST_UNSET}"}}), "config", {}); }, &field);
        CPPUNIT_ASSERT_EQUAL(std::string("env.TOKEN"), field);
        CPPUNIT_ASSERT_EQUAL(std::string("cannot resolve env.TOKEN of MCP server 'local': ${env:SP_TEST_UNSET}: the environment "
                                         "variable SP_TEST_UNSET is not set"),
                             envError);
    }

    void eachOriginMayUseOnlyWhatItsRuleAllows() {
        mc::test::TempDir dir;
        dir.write("allowed-token", "allowed");
        dir.write("private", "private");
        ::symlink(dir.file("private").c_str(), dir.file("allowed-link").c_str());
        ScopedEnv env({{"SP_TEST_TOKEN", "env-secret"}, {"SP_TEST_OTHER", "other"}});
        const std::vector<std::string> patterns = {"env:SP_TEST_TOK*", "file:" + dir.path() + "/allowed-*"};
        const auto tokenServer = httpServer({{"Authorization", "Bearer ${env:SP_TEST_TOKEN}"}});
        const auto otherServer = httpServer({{"Authorization", "Bearer ${env:SP_TEST_OTHER}"}});
        const auto shadowServer = httpServer({{"Authorization", "${file:/etc/shadow}"}});

        // host.properties: anything (MC_* never gets this far).
        CPPUNIT_ASSERT_EQUAL(std::string(), placeholderError([&] { checkSecretPlaceholders(otherServer, "config", {}); }));
        CPPUNIT_ASSERT_EQUAL(std::string(), placeholderError([&] { checkSecretPlaceholders(shadowServer, "config", {}); }));
        // The API: what gateway.api_placeholders lists.
        std::string field;
        CPPUNIT_ASSERT_EQUAL(std::string("headers.Authorization: ${env:SP_TEST_TOKEN} is not allowed in a server registered "
                                         "over the API: gateway.api_placeholders is empty"),
                             placeholderError([&] { checkSecretPlaceholders(tokenServer, "api", {}); }, &field));
        CPPUNIT_ASSERT_EQUAL(std::string("headers.Authorization"), field);
        CPPUNIT_ASSERT_EQUAL(std::string(), placeholderError([&] { checkSecretPlaceholders(tokenServer, "api", patterns); }));
        CPPUNIT_ASSERT_EQUAL(std::string("headers.Authorization: ${env:SP_TEST_OTHER} is not allowed in a server registered "
                                         "over the API: gateway.api_placeholders does not allow env:SP_TEST_OTHER"),
                             placeholderError([&] { checkSecretPlaceholders(otherServer, "api", patterns); }));
        CPPUNIT_ASSERT(!placeholderError([&] { checkSecretPlaceholders(shadowServer, "api", patterns); }).empty());
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer env-secret"),
                             resolveSecretPlaceholders(tokenServer, "api", patterns).stringMap("headers").at("Authorization"));
        // Resolving checks again: a definition that bypassed the check still reads nothing.
        CPPUNIT_ASSERT(placeholderError([&] { resolveSecretPlaceholders(otherServer, "api", patterns); })
                           .find("does not allow env:SP_TEST_OTHER") != std::string::npos);
        // Files: the name and where it really leads must both be allowed.
        CPPUNIT_ASSERT_EQUAL(std::string("allowed"),
                             resolveSecretPlaceholders(httpServer({{"K", "${file:" + dir.file("allowed-token") + "}"}}), "api", patterns)
                                 .stringMap("headers").at("K"));
        CPPUNIT_ASSERT_EQUAL("cannot resolve headers.K of MCP server 'remote': ${file:" + dir.file("allowed-link") + "}: " +
                                 dir.file("allowed-link") + " leads to " + dir.file("private") +
                                 ", which gateway.api_placeholders does not allow",
                             placeholderError([&] {
                                 resolveSecretPlaceholders(httpServer({{"K", "${file:" + dir.file("allowed-link") + "}"}}), "api", patterns);
                             }));
        // inherit_env takes from the host's environment too: the same rule.
        CPPUNIT_ASSERT_EQUAL(std::string("inherit_env: SP_TEST_OTHER is not allowed in a server registered over the API: "
                                         "gateway.api_placeholders does not allow env:SP_TEST_OTHER"),
                             placeholderError([&] { checkSecretPlaceholders(stdioServer({}, {"SP_TEST_OTHER"}), "api", patterns); }));
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             placeholderError([&] { checkSecretPlaceholders(stdioServer({}, {"SP_TEST_TOKEN"}), "api", patterns); }));
        // Discovered servers: none at all, whatever the API may use.
        CPPUNIT_ASSERT_EQUAL(std::string("headers.Authorization: ${env:SP_TEST_TOKEN} is not allowed in a server from "
                                         "discovery:registry: only host.properties, and POST /api/mcps as far as "
                                         "gateway.api_placeholders allows, may take values from the host"),
                             placeholderError([&] { checkSecretPlaceholders(tokenServer, "discovery:registry", patterns); }));
        // No placeholder, no refusal.
        CPPUNIT_ASSERT_EQUAL(std::string(), placeholderError([&] {
                                 checkSecretPlaceholders(httpServer({{"K", "plain $${env:X}"}}), "discovery:registry", {});
                             }));
    }

    void apiPatternsAreValidated() {
        const auto patterns = parseApiPlaceholderPatterns(" env:GITHUB_TOKEN , file:/run/secrets/*,, env:SLACK_?");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), patterns.size());
        CPPUNIT_ASSERT_EQUAL(std::string("file:/run/secrets/*"), patterns[1]);
        CPPUNIT_ASSERT(parseApiPlaceholderPatterns("").empty());
        auto refused = [](const std::string& value) {
            try {
                parseApiPlaceholderPatterns(value);
            } catch (const ConfigError& e) {
                return std::string(e.what());
            }
            return std::string("(accepted)");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: gateway.api_placeholders = 'GITHUB_TOKEN': 'GITHUB_TOKEN' is not "
                                         "env:<name> or file:<path> (globs * and ?)"),
                             refused("GITHUB_TOKEN"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: gateway.api_placeholders = 'file:secrets/*': 'file:secrets/*' is "
                                         "not an absolute path"),
                             refused("file:secrets/*"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: gateway.api_placeholders = 'env:MC_AUTH_JWT_SECRET': "
                                         "'env:MC_AUTH_JWT_SECRET': MC_* variables hold the host's own configuration and are "
                                         "never passed to MCP servers"),
                             refused("env:MC_AUTH_JWT_SECRET"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SecretPlaceholdersTest);
