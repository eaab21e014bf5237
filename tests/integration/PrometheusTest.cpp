// GET /metrics scraped by the real Prometheus server (Debian's `prometheus`, run by the test on
// loopback with its own config and storage) and linted by `promtool check metrics`: tool calls made
// through the gateway to a real server-everything show up in Prometheus' query API with the exact
// counts; with auth on, a scrape with a viewer bearer token works and one without is a 401 target.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "app/HostRuntime.h"
#include "mc/plugin_abi.h"
#include "web/Auth.h"

#include <Poco/JSON/Array.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/URI.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::TempDir;

namespace {

const std::string kEverything = mc::test::everythingServerScript();
const char* const kJwtSecret = "prometheus-test-secret";

// The absolute path of `name` on PATH; the test fails (never skips) when it is missing.
std::string requireProgram(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    CPPUNIT_FAIL("'" + name + "' is not installed (Debian package prometheus; scripts/deps.sh test installs it): "
                 "the /metrics tests need the real Prometheus server and promtool");
    return {};
}

// Runs `program args` with `input` on stdin; returns the exit code, stdout and stderr in `output`.
int runWithInput(const std::string& program, const std::vector<std::string>& args, const std::string& input,
                 std::string& output) {
    Poco::Pipe in, out;
    Poco::ProcessHandle handle = Poco::Process::launch(program, args, &in, &out, &out);
    {
        Poco::PipeOutputStream stdinStream(in);
        stdinStream << input;
    }
    in.close(Poco::Pipe::CLOSE_WRITE);
    Poco::PipeInputStream stdoutStream(out);
    output.assign(std::istreambuf_iterator<char>(stdoutStream), std::istreambuf_iterator<char>());
    return handle.wait();
}

// One Prometheus server on 127.0.0.1 scraping what `scrapeConfigs` (YAML list items) say every
// second, with its storage in a temporary directory; killed and reaped by the destructor.
class PrometheusServer {
public:
    explicit PrometheusServer(const std::string& scrapeConfigs) : port_(mc::test::freePort()) {
        const std::string binary = requireProgram("prometheus");
        dir_.write("prometheus.yml", "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                                     "scrape_configs:\n" + scrapeConfigs);
        const std::vector<std::string> args = {
            "-c", "exec \"$0\" \"$@\" > '" + dir_.file("prometheus.log") + "' 2>&1", binary,
            "--config.file=" + dir_.file("prometheus.yml"), "--storage.tsdb.path=" + dir_.file("data"),
            "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", args, dir_.path()));
    }
    ~PrometheusServer() {
        try {
            Poco::Process::requestTermination(handle_->id());
            handle_->wait();
        } catch (...) {
        }
    }
    PrometheusServer(const PrometheusServer&) = delete;
    PrometheusServer& operator=(const PrometheusServer&) = delete;

    unsigned short port() const { return port_; }
    std::string log() const { return mc::test::readFile(dir_.file("prometheus.log")); }

    // GET /api/v1/<path>: the "data" member, or nullptr while Prometheus is not answering yet.
    Poco::JSON::Object::Ptr api(const std::string& pathAndQuery) const {
        try {
            auto r = httpGet(port_, "/api/v1/" + pathAndQuery);
            if (r.status != 200) return nullptr;
            auto body = r.json();
            return body->getValue<std::string>("status") == "success" ? body->getObject("data") : nullptr;
        } catch (const std::exception&) {
            return nullptr;
        }
    }

    // The value of an instant query that selects exactly one series; empty when it selects none (or more).
    std::optional<double> query(const std::string& expression) const {
        std::string encoded;
        Poco::URI::encode(expression, "!#$&'()*+,/:;=?@[]{}\" ", encoded);
        auto data = api("query?query=" + encoded);
        if (!data) return std::nullopt;
        auto result = data->getArray("result");
        if (!result || result->size() != 1) return std::nullopt;
        auto value = result->getObject(0)->getArray("value");
        return std::stod(value->getElement<std::string>(1));
    }

    // Polls `expression` until it equals `expected`; the failure names the last value and the log.
    void expect(const std::string& expression, double expected, int timeoutMs = 60000) const {
        std::optional<double> last;
        eventually([&] { return (last = query(expression)) && *last == expected; }, timeoutMs * mc::test::timeScale());
        CPPUNIT_ASSERT_MESSAGE(expression + " = " + (last ? std::to_string(*last) : std::string("(no series)")) +
                                   ", expected " + std::to_string(expected) + "\nprometheus log:\n" + log(),
                               last && *last == expected);
    }

private:
    TempDir dir_;
    unsigned short port_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

std::string scrapeJob(const std::string& job, unsigned short hostPort, const std::string& bearer = "") {
    std::string yaml = "  - job_name: " + job + "\n    metrics_path: /metrics\n";
    if (!bearer.empty()) yaml += "    authorization:\n      type: Bearer\n      credentials: " + bearer + "\n";
    yaml += "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(hostPort) + "']\n";
    return yaml;
}

mc::test::HttpResult callTool(unsigned short port, const std::string& tool, const std::string& arguments) {
    return httpRequest("POST", port, "/api/mcps/ev/tools/" + tool + "/call", "{\"arguments\":" + arguments + "}",
                       {{"Content-Type", "application/json"}});
}

} // namespace

class PrometheusTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PrometheusTest);
    CPPUNIT_TEST(prometheusScrapesToolCallsAndHostSeries);
    CPPUNIT_TEST(withAuthOnlyABearerTokenScrapes);
    CPPUNIT_TEST(metricsCanBeTurnedOff);
    CPPUNIT_TEST(docsListEverySeriesServed);
    CPPUNIT_TEST_SUITE_END();

public:
    void prometheusScrapesToolCallsAndHostSeries() {
        const std::string promtool = requireProgram("promtool");
        mc::test::InProcessHost host({{"mcp.servers.ev.transport", "stdio"},
                                      {"mcp.servers.ev.command", "node"},
                                      {"mcp.servers.ev.args", "[\"" + kEverything + "\",\"stdio\"]"}});
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "ev") == "connected"; }));
        for (int i = 0; i < 3; ++i) {
            auto r = callTool(host.port(), "echo", "{\"message\":\"hi " + std::to_string(i) + "\"}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(200, callTool(host.port(), "get-sum", R"({"a":2,"b":40})").status);
        CPPUNIT_ASSERT_EQUAL(404, callTool(host.port(), "teleport", "{}").status);

        // The body as the host serves it: the exposition content type, the counts, and promtool finds nothing.
        auto r = httpGet(host.port(), "/metrics");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"), r.headers["Content-Type"]);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("mc_gateway_tool_calls_total{server=\"ev\",tool=\"echo\",outcome=\"ok\"} 3\n") !=
                                           std::string::npos);
        CPPUNIT_ASSERT(r.body.find("mc_gateway_tool_call_duration_seconds_count{server=\"ev\",tool=\"echo\"} 3\n") !=
                       std::string::npos);
        std::string lint;
        const int exitCode = runWithInput(promtool, {"check", "metrics"}, r.body, lint);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(lint, 0, exitCode);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("promtool check metrics reported problems", std::string(), lint);

        // The real server scraping it every second.
        PrometheusServer prometheus(scrapeJob("mission-control", host.port()));
        prometheus.expect("up{job=\"mission-control\"}", 1);
        prometheus.expect("mc_gateway_tool_calls_total{server=\"ev\",tool=\"echo\",outcome=\"ok\"}", 3);
        prometheus.expect("mc_gateway_tool_calls_total{server=\"ev\",tool=\"get-sum\",outcome=\"ok\"}", 1);
        prometheus.expect("mc_gateway_tool_calls_total{server=\"ev\",tool=\"other\",outcome=\"unknown_tool\"}", 1);
        prometheus.expect("mc_gateway_tool_call_duration_seconds_count{server=\"ev\",tool=\"echo\"}", 3);
        prometheus.expect("mc_gateway_tool_call_duration_seconds_bucket{server=\"ev\",tool=\"echo\",le=\"+Inf\"}", 3);
        prometheus.expect("mc_gateway_server_state{server=\"ev\",state=\"connected\"}", 1);
        prometheus.expect("mc_gateway_server_state{server=\"ev\",state=\"disconnected\"}", 0);
        prometheus.expect("mc_build_info{version=\"" MC_VERSION "\",abi=\"" + std::to_string(MC_ABI_MAJOR) + "." +
                              std::to_string(MC_ABI_MINOR) + "\"}",
                          1);
        prometheus.expect("mc_store_up", 1);
        prometheus.expect("mc_plugin_status{plugin=\"store-sqlite\",kind=\"store\",status=\"ok\"}", 1);
        // A call made while Prometheus watches arrives at the next scrapes.
        CPPUNIT_ASSERT_EQUAL(200, callTool(host.port(), "echo", R"({"message":"late"})").status);
        prometheus.expect("mc_gateway_tool_calls_total{server=\"ev\",tool=\"echo\",outcome=\"ok\"}", 4);
        prometheus.expect("increase(mc_http_requests_total[1m]) > bool 0", 1);
    }

    void withAuthOnlyABearerTokenScrapes() {
        mc::test::InProcessHost host({{"auth.jwt.secret", kJwtSecret}}, mc::test::InProcessHost::Until::AllButGateway);
        const std::string viewer = mc::host::Authenticator(kJwtSecret).issue("prometheus", mc::host::Role::Viewer);
        CPPUNIT_ASSERT_EQUAL(401, httpGet(host.port(), "/metrics").status);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/metrics", {{"Authorization", "Bearer " + viewer}}).status);

        PrometheusServer prometheus(scrapeJob("with-token", host.port(), viewer) + scrapeJob("without-token", host.port()));
        prometheus.expect("up{job=\"with-token\"}", 1);
        prometheus.expect("mc_build_info{job=\"with-token\"}", 1);
        prometheus.expect("up{job=\"without-token\"}", 0);
        std::string lastError;
        eventually([&] {
            auto data = prometheus.api("targets?state=active");
            if (!data) return false;
            auto targets = data->getArray("activeTargets");
            for (std::size_t i = 0; i < targets->size(); ++i) {
                auto target = targets->getObject(static_cast<unsigned>(i));
                if (target->getObject("labels")->getValue<std::string>("job") != "without-token") continue;
                lastError = target->getValue<std::string>("lastError");
                return target->getValue<std::string>("health") == "down" && !lastError.empty();
            }
            return false;
        });
        CPPUNIT_ASSERT_MESSAGE(lastError, lastError.find("401") != std::string::npos);
        CPPUNIT_ASSERT(prometheus.query("mc_build_info{job=\"without-token\"}") == std::nullopt);
    }

    void metricsCanBeTurnedOff() {
        mc::test::InProcessHost host({{"metrics.enabled", "false"}}, mc::test::InProcessHost::Until::AllButGateway);
        CPPUNIT_ASSERT_EQUAL(404, httpGet(host.port(), "/metrics").status);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/health").status);
    }

    // docs/metrics.md has a row `| `name` | type |` for every family served, and no row for one that is not.
    void docsListEverySeriesServed() {
        mc::test::InProcessHost host({}, mc::test::InProcessHost::Until::AllButGateway);
        const std::string body = httpGet(host.port(), "/metrics").body;
        const std::string docs = mc::test::readFile(std::string(MC_TEST_SOURCE_DIR) + "/docs/metrics.md");
        CPPUNIT_ASSERT_MESSAGE("docs/metrics.md is missing", !docs.empty());
        std::set<std::string> served;
        std::istringstream lines(body);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("# TYPE ", 0) != 0) continue;
            const auto space = line.find(' ', 7);
            const std::string name = line.substr(7, space - 7);
            served.insert(name);
            const std::string row = "| `" + name + "` | " + line.substr(space + 1) + " |";
            CPPUNIT_ASSERT_MESSAGE("docs/metrics.md has no row " + row, docs.find(row) != std::string::npos);
        }
        CPPUNIT_ASSERT(served.count("mc_gateway_tool_calls_total") && served.count("mc_http_requests_total"));
        std::istringstream docLines(docs);
        for (std::string line; std::getline(docLines, line);) {
            if (line.rfind("| `mc_", 0) != 0) continue;
            const std::string name = line.substr(3, line.find('`', 3) - 3);
            CPPUNIT_ASSERT_MESSAGE("docs/metrics.md lists " + name + ", which the host does not serve", served.count(name));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PrometheusTest);
