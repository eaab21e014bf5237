// The documents mc/config_doc.hpp generates from declared keys (plugin README key tables and
// .properties examples), for every kind of key, and how it refuses what would not load.
#include "mc/config_doc.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Settings {
    std::string path;
    std::int64_t size = 0;
    std::string mode;
    std::vector<std::string> tags;
    std::map<std::string, std::string> headers;
    std::string token;
};

constexpr mc::sdk::Key<Settings> kKeys[] = {
    mc::sdk::key("path", &Settings::path).required().example("/srv/x").help("Where it lives"),
    mc::sdk::key("size", &Settings::size).byDefault("5").range(1, 10).help("How big. It has a | in it"),
    mc::sdk::key("mode", &Settings::mode).choices("fast,safe").byDefault("safe").help("Which way?"),
    mc::sdk::key("tags", &Settings::tags).help("Labels"),
    mc::sdk::key("headers", &Settings::headers).help("Sent with every request"),
    mc::sdk::key("token", &Settings::token).secret().help("The API token"),
};

std::vector<mc_config_key> declared() {
    std::vector<mc_config_key> out;
    for (const auto& k : kKeys) out.push_back(k.decl);
    return out;
}

} // namespace

class ConfigDocTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigDocTest);
    CPPUNIT_TEST(markdownTableShowsEveryKindOfKey);
    CPPUNIT_TEST(exampleShowsHelpAcceptsAndValues);
    CPPUNIT_TEST(aRequiredKeyNeedsAnExample);
    CPPUNIT_TEST(generatedTextGoesBetweenTheMarkers);
    CPPUNIT_TEST(environmentVariablesFollowTheHostRule);
    CPPUNIT_TEST_SUITE_END();

public:
    void markdownTableShowsEveryKindOfKey() {
        const std::string table = mc::sdk::doc::markdownKeyTable("demo.x", declared());
        CPPUNIT_ASSERT_EQUAL(std::string(
            "| key | accepts | default | environment | meaning |\n|---|---|---|---|---|\n"
            "| `path` | a string | required | `MC_DEMO_X_PATH` | Where it lives. |\n"
            "| `size` | an integer in [1, 10] | `5` | `MC_DEMO_X_SIZE` | How big. It has a \\| in it. |\n"
            "| `mode` | one of fast, safe | `safe` | `MC_DEMO_X_MODE` | Which way? |\n"
            "| `tags` | a comma-separated list | (empty) | `MC_DEMO_X_TAGS` | Labels. |\n"
            "| `headers.<name>` | sub-keys headers.<name> | (none) | `MC_DEMO_X_HEADERS_<NAME>` | Sent with every request. |\n"
            "| `token` | a string, secret | (empty) | `MC_DEMO_X_TOKEN` | The API token. |\n"),
            table);
    }

    void exampleShowsHelpAcceptsAndValues() {
        const std::string example = mc::sdk::doc::exampleProperties("demo.x", declared());
        CPPUNIT_ASSERT_EQUAL(std::string(
            "# Keys are relative to the prefix demo.x: write demo.x.<key> in the host's configuration, or set\n"
            "# MC_DEMO_X_<KEY> in its environment.\n"
            "\n# Where it lives. A string; required.\npath = /srv/x\n"
            "\n# How big. It has a | in it. An integer in [1, 10]; default: 5.\nsize = 5\n"
            "\n# Which way? One of fast, safe; default: safe.\nmode = safe\n"
            "\n# Labels. A comma-separated list; default: empty.\ntags =\n"
            "\n# Sent with every request. Sub-keys headers.<name>; none by default.\n# headers.<name> =\n"
            "\n# The API token. A string; default: empty; secret (never shown; write ${env:NAME} or ${file:/path}).\ntoken =\n"),
            example);
    }

    void aRequiredKeyNeedsAnExample() {
        auto keys = declared();
        keys[0].example = mc_str{"", 0};
        try {
            mc::sdk::doc::exampleProperties("demo.x", keys);
            CPPUNIT_FAIL("a required key without an example was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("key 'path' is required and declares no example (.example(...))"), std::string(e.what()));
        }
    }

    void generatedTextGoesBetweenTheMarkers() {
        namespace doc = mc::sdk::doc;
        const std::string document = "intro\n" + std::string(doc::kMarkdownBegin) + "\nold table\n" +
                                     std::string(doc::kMarkdownEnd) + "\noutro\n";
        CPPUNIT_ASSERT_EQUAL("intro\n" + std::string(doc::kMarkdownBegin) + "\nNEW\n" + std::string(doc::kMarkdownEnd) + "\noutro\n",
                             doc::withGenerated(document, doc::kMarkdownBegin, doc::kMarkdownEnd, "NEW\n"));
        try {
            doc::withGenerated("no markers here", doc::kMarkdownBegin, doc::kMarkdownEnd, "x");
            CPPUNIT_FAIL("a document without markers was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT(std::string(e.what()).rfind("the document has no '", 0) == 0);
        }
        try {
            doc::withGenerated(std::string(doc::kMarkdownEnd) + "\n" + std::string(doc::kMarkdownBegin), doc::kMarkdownBegin,
                               doc::kMarkdownEnd, "x");
            CPPUNIT_FAIL("markers out of order were accepted");
        } catch (const std::invalid_argument&) {
        }
    }

    void environmentVariablesFollowTheHostRule() {
        CPPUNIT_ASSERT_EQUAL(std::string("MC_STORE_SQLITE_BUSY_TIMEOUT_MS"), mc::sdk::doc::environmentVariable("store.sqlite.busy_timeout_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("MC_DISCOVERY_MDNS_MAX_RECORDS"), mc::sdk::doc::environmentVariable("discovery-mdns.max_records"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigDocTest);
