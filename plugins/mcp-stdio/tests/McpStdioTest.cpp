// mcp-stdio against real processes: the built mcp-stdio.so in the SDK's fake host (mc/sdk_test.hpp),
// driving the real @modelcontextprotocol/server-everything (stdio mode) and small `node -e` scripts
// for the paths the reference server cannot show (ignored SIGTERM, oversize lines, env and cwd).
#include "TestHttp.h"

#include <mc/sdk_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using mc::sdk::test::FakeHost;

namespace {

constexpr auto kPatience = std::chrono::seconds(20); // only against hangs; nothing asserts on timing

std::string pluginPath() { return std::string(MC_TEST_PLUGIN_DIR) + "/mcp-stdio.so"; }

std::string everythingServerScript() {
    return std::string(MC_TEST_MCP_PEERS_DIR) + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string jsonArray(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + quote(items[i]);
    return out + "]";
}

std::string everythingConfig() {
    return R"({"id":"everything","transport":"stdio","command":"node","args":)" +
           jsonArray({everythingServerScript(), "stdio"}) + R"(,"shutdown_grace_ms":1000,"terminate_grace_ms":1000})";
}

// A server written inline: `node -e <script>`, with extra fields merged into the definition.
std::string scriptConfig(const std::string& script, const std::string& extraFields = "") {
    return R"({"id":"script","command":"node","args":)" + jsonArray({"-e", script}) + extraFields + "}";
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// Direct children of this test process, from /proc (independent of what the plugin reports).
std::vector<pid_t> childProcesses() {
    std::vector<pid_t> out;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == ::getpid()) out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
}

// 'R', 'S', 'Z', ... or 0 when there is no such process at all.
char processState(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return 0;
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() ? 0 : line[close + 2];
}

bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

struct LogLine {
    mc_log_level level;
    std::string text;
};

// One transport instance (mcp.stdio.* from `instanceConfig`) and the connections it opened for one
// server definition, one after the other (open() after the previous ended opens a fresh one), with
// everything their callbacks delivered, in order.
class Connection {
public:
    explicit Connection(const std::string& serverJson, const std::string& name = "test",
                        const mc::sdk::test::Properties& instanceConfig = {})
        : name_(name), serverJson_(serverJson), host_(pluginPath()) {
        instance_ = host_.create(instanceConfig);
        if (!instance_->created().ok()) throw std::runtime_error("mcp-stdio/" + name + ": create failed: " + instance_->created().error);
        const auto started = instance_->start();
        if (!started.ok()) throw std::runtime_error("mcp-stdio/" + name + ": start failed: " + started.error);
        const auto valid = instance_->validate(serverJson);
        if (!valid.ok())
            throw std::runtime_error("mcp-stdio/" + name + ": validate failed (" + mc::sdk::test::name(valid.status) +
                                     "): " + valid.error);
    }

    mc_status open(std::string* reason = nullptr) {
        auto c = instance_->open(serverJson_);
        const auto opened = c->opened();
        if (reason) *reason = opened.error;
        std::lock_guard<std::mutex> lock(mutex_);
        if (opened.ok()) current_ = c.get();
        connections_.push_back(std::move(c));
        return opened.status;
    }
    void openOrFail() {
        std::string reason;
        const mc_status status = open(&reason);
        if (status != MC_OK) throw std::runtime_error("open failed (" + std::string(mc::sdk::test::name(status)) + "): " + reason);
    }
    mc_status send(const std::string& message, std::string* reason = nullptr) {
        mc::sdk::test::Connection* c = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            c = current_;
        }
        if (!c) {
            if (reason) *reason = "the connection is not open";
            return MC_ERR_UNAVAILABLE;
        }
        const auto call = c->send(message);
        if (reason) *reason = call.error;
        return call.status;
    }
    void sendOrFail(const std::string& message) {
        std::string reason;
        const mc_status status = send(message, &reason);
        if (status != MC_OK) throw std::runtime_error("send failed (" + std::string(mc::sdk::test::name(status)) + "): " + reason);
    }
    // close_connection of the current connection (none: nothing to do).
    mc_status close() {
        mc::sdk::test::Connection* c = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            c = current_;
        }
        if (c) c->close();
        return MC_OK;
    }
    // Destroys the instance without closing: the host closes the connections first, as it would.
    void destroy() { instance_.reset(); }

    // The first message (from the start) for which `match` holds; fails the test after kPatience.
    Poco::JSON::Object::Ptr waitForMessage(const std::function<bool(const Poco::JSON::Object&)>& match, std::size_t* index = nullptr) {
        const auto deadline = std::chrono::steady_clock::now() + kPatience;
        for (;;) {
            const auto all = messages();
            for (std::size_t i = 0; i < all.size(); ++i) {
                auto object = parse(all[i]);
                if (match(*object)) {
                    if (index) *index = i;
                    return object;
                }
            }
            if (std::chrono::steady_clock::now() > deadline) {
                const auto closed = lastClosed();
                CPPUNIT_FAIL("no matching message arrived; got " + std::to_string(all.size()) + " messages" +
                             (closed ? ", connection closed: " + closed->detail : std::string()));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    Poco::JSON::Object::Ptr waitForResponse(int id) {
        return waitForMessage([id](const Poco::JSON::Object& m) { return m.has("id") && m.getValue<int>("id") == id; });
    }
    LogLine waitForLog(const std::string& fragment) {
        const auto deadline = std::chrono::steady_clock::now() + kPatience;
        for (;;) {
            for (const auto& line : logs())
                if (line.text.find(fragment) != std::string::npos) return line;
            if (std::chrono::steady_clock::now() > deadline)
                CPPUNIT_FAIL("no log line containing '" + fragment + "'; got " + std::to_string(logs().size()) + " lines");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    // on_closed of the current connection.
    std::pair<mc_status, std::string> waitForClosed() {
        mc::sdk::test::Connection* c = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            c = connections_.empty() ? nullptr : connections_.back().get();
        }
        if (!c || !c->waitForClosed(kPatience)) CPPUNIT_FAIL("on_closed was not called");
        const auto closed = c->closed();
        return {closed->reason, closed->detail};
    }
    std::vector<std::string> messages() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::string> out;
        for (const auto& c : connections_)
            for (auto& m : c->messages()) out.push_back(std::move(m));
        return out;
    }
    std::vector<LogLine> logs() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<LogLine> out;
        for (const auto& c : connections_)
            for (const auto& l : c->logs()) out.push_back({l.level, l.message});
        return out;
    }
    // The statuses the connections reported (on_status), in order.
    std::vector<mc::sdk::test::StatusReport> statuses() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<mc::sdk::test::StatusReport> out;
        for (const auto& c : connections_)
            for (const auto& s : c->statuses()) out.push_back(s);
        return out;
    }
    int closedCount() {
        std::lock_guard<std::mutex> lock(mutex_);
        int n = 0;
        for (const auto& c : connections_) n += c->closed().has_value();
        return n;
    }
    // What the instance logged to the host (its logger "mcp-stdio/<instance>").
    std::string hostLogText() const {
        std::string out;
        if (!instance_) return out;
        for (const auto& l : instance_->logs()) out += l.message + "\n";
        return out;
    }
    std::vector<std::string> violations() const {
        std::vector<std::string> out = instance_ ? instance_->violations() : std::vector<std::string>{};
        for (const auto& c : connections_)
            for (auto& v : c->violations()) out.push_back(std::move(v));
        return out;
    }

    // The MCP handshake by hand: initialize -> result, then notifications/initialized.
    Poco::JSON::Object::Ptr initialize() {
        sendOrFail(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                   R"("capabilities":{},"clientInfo":{"name":"mission-control-test","version":"0.1.0"}}})");
        auto response = waitForResponse(1);
        sendOrFail(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
        return response;
    }

private:
    std::optional<mc::sdk::test::ClosedRecord> lastClosed() {
        std::lock_guard<std::mutex> lock(mutex_);
        return connections_.empty() ? std::nullopt : connections_.back()->closed();
    }

    std::string name_;
    std::string serverJson_;
    FakeHost host_;
    std::unique_ptr<mc::sdk::test::Instance> instance_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<mc::sdk::test::Connection>> connections_; // closed by the instance first
    mc::sdk::test::Connection* current_ = nullptr;
};

void assertContains(const std::string& haystack, const std::string& needle) {
    CPPUNIT_ASSERT_MESSAGE("expected '" + needle + "' in: " + haystack, haystack.find(needle) != std::string::npos);
}

// Why validate() refuses `configJson` ("(created)" when it accepts it).
std::string createFailure(const std::string& configJson) {
    try {
        Connection connection(configJson);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(created)";
}

// Prints one JSON-RPC-looking line carrying `params` (a JS expression), then idles.
std::string reportingScript(const std::string& method, const std::string& paramsExpression) {
    return "console.log(JSON.stringify({jsonrpc:'2.0',method:'" + method + "',params:" + paramsExpression +
           "})); setInterval(() => {}, 1000);";
}

} // namespace

class McpStdioTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(McpStdioTest);
    CPPUNIT_TEST(pluginDeclaresTheStdioTransport);
    CPPUNIT_TEST(handshakeToolsListAndEchoWithServerEverything);
    CPPUNIT_TEST(serverLogNotificationsAndStderrLines);
    CPPUNIT_TEST(serverKilledExternallyIsReportedAndReaped);
    CPPUNIT_TEST(closeEscalatesToSigkillForTheWholeProcessGroup);
    CPPUNIT_TEST(closeFlushesQueuedMessagesThenStdinEofEndsTheServer);
    CPPUNIT_TEST(messagesKeepTheirOrderWrittenDirectlyOrQueued);
    CPPUNIT_TEST(commandNotFoundAndMissingDirectoryFailOpen);
    CPPUNIT_TEST(invalidConfigurationIsRefusedWithReason);
    CPPUNIT_TEST(instanceKeysAreTheDefaultsOfEveryServer);
    CPPUNIT_TEST(envCwdAndArgsReachTheServerVerbatim);
    CPPUNIT_TEST(oversizeStdoutLineClosesTheConnection);
    CPPUNIT_TEST(stdoutNoiseIsDroppedAndBatchesAreSplit);
    CPPUNIT_TEST(sendRefusesBadMessagesAndClosedConnections);
    CPPUNIT_TEST(writingToAServerThatClosedStdinRaisesNoSigpipe);
    CPPUNIT_TEST(reopenAfterTheServerExitedStartsAFreshProcess);
    CPPUNIT_TEST(destroyWithoutCloseLeavesNoProcess);
    CPPUNIT_TEST_SUITE_END();

public:
    void tearDown() override {
        // Whatever a test did, it must leave no child process behind (running or zombie).
        const auto left = childProcesses();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("child processes left behind", std::size_t(0), left.size());
    }

    void pluginDeclaresTheStdioTransport() {
        FakeHost host(pluginPath());
        CPPUNIT_ASSERT(host.problems().empty());
        CPPUNIT_ASSERT_EQUAL(MC_KIND_TRANSPORT, host.descriptor().kind);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp.stdio"), std::string(mc::sdk::view(host.descriptor().config_prefix)));
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), host.transports().output);
        // The instance keys, with their declared defaults and ranges (mcp.stdio.*).
        auto resolved = host.resolve({});
        CPPUNIT_ASSERT_MESSAGE(resolved.error, resolved.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("{\"shutdown_grace_ms\":2000,\"terminate_grace_ms\":2000,\"max_line_bytes\":16777216,"
                                         "\"max_stderr_line_bytes\":65536,\"max_send_queue_bytes\":67108864}"),
                             resolved.output);
        auto tooLong = host.resolve({{"shutdown_grace_ms", "600001"}});
        CPPUNIT_ASSERT_EQUAL(std::string("mcp.stdio.shutdown_grace_ms = '600001': expected an integer in [0, 600000]"), tooLong.error);
    }

    void handshakeToolsListAndEchoWithServerEverything() {
        Connection server(everythingConfig());
        server.openOrFail();
        auto init = server.initialize();
        // The connection reports itself OK once the server speaks.
        const auto statuses = server.statuses();
        CPPUNIT_ASSERT(!statuses.empty());
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, statuses.front().status);
        assertContains(statuses.front().message, "the server answers (pid ");
        auto result = init->getObject("result");
        CPPUNIT_ASSERT(result);
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), result->getValue<std::string>("protocolVersion"));
        assertContains(result->getObject("serverInfo")->getValue<std::string>("name"), "everything");
        CPPUNIT_ASSERT(result->getObject("capabilities")->has("tools"));

        server.sendOrFail(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
        auto tools = server.waitForResponse(2)->getObject("result")->getArray("tools");
        std::vector<std::string> names;
        for (std::size_t i = 0; i < tools->size(); ++i) names.push_back(tools->getObject(i)->getValue<std::string>("name"));
        CPPUNIT_ASSERT_MESSAGE("echo not listed", std::find(names.begin(), names.end(), "echo") != names.end());
        CPPUNIT_ASSERT_MESSAGE("get-sum not listed", std::find(names.begin(), names.end(), "get-sum") != names.end());

        server.sendOrFail(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello from mission control"}}})");
        auto call = server.waitForResponse(3)->getObject("result");
        auto content = call->getArray("content");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), content->size());
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: hello from mission control"), content->getObject(0)->getValue<std::string>("text"));

        // A tool error travels as a normal response: the transport does not interpret it.
        server.sendOrFail(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no-such-tool","arguments":{}}})");
        auto unknown = server.waitForResponse(4);
        CPPUNIT_ASSERT(unknown->has("error") || unknown->getObject("result")->getValue<bool>("isError"));

        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());
        CPPUNIT_ASSERT_EQUAL(0, server.closedCount()); // close() is not a connection ending by itself
        CPPUNIT_ASSERT(server.violations().empty());
    }

    void serverLogNotificationsAndStderrLines() {
        Connection server(everythingConfig());
        server.openOrFail();
        // server-everything announces itself on stderr.
        auto banner = server.waitForLog("Starting default (STDIO) server");
        CPPUNIT_ASSERT_EQUAL(MC_LOG_INFO, banner.level);
        server.initialize();
        server.sendOrFail(R"({"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"debug"}})");
        CPPUNIT_ASSERT(server.waitForResponse(2)->has("result"));
        server.sendOrFail(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"toggle-simulated-logging","arguments":{}}})");
        auto notification = server.waitForMessage([](const Poco::JSON::Object& m) {
            return m.has("method") && m.getValue<std::string>("method") == "notifications/message";
        });
        auto params = notification->getObject("params");
        const std::string level = params->getValue<std::string>("level");
        const std::vector<std::string> rfc5424 = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
        CPPUNIT_ASSERT_MESSAGE("level " + level, std::find(rfc5424.begin(), rfc5424.end(), level) != rfc5424.end());
        assertContains(params->getValue<std::string>("data"), "essage");
        server.close();

        // Lines that obviously report a problem are raised above INFO.
        Connection noisy(scriptConfig("console.error('TypeError: boom'); console.error('Warning: careful'); "
                                      "console.error('just chatting'); setInterval(() => {}, 1000);",
                                      R"(,"shutdown_grace_ms":100,"terminate_grace_ms":100)"));
        noisy.openOrFail();
        CPPUNIT_ASSERT_EQUAL(MC_LOG_ERROR, noisy.waitForLog("TypeError: boom").level);
        CPPUNIT_ASSERT_EQUAL(MC_LOG_WARN, noisy.waitForLog("Warning: careful").level);
        CPPUNIT_ASSERT_EQUAL(MC_LOG_INFO, noisy.waitForLog("just chatting").level);
        noisy.close();
    }

    void serverKilledExternallyIsReportedAndReaped() {
        Connection server(everythingConfig());
        server.openOrFail();
        server.initialize();
        const auto children = childProcesses();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), children.size());
        const pid_t pid = children.front();
        CPPUNIT_ASSERT_EQUAL(0, ::kill(pid, SIGKILL));

        const auto [status, detail] = server.waitForClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, status);
        CPPUNIT_ASSERT_EQUAL(std::string("killed by signal 9 (SIGKILL)"), detail);
        // Reaped before on_closed: not even a zombie is left.
        CPPUNIT_ASSERT_EQUAL(char(0), processState(pid));

        std::string reason;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, server.send(R"({"jsonrpc":"2.0","method":"ping","id":9})", &reason));
        assertContains(reason, "exited");
        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());
        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close()); // idempotent
        CPPUNIT_ASSERT_EQUAL(1, server.closedCount());
    }

    void closeEscalatesToSigkillForTheWholeProcessGroup() {
        // The server ignores stdin EOF and SIGTERM, and so does a grandchild it started.
        const std::string stubborn = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);";
        const std::string script =
            "const cp = require('child_process');"
            "const child = cp.spawn(process.execPath, ['-e', " + quote(stubborn) + "], {stdio: 'ignore'});"
            "process.on('SIGTERM', () => {});"
            "process.stdin.on('data', () => {});"
            "process.stdin.on('end', () => {});"
            "setTimeout(() => console.log(JSON.stringify({jsonrpc: '2.0', method: 'test/ready',"
            "  params: {pid: process.pid, grandchild: child.pid}})), 300);"
            "setInterval(() => {}, 1000);";
        Connection server(scriptConfig(script, R"(,"shutdown_grace_ms":300,"terminate_grace_ms":300)"));
        server.openOrFail();
        auto ready = server.waitForMessage([](const Poco::JSON::Object& m) { return m.getValue<std::string>("method") == "test/ready"; });
        const pid_t pid = ready->getObject("params")->getValue<int>("pid");
        const pid_t grandchild = ready->getObject("params")->getValue<int>("grandchild");
        CPPUNIT_ASSERT(processState(grandchild) != 0);

        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());
        CPPUNIT_ASSERT_EQUAL(char(0), processState(pid));
        // The grandchild got the group's SIGKILL; its reaping is up to init, so it may linger as a zombie.
        CPPUNIT_ASSERT(eventually([&] { const char s = processState(grandchild); return s == 0 || s == 'Z'; }));
        assertContains(server.hostLogText(), "stopped: killed by signal 9 (SIGKILL) (SIGKILL: it outlived stdin EOF");
        CPPUNIT_ASSERT_EQUAL(0, server.closedCount());
    }

    void closeFlushesQueuedMessagesThenStdinEofEndsTheServer() {
        mc::test::TempDir dir;
        const std::string out = dir.file("received.txt");
        // Collects every line and writes them out once stdin ends, then exits with code 7.
        const std::string script =
            "const fs = require('fs'); let text = '';"
            "process.stdin.on('data', d => text += d);"
            "process.stdin.on('end', () => { fs.writeFileSync(" + quote(out) + ", text); process.exit(7); });";
        Connection server(scriptConfig(script, R"(,"shutdown_grace_ms":5000)"));
        server.openOrFail();
        for (int i = 1; i <= 3; ++i) server.sendOrFail(R"({"jsonrpc":"2.0","method":"test/n","params":{"n":)" + std::to_string(i) + "}}");
        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());

        std::ifstream in(out);
        std::stringstream received;
        received << in.rdbuf();
        CPPUNIT_ASSERT_EQUAL(std::string("{\"jsonrpc\":\"2.0\",\"method\":\"test/n\",\"params\":{\"n\":1}}\n"
                                         "{\"jsonrpc\":\"2.0\",\"method\":\"test/n\",\"params\":{\"n\":2}}\n"
                                         "{\"jsonrpc\":\"2.0\",\"method\":\"test/n\",\"params\":{\"n\":3}}\n"),
                             received.str());
        assertContains(server.hostLogText(), "stopped: exited with code 7 (after stdin EOF)");
    }

    // send() writes stdin itself while nothing waits (this test program ignores SIGPIPE, as the host
    // does) and queues for the writer thread once the pipe is full: a server that reads nothing for a
    // while fills its 64 KiB pipe, the rest waits in the queue; later sends find the queue empty again.
    // Every message arrives once, in the order sent, across both ways.
    void messagesKeepTheirOrderWrittenDirectlyOrQueued() {
        mc::test::TempDir dir;
        const std::string out = dir.file("received.txt");
        const std::string script =
            "const fs = require('fs'); let text = '';"
            "process.stdin.pause(); setTimeout(() => process.stdin.resume(), 700);"
            "process.stdin.on('data', d => text += d);"
            "process.stdin.on('end', () => { fs.writeFileSync(" + quote(out) + ", text); process.exit(0); });";
        Connection server(scriptConfig(script, R"(,"shutdown_grace_ms":10000)"));
        server.openOrFail();
        const std::string padding(300, 'x');
        std::string expected;
        auto sendNumber = [&](int n) {
            const std::string message = R"({"jsonrpc":"2.0","method":"test/n","params":{"n":)" + std::to_string(n) + R"(,"pad":")" + padding + "\"}}";
            server.sendOrFail(message);
            expected += message + "\n";
        };
        for (int n = 1; n <= 1500; ++n) sendNumber(n); // ~480 KB: far beyond what the pipe holds
        std::this_thread::sleep_for(std::chrono::milliseconds(2000)); // the server reads it all meanwhile
        for (int n = 1501; n <= 1600; ++n) sendNumber(n);
        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());
        const std::string received = mc::test::readFile(out);
        CPPUNIT_ASSERT_EQUAL(expected.size(), received.size());
        CPPUNIT_ASSERT_MESSAGE("the messages arrived out of order", expected == received);
    }

    void commandNotFoundAndMissingDirectoryFailOpen() {
        {
            Connection missing(R"({"id":"x","command":"mc-no-such-command-4711","args":["a"]})");
            std::string reason;
            CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, missing.open(&reason));
            assertContains(reason, "command 'mc-no-such-command-4711' not found on PATH");
            CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, missing.send(R"({"jsonrpc":"2.0","method":"x"})", &reason));
            assertContains(reason, "not open");
        }
        {
            // The server's own PATH (from env) is the one searched.
            Connection emptyPath(R"({"command":"node","env":{"PATH":"/nonexistent-dir"}})");
            std::string reason;
            CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, emptyPath.open(&reason));
            // ... and, being an env value, not repeated in the reason.
            CPPUNIT_ASSERT_EQUAL(std::string("command 'node' not found on the PATH set in the server's env"), reason);
        }
        {
            mc::test::TempDir dir;
            dir.write("data.txt", "not a program\n");
            fs::permissions(dir.file("data.txt"), fs::perms(0644));
            Connection notExecutable(R"({"command":"./data.txt","cwd":)" + quote(dir.path()) + "}");
            std::string reason;
            CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, notExecutable.open(&reason));
            CPPUNIT_ASSERT_EQUAL(std::string("command './data.txt' is not an executable file"), reason);
            // Executable but not a program the kernel can run (no #! line): the exec error itself.
            fs::permissions(dir.file("data.txt"), fs::perms(0755));
            Connection notAProgram(R"({"command":"./data.txt","cwd":)" + quote(dir.path()) + "}");
            CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, notAProgram.open(&reason));
            CPPUNIT_ASSERT_EQUAL("cannot start '" + dir.path() + "/./data.txt': Exec format error", reason);
        }
        {
            Connection badDir(R"({"command":"node","cwd":"/nonexistent/mc-dir"})");
            std::string reason;
            CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, badDir.open(&reason));
            CPPUNIT_ASSERT_EQUAL(std::string("working directory '/nonexistent/mc-dir' does not exist or is not a directory"), reason);
        }
    }

    // validate() refuses with the messages POST /api/mcps answers (the fields moved from the host's
    // McpServerConfig into the plugin's server table).
    void invalidConfigurationIsRefusedWithReason() {
        const std::string prefix = "mcp-stdio/test: validate failed (config): ";
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"not json", "the server definition is not valid JSON"},
            {"[1,2]", "the server definition is not a JSON object"},
            {R"({"args":["x"]})", "\"command\" is required"},
            {R"({"command":""})", "\"command\" must not be empty"},
            {R"({"command":42})", "\"command\" must be a string, not a number"},
            {R"({"command":"node","args":"index.js"})", "\"args\" must be an array of strings, not a string"},
            {R"({"command":"node","args":["ok",7]})", "\"args\"[1] must be a string, not a number"},
            {R"({"command":"node","env":["A=1"]})", "\"env\" must be an object of string values, not an array"},
            {R"({"command":"node","env":{"PORT":3000}})", "\"env\".PORT must be a string, not a number"},
            {R"({"command":"node","env":{"A=B":"x"}})", "\"env\" name 'A=B' contains '='"},
            {R"({"command":"node","inherit_env":"HOME"})", "\"inherit_env\" must be an array of strings, not a string"},
            {R"({"command":"node","inherit_env":["A=B"]})", "\"inherit_env\"[0] 'A=B' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)"},
            {R"({"command":"node","inherit_env":["LANG",3]})", "\"inherit_env\"[1] must be a string, not a number"},
            {R"({"command":"node","inherit_env":["GH_TOKEN","MC_AUTH_JWT_SECRET"]})",
             "\"inherit_env\"[1] names MC_AUTH_JWT_SECRET: MC_* variables hold the host's own configuration and are never "
             "passed to MCP servers"},
            {R"({"command":"node","transport":"http"})", "\"transport\" 'http' is not served by mcp-stdio (it serves stdio)"},
            {R"({"command":"node","shutdown_grace_ms":-5})", "\"shutdown_grace_ms\" must be in 0..600000 (got -5)"},
            {R"({"command":"node","max_line_bytes":"lots"})", "\"max_line_bytes\" must be an integer number of bytes"},
            {R"({"command":"node","comand":"x"})", "unknown field \"comand\""},
            {R"({"command":"node","url":"http://x"})", "\"url\" applies to http/sse servers only, not to transport stdio"},
            {R"({"id":7,"command":"node"})", "\"id\" must be a string, not a number"},
        };
        for (const auto& [config, reason] : cases) {
            const std::string failure = createFailure(config);
            CPPUNIT_ASSERT_MESSAGE(config + " -> " + failure, failure.rfind(prefix, 0) == 0);
            assertContains(failure, reason);
        }
        // Numbers as text (a flat configuration) are accepted, and so are the gateway's own fields.
        CPPUNIT_ASSERT_EQUAL(std::string("(created)"), createFailure(R"({"command":"node","shutdown_grace_ms":"250"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("(created)"),
                             createFailure(R"({"id":"a","transport":"stdio","log_level":"debug","command":"node","cwd":""})"));
    }

    // The instance's keys (mcp.stdio.*) are the limits of every server that does not set its own.
    void instanceKeysAreTheDefaultsOfEveryServer() {
        const std::string script =
            "console.log(JSON.stringify({jsonrpc: '2.0', method: 'test/huge', params: {pad: 'x'.repeat(5000)}}));"
            "setInterval(() => {}, 1000);";
        Connection server(scriptConfig(script, R"(,"shutdown_grace_ms":100,"terminate_grace_ms":100)"), "test",
                          {{"max_line_bytes", "2048"}});
        server.openOrFail();
        const auto [status, detail] = server.waitForClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, status);
        assertContains(detail, "longer than max_line_bytes (2048 bytes)");
        server.close();
        // A server's own value wins over the instance's.
        Connection own(scriptConfig(script, R"(,"max_line_bytes":8192,"shutdown_grace_ms":100,"terminate_grace_ms":100)"),
                       "test", {{"max_line_bytes", "2048"}});
        own.openOrFail();
        own.waitForMessage([](const Poco::JSON::Object& m) { return m.getValue<std::string>("method") == "test/huge"; });
        own.close();
    }

    void envCwdAndArgsReachTheServerVerbatim() {
        mc::test::TempDir dir;
        const std::string cwd = fs::canonical(dir.path()).string();
        // The host's own configuration (MC_*) and anything not named stay behind; the baseline
        // (PATH, HOME, LANG, LC_*, TZ, TMPDIR), inherit_env names and env reach the server.
        const std::map<std::string, std::string> hostVariables = {
            {"MC_STDIO_TEST_SECRET", "mc-secret"}, {"STDIO_TEST_INHERITED", "from-host"},
            {"STDIO_TEST_PRIVATE", "private"},     {"LC_MONETARY", "C"},
            {"TZ", "UTC"},                         {"TMPDIR", cwd}};
        for (const auto& [name, value] : hostVariables) ::setenv(name.c_str(), value.c_str(), 1);
        const std::string script = reportingScript(
            "test/env", "{cwd: process.cwd(), env: process.env, argv: process.argv.slice(1)}");
        // No shell anywhere: metacharacters arrive as plain text.
        Connection server(R"({"id":"env","command":"node","args":)" +
                          jsonArray({"-e", script, "two words", "$HOME", "a;b|c", "*"}) +
                          R"(,"env":{"STDIO_TEST_VALUE":"v=1 \"quoted\"","TZ":"Europe/Berlin"},"cwd":)" + quote(cwd) +
                          R"(,"inherit_env":["STDIO_TEST_INHERITED","STDIO_TEST_NOT_SET"])" +
                          R"(,"shutdown_grace_ms":100,"terminate_grace_ms":100})");
        server.openOrFail();
        auto params = server.waitForMessage([](const Poco::JSON::Object& m) { return m.getValue<std::string>("method") == "test/env"; })
                          ->getObject("params");
        for (const auto& [name, value] : hostVariables) ::unsetenv(name.c_str());
        CPPUNIT_ASSERT_EQUAL(cwd, params->getValue<std::string>("cwd"));
        auto env = params->getObject("env");
        std::vector<std::string> names;
        for (const auto& [name, value] : *env) names.push_back(name);
        for (const auto& name : names)
            CPPUNIT_ASSERT_MESSAGE("the server got " + name,
                                   name == "PATH" || name == "HOME" || name == "LANG" || name.rfind("LC_", 0) == 0 ||
                                       name == "TZ" || name == "TMPDIR" || name == "STDIO_TEST_INHERITED" ||
                                       name == "STDIO_TEST_VALUE");
        CPPUNIT_ASSERT_EQUAL(std::string("v=1 \"quoted\""), env->getValue<std::string>("STDIO_TEST_VALUE"));
        CPPUNIT_ASSERT_EQUAL(std::string("from-host"), env->getValue<std::string>("STDIO_TEST_INHERITED"));
        CPPUNIT_ASSERT_EQUAL(std::string("C"), env->getValue<std::string>("LC_MONETARY"));
        CPPUNIT_ASSERT_EQUAL(cwd, env->getValue<std::string>("TMPDIR"));
        CPPUNIT_ASSERT_EQUAL(std::string("Europe/Berlin"), env->getValue<std::string>("TZ")); // env wins
        CPPUNIT_ASSERT(env->has("PATH"));
        CPPUNIT_ASSERT(!env->has("MC_STDIO_TEST_SECRET"));
        CPPUNIT_ASSERT(!env->has("STDIO_TEST_PRIVATE"));
        CPPUNIT_ASSERT(!env->has("STDIO_TEST_NOT_SET"));
        auto argv = params->getArray("argv");
        std::vector<std::string> args;
        for (std::size_t i = 0; i < argv->size(); ++i) args.push_back(argv->getElement<std::string>(i));
        CPPUNIT_ASSERT_EQUAL(jsonArray({"two words", "$HOME", "a;b|c", "*"}), jsonArray(args));
        server.close();
    }

    void oversizeStdoutLineClosesTheConnection() {
        const std::string script =
            "console.log(JSON.stringify({jsonrpc: '2.0', method: 'test/before'}));"
            "console.log(JSON.stringify({jsonrpc: '2.0', method: 'test/huge', params: {pad: 'x'.repeat(5000)}}));"
            "console.log(JSON.stringify({jsonrpc: '2.0', method: 'test/after'}));"
            "setInterval(() => {}, 1000);";
        Connection server(scriptConfig(script, R"(,"max_line_bytes":1024,"shutdown_grace_ms":100,"terminate_grace_ms":100)"));
        server.openOrFail();
        const auto [status, detail] = server.waitForClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, status);
        assertContains(detail, "the server wrote a stdout line longer than max_line_bytes (1024 bytes); killed by signal 15 (SIGTERM)");
        auto log = server.waitForLog("longer than max_line_bytes (1024 bytes); closing the connection");
        CPPUNIT_ASSERT_EQUAL(MC_LOG_ERROR, log.level);
        const auto messages = server.messages();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), messages.size());
        assertContains(messages[0], "test/before");
        server.close();
    }

    void stdoutNoiseIsDroppedAndBatchesAreSplit() {
        const std::string script =
            "process.stdout.write('hello, not json\\n');"
            "process.stdout.write(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]));" // {"a":"\xff"}
            "process.stdout.write('\\n');"
            "process.stdout.write('42\\n');"
            "process.stdout.write('[{\"jsonrpc\":\"2.0\",\"method\":\"a\"}, {\"jsonrpc\":\"2.0\",\"method\":\"b\"}]\\n');"
            "process.stdout.write('{\"jsonrpc\":\"2.0\",\"method\":\"c\"}\\r\\n');"
            "process.stdout.write('{\"jsonrpc\":\"2.0\",\"method\":\"d\"}');" // last line without newline, then exit
            "process.exit(0);";
        Connection server(scriptConfig(script));
        server.openOrFail();
        const auto [status, detail] = server.waitForClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, status);
        CPPUNIT_ASSERT_EQUAL(std::string("exited with code 0"), detail);
        const std::vector<std::string> expected = {R"({"jsonrpc":"2.0","method":"a"})", R"({"jsonrpc":"2.0","method":"b"})",
                                                   R"({"jsonrpc":"2.0","method":"c"})", R"({"jsonrpc":"2.0","method":"d"})"};
        CPPUNIT_ASSERT_EQUAL(jsonArray(expected), jsonArray(server.messages()));
        auto noise = server.waitForLog("dropped a stdout line that is not JSON (an unexpected character 'h' at byte 0): 'hello, not json'");
        CPPUNIT_ASSERT_EQUAL(MC_LOG_WARN, noise.level);
        // Strings are checked as UTF-8 too: a server's broken encoding stops here, named, not at a client.
        CPPUNIT_ASSERT_EQUAL(MC_LOG_WARN, server.waitForLog("dropped a stdout line that is not JSON (a byte that is not UTF-8 at byte 6)").level);
        server.waitForLog("dropped a stdout line that is not a JSON object: '42'");
        server.close();
    }

    void sendRefusesBadMessagesAndClosedConnections() {
        Connection server(scriptConfig("process.stdin.on('data', () => {}); setInterval(() => {}, 1000);",
                                       R"(,"shutdown_grace_ms":100,"terminate_grace_ms":100)"));
        std::string reason;
        server.openOrFail();

        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, server.send("{\"jsonrpc\":\"2.0\",\n\"method\":\"x\"}", &reason));
        assertContains(reason, "line break");
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, server.send(R"({"jsonrpc":"2.0","method":)", &reason));
        CPPUNIT_ASSERT_EQUAL(std::string("message is not valid JSON: a missing value at byte 26"), reason);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, server.send("", &reason));
        assertContains(reason, "empty message");
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, server.send("\"just a string\"", &reason));
        CPPUNIT_ASSERT_EQUAL(MC_OK, server.send(R"({"jsonrpc":"2.0","method":"fine"})", &reason));

        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());
        // After close_connection the connection is gone: the host never calls send on it again.
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, server.send(R"({"jsonrpc":"2.0","method":"x"})", &reason));
    }

    void writingToAServerThatClosedStdinRaisesNoSigpipe() {
        // The test program ignores SIGPIPE; the host might not: restore the default for this test.
        struct sigaction previous {};
        struct sigaction byDefault {};
        byDefault.sa_handler = SIG_DFL;
        sigemptyset(&byDefault.sa_mask);
        ::sigaction(SIGPIPE, &byDefault, &previous);

        const std::string script =
            "require('fs').closeSync(0);"
            "console.log(JSON.stringify({jsonrpc: '2.0', method: 'test/ready'}));"
            "setInterval(() => {}, 1000);";
        Connection server(scriptConfig(script, R"(,"shutdown_grace_ms":100,"terminate_grace_ms":100)"));
        server.openOrFail();
        server.waitForMessage([](const Poco::JSON::Object& m) { return m.getValue<std::string>("method") == "test/ready"; });
        std::string reason;
        const bool refused = eventually([&] {
            return server.send(R"({"jsonrpc":"2.0","method":"test/into-the-void"})", &reason) == MC_ERR_UNAVAILABLE;
        });
        ::sigaction(SIGPIPE, &previous, nullptr);
        CPPUNIT_ASSERT(refused);
        CPPUNIT_ASSERT_EQUAL(std::string("the server closed its stdin"), reason);
        CPPUNIT_ASSERT_EQUAL(MC_OK, server.close());
    }

    void reopenAfterTheServerExitedStartsAFreshProcess() {
        Connection server(scriptConfig(reportingScript("test/pid", "{pid: process.pid}") + "setTimeout(() => process.exit(3), 200);"));
        server.openOrFail();
        const auto [status, detail] = server.waitForClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, status);
        CPPUNIT_ASSERT_EQUAL(std::string("exited with code 3"), detail);
        std::size_t firstIndex = 0;
        const int firstPid = server.waitForMessage([](const Poco::JSON::Object& m) { return m.getValue<std::string>("method") == "test/pid"; },
                                                   &firstIndex)
                                 ->getObject("params")->getValue<int>("pid");
        CPPUNIT_ASSERT_EQUAL(char(0), processState(firstPid));

        server.openOrFail(); // a new connection: a fresh process
        const auto second = server.waitForClosed();
        CPPUNIT_ASSERT_EQUAL(std::string("exited with code 3"), second.second);
        CPPUNIT_ASSERT_EQUAL(2, server.closedCount());
        const auto messages = server.messages();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), messages.size());
        const int secondPid = parse(messages[1])->getObject("params")->getValue<int>("pid");
        CPPUNIT_ASSERT(secondPid != firstPid);
        server.close();
    }

    void destroyWithoutCloseLeavesNoProcess() {
        Connection server(everythingConfig());
        server.openOrFail();
        server.initialize();
        const auto children = childProcesses();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), children.size());
        server.destroy(); // no close(): destroy must still shut the server down and reap it
        CPPUNIT_ASSERT_EQUAL(char(0), processState(children.front()));
        CPPUNIT_ASSERT_EQUAL(0, server.closedCount());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(McpStdioTest);
