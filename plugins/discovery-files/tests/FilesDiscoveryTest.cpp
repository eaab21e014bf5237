// discovery-files on real files of both shapes (Claude Desktop's claude_desktop_config.json, Cursor /
// VS Code mcp.json) in a temporary directory: found, edits -> found/lost, VS Code inputs left
// unresolved, a malformed file (error with line and column, last good list kept), a file that appears
// later.
#include "DiscoveryPluginHarness.h"
#include "TestHttp.h"

#include <Poco/JSON/Array.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <stdexcept>
#include <thread>

using mc::test::DiscoveryPluginHarness;
using mc::test::TempDir;

namespace {

using Report = Poco::JSON::Object;

const char* kClaude = R"({
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "everything": {"command": "node", "args": ["index.js", "stdio"], "env": {"DEBUG": "1"}},
    "remote": {"url": "http://127.0.0.1:7101/mcp", "headers": {"Authorization": "Bearer t"}}
  }
})";

const char* kVsCode = R"({
  "inputs": [{"type": "promptString", "id": "token", "description": "API token", "password": true}],
  "servers": {
    "legacy": {"type": "sse", "url": "http://127.0.0.1:7102/sse"},
    "github": {"type": "http", "url": "http://127.0.0.1:7103/mcp", "headers": {"Authorization": "Bearer ${input:token}"}},
    "off": {"command": "node", "disabled": true}
  }
})";

// Edits must be visible to an mtime + size check even within one clock tick: wait a little.
// Replaces the file in one step (write beside it, then rename), as editors save: a poll never sees it
// half-written (an empty or truncated file is malformed, and the test would read that error instead).
void rewrite(const TempDir& dir, const std::string& name, const std::string& content) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    dir.write(name + ".tmp", content);
    if (std::rename(dir.file(name + ".tmp").c_str(), dir.file(name).c_str()) != 0)
        throw std::runtime_error("cannot rename " + dir.file(name + ".tmp"));
}

} // namespace

class FilesDiscoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FilesDiscoveryTest);
    CPPUNIT_TEST(testBothShapesAreFound);
    CPPUNIT_TEST(testEditsBecomeFoundAndLost);
    CPPUNIT_TEST(testMalformedFileIsAnErrorWithPositionAndKeepsTheLastGoodList);
    CPPUNIT_TEST(testFileThatAppearsLaterIsRead);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBothShapesAreFound() {
        TempDir dir;
        dir.write("claude_desktop_config.json", kClaude);
        dir.write("mcp.json", kVsCode);
        const std::string claude = dir.file("claude_desktop_config.json");
        const std::string vscode = dir.file("mcp.json");
        DiscoveryPluginHarness plugin("discovery-files", {{"paths", claude + ", " + vscode}, {"poll_interval_ms", "50"}});
        plugin.start();
        auto state = plugin.waitForState(0);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), state->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(4, state->getValue<int>("found")); // "off" is disabled

        auto everything = plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "found", claude + "#everything"); });
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), everything->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("node"), everything->getValue<std::string>("command"));
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), everything->getArray("args")->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), everything->getObject("env")->getValue<std::string>("DEBUG"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude-desktop"), everything->getObject("details")->getValue<std::string>("format"));
        CPPUNIT_ASSERT_EQUAL(claude, everything->getObject("details")->getValue<std::string>("file"));

        auto remote = plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "found", claude + "#remote"); });
        CPPUNIT_ASSERT_EQUAL(std::string("http"), remote->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer t"), remote->getObject("headers")->getValue<std::string>("Authorization"));

        auto legacy = plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "found", vscode + "#legacy"); });
        CPPUNIT_ASSERT_EQUAL(std::string("sse"), legacy->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp.json"), legacy->getObject("details")->getValue<std::string>("format"));

        auto github = plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "found", vscode + "#github"); });
        CPPUNIT_ASSERT_EQUAL(false, github->getValue<bool>("connectable"));
        CPPUNIT_ASSERT(github->getValue<std::string>("reason").find("${input:token}") != std::string::npos);
    }

    void testEditsBecomeFoundAndLost() {
        TempDir dir;
        dir.write("mcp.json", kVsCode);
        const std::string vscode = dir.file("mcp.json");
        DiscoveryPluginHarness plugin("discovery-files", {{"paths", vscode}, {"poll_interval_ms", "50"}});
        plugin.start();
        plugin.waitForState(0);
        const std::size_t before = plugin.count();

        rewrite(dir, "mcp.json", R"({"servers": {
            "legacy": {"type": "sse", "url": "http://127.0.0.1:7102/sse"},
            "added": {"type": "http", "url": "http://127.0.0.1:7104/mcp"}}})");
        auto state = plugin.waitForState(before);
        CPPUNIT_ASSERT_EQUAL(2, state->getValue<int>("found"));
        auto lost = plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "lost", vscode + "#github"); }, before);
        CPPUNIT_ASSERT_EQUAL(std::string("removed from file"), lost->getValue<std::string>("reason"));
        plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "found", vscode + "#added"); }, before);
        // The unchanged entry is not reported again.
        const auto all = plugin.reports();
        for (std::size_t i = before; i < all.size(); ++i)
            CPPUNIT_ASSERT(all[i]->optValue<std::string>("key", "") != vscode + "#legacy");

        // Deleting the file loses what it listed.
        const std::size_t beforeDelete = plugin.count();
        std::remove(vscode.c_str());
        plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "lost", vscode + "#legacy"); }, beforeDelete);
        auto gone = plugin.waitForState(beforeDelete);
        CPPUNIT_ASSERT_EQUAL(0, gone->getValue<int>("found"));
        CPPUNIT_ASSERT(gone->getValue<std::string>("message").find("not found: " + vscode) != std::string::npos);
    }

    void testMalformedFileIsAnErrorWithPositionAndKeepsTheLastGoodList() {
        TempDir dir;
        dir.write("claude_desktop_config.json", kClaude);
        const std::string claude = dir.file("claude_desktop_config.json");
        DiscoveryPluginHarness plugin("discovery-files", {{"paths", claude}, {"poll_interval_ms", "50"}});
        plugin.start();
        plugin.waitForState(0);
        const std::size_t before = plugin.count();

        rewrite(dir, "claude_desktop_config.json", "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}");
        auto error = plugin.waitForState(before);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), error->getValue<std::string>("state"));
        const std::string message = error->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find(claude + ": invalid JSON at line 3, column 26: unexpected character '}'") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(2, error->getValue<int>("found"));
        for (const auto& r : plugin.reports()) CPPUNIT_ASSERT(r->getValue<std::string>("action") != "lost");

        const std::size_t afterError = plugin.count();
        rewrite(dir, "claude_desktop_config.json", R"({"mcpServers": {"remote": {"url": "http://127.0.0.1:7101/mcp", "headers": {"Authorization": "Bearer t"}}}})");
        auto ok = plugin.waitForState(afterError);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), ok->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(1, ok->getValue<int>("found"));
        plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "lost", claude + "#everything"); }, afterError);
    }

    void testFileThatAppearsLaterIsRead() {
        TempDir dir;
        const std::string later = dir.file("mcp.json");
        DiscoveryPluginHarness plugin("discovery-files", {{"paths", later}, {"poll_interval_ms", "50"}});
        plugin.start();
        auto first = plugin.waitForState(0);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), first->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(0, first->getValue<int>("found"));
        const std::size_t before = plugin.count();
        dir.write("mcp.json", R"({"mcpServers": {"late": {"url": "http://127.0.0.1:7105/mcp"}}})");
        plugin.waitFor([&](const Report& r) { return DiscoveryPluginHarness::is(r, "found", later + "#late"); }, before);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FilesDiscoveryTest);
