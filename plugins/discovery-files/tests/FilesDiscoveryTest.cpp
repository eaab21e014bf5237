// discovery-files on real files of both shapes (Claude Desktop's claude_desktop_config.json, Cursor /
// VS Code mcp.json) in a temporary directory: found, edits -> found/lost, VS Code inputs left
// unresolved, a malformed file (error with line and column, last good list kept), a file that appears
// later. The built .so runs in the SDK's fake host (mc/sdk_test.hpp), as the host would run it.
#include "TestHttp.h"

#include <mc/sdk_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <stdexcept>
#include <thread>

using mc::sdk::test::DiscoveryEvent;
using mc::sdk::test::FakeHost;
using mc::sdk::test::Instance;
using mc::sdk::test::StatusReport;
using mc::test::TempDir;

namespace {

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
// The file is replaced in one step (write beside it, then rename), as editors save: a poll never sees it
// half-written (an empty or truncated file is malformed, and the test would read that error instead).
void rewrite(const TempDir& dir, const std::string& name, const std::string& content) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    dir.write(name + ".tmp", content);
    if (std::rename(dir.file(name + ".tmp").c_str(), dir.file(name).c_str()) != 0)
        throw std::runtime_error("cannot rename " + dir.file(name + ".tmp"));
}

Poco::JSON::Object::Ptr object(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::unique_ptr<Instance> started(const std::map<std::string, std::string>& config) {
    FakeHost host(std::string(MC_TEST_PLUGIN_DIR) + "/discovery-files.so");
    CPPUNIT_ASSERT(host.problems().empty());
    auto instance = host.create(config);
    CPPUNIT_ASSERT_MESSAGE(instance->created().error, instance->created().ok());
    const auto start = instance->start();
    CPPUNIT_ASSERT_MESSAGE(start.error, start.ok());
    return instance;
}

// The plugin's own status reports (not the host's STARTING/STOPPING).
std::vector<StatusReport> reported(const Instance& instance) {
    std::vector<StatusReport> out;
    for (const auto& s : instance.statuses())
        if (!s.byHost) out.push_back(s);
    return out;
}

// The first status the plugin reports at index >= `from` of reported().
StatusReport waitForState(const Instance& instance, std::size_t from) {
    if (!instance.waitFor([&] { return reported(instance).size() > from; }, std::chrono::milliseconds(15000)))
        throw std::runtime_error("timed out waiting for a status report");
    return reported(instance)[from];
}

// The first discovery event at index >= `from` with this kind and key.
DiscoveryEvent waitForEvent(const Instance& instance, DiscoveryEvent::Kind kind, const std::string& key, std::size_t from = 0) {
    std::optional<DiscoveryEvent> hit;
    instance.waitFor([&] {
        const auto events = instance.discoveryEvents();
        for (std::size_t i = from; i < events.size(); ++i)
            if (events[i].kind == kind && events[i].key == key) return hit = events[i], true;
        return false;
    }, std::chrono::milliseconds(15000));
    if (!hit) throw std::runtime_error("timed out waiting for a discovery event on " + key);
    return *hit;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

class FilesDiscoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FilesDiscoveryTest);
    CPPUNIT_TEST(testDescriptorAndDefaults);
    CPPUNIT_TEST(testBothShapesAreFound);
    CPPUNIT_TEST(testEditsBecomeFoundAndLost);
    CPPUNIT_TEST(testMalformedFileIsAnErrorWithPositionAndKeepsTheLastGoodList);
    CPPUNIT_TEST(testFileThatAppearsLaterIsRead);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDescriptorAndDefaults() {
        FakeHost host(std::string(MC_TEST_PLUGIN_DIR) + "/discovery-files.so");
        CPPUNIT_ASSERT(host.problems().empty());
        CPPUNIT_ASSERT_EQUAL(std::string("discovery.files"), std::string(mc::sdk::view(host.descriptor().config_prefix)));
        auto resolved = host.resolve({{"paths", "a.json"}});
        CPPUNIT_ASSERT_MESSAGE(resolved.error, resolved.ok());
        auto config = object(resolved.output);
        CPPUNIT_ASSERT_EQUAL(2000, config->getValue<int>("poll_interval_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("list-only"), config->getValue<std::string>("policy"));
        CPPUNIT_ASSERT_EQUAL(std::string("commands"), config->getValue<std::string>("stdio"));
        CPPUNIT_ASSERT_EQUAL(true, config->getValue<bool>("enabled"));
        // paths is required; the poll interval has a floor.
        CPPUNIT_ASSERT(!host.resolve({}).ok());
        auto tooFast = host.resolve({{"paths", "a.json"}, {"poll_interval_ms", "5"}});
        CPPUNIT_ASSERT(!tooFast.ok());
        CPPUNIT_ASSERT_MESSAGE(tooFast.error, contains(tooFast.error, "poll_interval_ms"));
    }

    void testBothShapesAreFound() {
        TempDir dir;
        dir.write("claude_desktop_config.json", kClaude);
        dir.write("mcp.json", kVsCode);
        const std::string claude = dir.file("claude_desktop_config.json");
        const std::string vscode = dir.file("mcp.json");
        auto plugin = started({{"paths", claude + ", " + vscode}, {"poll_interval_ms", "50"}});
        auto state = waitForState(*plugin, 0);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, state.status);
        CPPUNIT_ASSERT_MESSAGE(state.message, contains(state.message, "4 server(s)")); // "off" is disabled

        auto everything = waitForEvent(*plugin, DiscoveryEvent::Found, claude + "#everything").server;
        CPPUNIT_ASSERT_EQUAL(std::string("everything"), everything.name);
        CPPUNIT_ASSERT(everything.connectable);
        auto server = object(everything.serverJson);
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), server->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("node"), server->getValue<std::string>("command"));
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), server->getArray("args")->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), server->getObject("env")->getValue<std::string>("DEBUG"));
        auto details = object(everything.detailsJson);
        CPPUNIT_ASSERT_EQUAL(std::string("claude-desktop"), details->getValue<std::string>("format"));
        CPPUNIT_ASSERT_EQUAL(claude, details->getValue<std::string>("file"));

        auto remote = object(waitForEvent(*plugin, DiscoveryEvent::Found, claude + "#remote").server.serverJson);
        CPPUNIT_ASSERT_EQUAL(std::string("http"), remote->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer t"), remote->getObject("headers")->getValue<std::string>("Authorization"));

        auto legacy = waitForEvent(*plugin, DiscoveryEvent::Found, vscode + "#legacy").server;
        CPPUNIT_ASSERT_EQUAL(std::string("sse"), object(legacy.serverJson)->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp.json"), object(legacy.detailsJson)->getValue<std::string>("format"));

        auto github = waitForEvent(*plugin, DiscoveryEvent::Found, vscode + "#github").server;
        CPPUNIT_ASSERT_EQUAL(false, github.connectable);
        CPPUNIT_ASSERT(contains(github.reason, "${input:token}"));
        CPPUNIT_ASSERT(plugin->violations().empty());
    }

    void testEditsBecomeFoundAndLost() {
        TempDir dir;
        dir.write("mcp.json", kVsCode);
        const std::string vscode = dir.file("mcp.json");
        auto plugin = started({{"paths", vscode}, {"poll_interval_ms", "50"}});
        waitForState(*plugin, 0);
        const std::size_t before = plugin->discoveryEvents().size();
        const std::size_t statesBefore = reported(*plugin).size();

        rewrite(dir, "mcp.json", R"({"servers": {
            "legacy": {"type": "sse", "url": "http://127.0.0.1:7102/sse"},
            "added": {"type": "http", "url": "http://127.0.0.1:7104/mcp"}}})");
        auto state = waitForState(*plugin, statesBefore);
        CPPUNIT_ASSERT_MESSAGE(state.message, contains(state.message, "2 server(s)"));
        waitForEvent(*plugin, DiscoveryEvent::Lost, vscode + "#github", before);
        CPPUNIT_ASSERT(plugin->logged("lost '" + vscode + "#github': removed from file"));
        waitForEvent(*plugin, DiscoveryEvent::Found, vscode + "#added", before);
        // The unchanged entry is not reported again.
        const auto all = plugin->discoveryEvents();
        for (std::size_t i = before; i < all.size(); ++i) CPPUNIT_ASSERT(all[i].key != vscode + "#legacy");

        // Deleting the file loses what it listed.
        const std::size_t beforeDelete = plugin->discoveryEvents().size();
        const std::size_t statesBeforeDelete = reported(*plugin).size();
        std::remove(vscode.c_str());
        waitForEvent(*plugin, DiscoveryEvent::Lost, vscode + "#legacy", beforeDelete);
        auto gone = waitForState(*plugin, statesBeforeDelete);
        CPPUNIT_ASSERT_MESSAGE(gone.message, contains(gone.message, "0 server(s)"));
        CPPUNIT_ASSERT_MESSAGE(gone.message, contains(gone.message, "not found: " + vscode));
        CPPUNIT_ASSERT(plugin->servers().empty());
    }

    void testMalformedFileIsAnErrorWithPositionAndKeepsTheLastGoodList() {
        TempDir dir;
        dir.write("claude_desktop_config.json", kClaude);
        const std::string claude = dir.file("claude_desktop_config.json");
        auto plugin = started({{"paths", claude}, {"poll_interval_ms", "50"}});
        waitForState(*plugin, 0);
        const std::size_t statesBefore = reported(*plugin).size();

        rewrite(dir, "claude_desktop_config.json", "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}");
        auto error = waitForState(*plugin, statesBefore);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_RECOVERABLE_ERROR, error.status);
        CPPUNIT_ASSERT_MESSAGE(error.message, contains(error.message, claude + ": invalid JSON at line 3, column 26: an object key that is not a string at byte 45"));
        CPPUNIT_ASSERT_MESSAGE(error.message, contains(error.message, "2 server(s)"));
        for (const auto& e : plugin->discoveryEvents()) CPPUNIT_ASSERT(e.kind != DiscoveryEvent::Lost);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plugin->servers().size());

        const std::size_t afterError = plugin->discoveryEvents().size();
        const std::size_t statesAfterError = reported(*plugin).size();
        rewrite(dir, "claude_desktop_config.json", R"({"mcpServers": {"remote": {"url": "http://127.0.0.1:7101/mcp", "headers": {"Authorization": "Bearer t"}}}})");
        auto ok = waitForState(*plugin, statesAfterError);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, ok.status);
        CPPUNIT_ASSERT_MESSAGE(ok.message, contains(ok.message, "1 server(s)"));
        waitForEvent(*plugin, DiscoveryEvent::Lost, claude + "#everything", afterError);
    }

    void testFileThatAppearsLaterIsRead() {
        TempDir dir;
        const std::string later = dir.file("mcp.json");
        auto plugin = started({{"paths", later}, {"poll_interval_ms", "50"}});
        auto first = waitForState(*plugin, 0);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, first.status);
        CPPUNIT_ASSERT_MESSAGE(first.message, contains(first.message, "0 server(s)"));
        const std::size_t before = plugin->discoveryEvents().size();
        dir.write("mcp.json", R"({"mcpServers": {"late": {"url": "http://127.0.0.1:7105/mcp"}}})");
        waitForEvent(*plugin, DiscoveryEvent::Found, later + "#late", before);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FilesDiscoveryTest);
