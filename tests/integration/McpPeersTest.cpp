// Real MCP clients and servers through the host's /mcp face: the official TypeScript SDK in both
// generations (v1 @modelcontextprotocol/sdk, 2025 era; v2 @modelcontextprotocol/client, which probes
// the 2026-07-28 era first and falls back to initialize here) and the MCP Inspector's CLI, over HTTP
// and through `mission-control bridge`, with server-everything, server-memory and server-filesystem
// behind the gateway. Each lists, calls, reads and gets prompts; the memory server's state changed
// through the host is read back through the host.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "util/Json.h"

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using mc::test::eventually;
using mc::test::InProcessHost;
using mc::test::runProgram;

namespace {

const std::string kPeers = MC_TEST_MCP_PEERS_DIR;

std::string peer(const std::string& package, const std::string& script) {
    return kPeers + "/node_modules/@modelcontextprotocol/" + package + "/dist/" + script;
}

// every (server-everything), memory (server-memory, its graph in `dir`), files (server-filesystem on `dir`/fs).
std::map<std::string, std::string> threeServers(const std::string& dir) {
    return mc::test::withEverything({{"mcp.servers.memory.transport", "stdio"},
                                     {"mcp.servers.memory.command", "node"},
                                     {"mcp.servers.memory.args", "[\"" + peer("server-memory", "index.js") + "\"]"},
                                     {"mcp.servers.memory.env", "{\"MEMORY_FILE_PATH\":\"" + dir + "/memory.jsonl\"}"},
                                     {"mcp.servers.memory.shutdown_grace_ms", "1000"},
                                     {"mcp.servers.files.transport", "stdio"},
                                     {"mcp.servers.files.command", "node"},
                                     {"mcp.servers.files.args", "[\"" + peer("server-filesystem", "index.js") + "\",\"" + dir + "/fs\"]"},
                                     {"mcp.servers.files.shutdown_grace_ms", "1000"}});
}

bool contains(const Poco::JSON::Array::Ptr& array, const std::string& value) {
    for (std::size_t i = 0; i < array->size(); ++i)
        if (array->getElement<std::string>(static_cast<unsigned>(i)) == value) return true;
    return false;
}

Poco::JSON::Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>(); }

} // namespace

class McpPeersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(McpPeersTest);
    CPPUNIT_TEST(bothSdkGenerationsListReadGetAndCall);
    CPPUNIT_TEST(theInspectorCliWorksOverHttpAndThroughTheBridge);
    CPPUNIT_TEST(theServersRequestsReachTheAgentWhoseCallIsInFlight);
    CPPUNIT_TEST(theNewEraPassesThroughTheBridge);
    CPPUNIT_TEST(aReadsProgressAndQuestionsReachTheAgent);
    CPPUNIT_TEST_SUITE_END();

public:
    void bothSdkGenerationsListReadGetAndCall() {
        mc::test::TempDir dir;
        Poco::File(dir.path() + "/fs").createDirectories();
        std::ofstream(dir.path() + "/fs/note.txt") << "hello from a file\n";
        InProcessHost host(threeServers(dir.path()));
        CPPUNIT_ASSERT(eventually([&] {
            for (const char* id : {"every", "memory", "files"})
                if (mc::test::statusOf(host.port(), id) != "connected") return false;
            return true;
        }, 30000));
        const std::string url = "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp";
        for (const std::string sdk : {"v1", "v2-legacy", "v2"}) {
            const auto ran = runProgram("node", {"mcp-tour.mjs", "--sdk", sdk, "--url", url, "--call", "files__read_text_file", "--args",
                                                 "{\"path\":\"" + dir.path() + "/fs/note.txt\"}", "--read",
                                                 "mission-control://memory/memory://knowledge-graph", "--prompt", "every__args-prompt",
                                                 "--prompt-args", R"({"city":"Oslo"})", "--log-level", "debug", "--change",
                                                 "every__gzip-file-as-resource", "--change-args",
                                                 R"({"name":"hello-)" + sdk + R"(.txt","data":"data:text/plain;base64,aGVsbG8=","outputType":"resourceLink"})",
                                                 "--await", "notifications/resources/list_changed", "--progress-call",
                                                 "every__trigger-long-running-operation", "--progress-args", R"({"duration":1,"steps":2})"});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, 0, ran.status);
            const auto out = parse(ran.out);
            // v2 asked server/discover first and speaks 2026-07-28 without a session; the others initialized.
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk, std::string(sdk == "v2" ? "2026-07-28" : "2025-11-25"), out->getValue<std::string>("protocolVersion"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, sdk != "v2", out->has("sessionId") && !out->get("sessionId").isEmpty());
            if (sdk == "v2") { // its list changes came on the subscriptions/listen stream it opened, and it closed it
                CPPUNIT_ASSERT_EQUAL(std::string(R"({"promptsListChanged":true,"resourcesListChanged":true,"toolsListChanged":true})"),
                                     mc::host::json::stringify(out->getObject("honored")));
                CPPUNIT_ASSERT_EQUAL(std::string("local"), out->getValue<std::string>("subscriptionClosed"));
            }
            const auto tools = out->getArray("tools");
            CPPUNIT_ASSERT_MESSAGE(sdk + ": " + ran.out, contains(tools, "every__echo") && contains(tools, "memory__create_entities") &&
                                                              contains(tools, "files__read_text_file"));
            CPPUNIT_ASSERT(contains(out->getArray("resources"), "mission-control://memory/memory://knowledge-graph"));
            CPPUNIT_ASSERT(contains(out->getArray("resources"), "mission-control://every/demo://resource/static/document/features.md"));
            CPPUNIT_ASSERT(contains(out->getArray("resourceTemplates"), "mission-control://every/demo://resource/dynamic/blob/{resourceId}"));
            CPPUNIT_ASSERT(contains(out->getArray("prompts"), "every__simple-prompt"));
            const auto read = out->getArray("read")->getObject(0);
            CPPUNIT_ASSERT_EQUAL(std::string("mission-control://memory/memory://knowledge-graph"), read->getValue<std::string>("uri"));
            CPPUNIT_ASSERT_EQUAL(std::string("application/json"), read->getValue<std::string>("mimeType"));
            CPPUNIT_ASSERT(parse(read->getValue<std::string>("text"))->has("entities"));
            CPPUNIT_ASSERT_EQUAL(std::string("What's weather in Oslo?"),
                                 out->getArray("prompt")->getObject(0)->getObject("content")->getValue<std::string>("text"));
            CPPUNIT_ASSERT_EQUAL(std::string("hello from a file\n"),
                                 out->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
            // The server's progress reached the SDK's onprogress under the token it chose.
            const auto progress = out->getArray("progress");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, std::size_t(2), progress->size());
            CPPUNIT_ASSERT_EQUAL(std::string("[2,2]"), mc::host::json::stringify(progress->get(1)));
            // server-everything registered a resource and said so; the host listed again and told the
            // client on the session's stream, and the new resource is offered.
            CPPUNIT_ASSERT_MESSAGE(sdk + ": " + ran.out, out->getValue<bool>("awaited"));
            CPPUNIT_ASSERT(contains(out->getArray("notifications"), "notifications/resources/list_changed"));
            const auto after = out->getArray("resourcesAfter");
            bool offered = false;
            for (std::size_t i = 0; i < after->size(); ++i) {
                const std::string uri = after->getElement<std::string>(static_cast<unsigned>(i));
                offered = offered || (uri.rfind("mission-control://every/", 0) == 0 && uri.find("hello-" + sdk + ".txt") != std::string::npos);
            }
            CPPUNIT_ASSERT_MESSAGE(sdk + ": " + ran.out, offered);
        }
    }

    // server-everything's tools that ask their client (sampling, elicitation) are offered because the
    // gateway declares it answers them; asked during an agent's call, the agent answers on the call's
    // own stream, in both SDK generations and both eras. An agent that declared neither: the server hears why not.
    void theServersRequestsReachTheAgentWhoseCallIsInFlight() {
        InProcessHost host(mc::test::withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const std::string url = "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp";
        const auto text = [](const Poco::JSON::Object::Ptr& result) {
            std::string all;
            const auto content = result->getArray("content");
            for (std::size_t i = 0; i < content->size(); ++i) all += content->getObject(static_cast<unsigned>(i))->getValue<std::string>("text") + "\n";
            return all;
        };
        // v2 in the 2026-07-28 era: the server's questions come back as input_required results the SDK
        // answers by retrying the call (MRTR), while the call goes on upstream.
        for (const std::string sdk : {"v1", "v2-legacy", "v2"}) {
            const auto ran = runProgram("node", {"mcp-tour.mjs", "--sdk", sdk, "--url", url, "--sampling-reply", "sampled by the " + sdk + " agent",
                                                 "--elicit", R"({"name":"Ada","check":true})", "--ask", "every__trigger-sampling-request",
                                                 "--ask-args", R"({"prompt":"hello","maxTokens":5})", "--ask", "every__trigger-elicitation-request"});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, 0, ran.status);
            const auto out = parse(ran.out);
            const auto asked = out->getArray("asked");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, std::string(R"(["sampling/createMessage","elicitation/create"])"), mc::host::json::stringify(asked));
            const std::string sampled = text(out->getArray("asks")->getObject(0));
            CPPUNIT_ASSERT_MESSAGE(sampled, sampled.find("sampled by the " + sdk + " agent") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(sampled, sampled.find("mc-tour-model") != std::string::npos);
            const std::string elicited = text(out->getArray("asks")->getObject(1));
            CPPUNIT_ASSERT_MESSAGE(elicited, elicited.find("- Name: Ada") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(elicited, elicited.find("- Agreed to terms: true") != std::string::npos);
        }
        const auto ran = runProgram("node", {"mcp-tour.mjs", "--sdk", "v1", "--url", url, "--ask", "every__trigger-sampling-request", "--ask-args",
                                             R"({"prompt":"hello","maxTokens":5})"});
        const auto out = parse(ran.out);
        const auto refused = out->getArray("asks")->getObject(0);
        CPPUNIT_ASSERT_MESSAGE(ran.out, refused->getValue<bool>("isError"));
        CPPUNIT_ASSERT_MESSAGE(ran.out, text(refused).find("the agent did not declare the capabilities 'sampling' or 'elicitation'") !=
                                            std::string::npos);
        // A call from the REST API has no agent behind it: the server hears that.
        const auto rest = mc::test::httpRequest("POST", host.port(), "/api/mcps/every/tools/trigger-sampling-request/call",
                                                R"({"arguments":{"prompt":"hello","maxTokens":5}})", {{"Content-Type", "application/json"}});
        CPPUNIT_ASSERT_MESSAGE(rest.body, rest.body.find("no agent connected through Mission Control's /mcp is waiting on 'every' to answer "
                                                         "'sampling/createMessage'") != std::string::npos);
    }

    // The v2 client in the 2026-07-28 era over stdio, through the bridge (which sets the headers that
    // era requires from each message): lists, a call, and a subscriptions/listen stream the bridge
    // holds open until the client closes it, then ends cleanly.
    void theNewEraPassesThroughTheBridge() {
        InProcessHost host(mc::test::withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const std::string bridge = "[\"" + std::string(MC_TEST_HOST_BINARY) + "\",\"bridge\",\"--url\",\"http://127.0.0.1:" +
                                   std::to_string(host.port()) + "/mcp\"]";
        const auto ran = runProgram("node", {"mcp-tour.mjs", "--sdk", "v2", "--stdio", bridge, "--call", "every__echo", "--args",
                                             R"({"message":"modern over stdio"})", "--change", "every__gzip-file-as-resource", "--change-args",
                                             R"({"name":"bridged.txt","data":"data:text/plain;base64,aGVsbG8=","outputType":"resourceLink"})",
                                             "--await", "notifications/resources/list_changed"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        const auto out = parse(ran.out);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, std::string("2026-07-28"), out->getValue<std::string>("protocolVersion"));
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: modern over stdio"),
                             out->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT_MESSAGE(ran.out, out->getValue<bool>("awaited"));
        CPPUNIT_ASSERT_EQUAL(std::string("local"), out->getValue<std::string>("subscriptionClosed"));
    }

    // A server that reports progress and asks its client while getting a prompt (gateway-peer
    // --asking-prompt): the agent hears the progress and answers the question, in both eras (2025: on
    // the request's stream; 2026-07-28: an input_required result and a retry).
    void aReadsProgressAndQuestionsReachTheAgent() {
        InProcessHost host(mc::test::withEverything({{"mcp.servers.peer.transport", "stdio"},
                                                     {"mcp.servers.peer.command", "node"},
                                                     {"mcp.servers.peer.args", "[\"" + kPeers + "/gateway-peer.mjs\",\"stdio\",\"--asking-prompt\"]"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "peer") == "connected"; }));
        const std::string url = "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp";
        for (const std::string sdk : {"v1", "v2-legacy", "v2"}) {
            const auto ran = runProgram("node", {"mcp-tour.mjs", "--sdk", sdk, "--url", url, "--prompt", "peer__ask", "--elicit",
                                                 R"({"city":"Oslo"})"});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, 0, ran.status);
            const auto out = parse(ran.out);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, std::string("Weather in Oslo?"),
                                         out->getArray("prompt")->getObject(0)->getObject("content")->getValue<std::string>("text"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, std::string(R"(["elicitation/create"])"),
                                         mc::host::json::stringify(out->getArray("asked")));
            // The server's progress; the v2 SDK reports each input_required round it answers as progress too ([round, no total]).
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, std::string(sdk == "v2" ? "[[1,2],[1,null]]" : "[[1,2]]"),
                                         mc::host::json::stringify(out->getArray("promptProgress")));
        }
        // An agent that declared no elicitation: the server hears why not, and its prompt says so.
        const auto ran = runProgram("node", {"mcp-tour.mjs", "--sdk", "v2", "--url", url, "--prompt", "peer__ask"});
        CPPUNIT_ASSERT_MESSAGE(ran.out, ran.out.find("the agent did not declare the capabilities 'sampling' or 'elicitation'") != std::string::npos);
    }

    void theInspectorCliWorksOverHttpAndThroughTheBridge() {
        mc::test::TempDir dir;
        Poco::File(dir.path() + "/fs").createDirectories();
        InProcessHost host(threeServers(dir.path()));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "memory") == "connected"; }, 30000));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }, 30000));
        const std::string url = "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp";
        // Over HTTP: an entity created in the memory server through the host...
        auto ran = runProgram("./inspector-cli.sh", {url, "--method", "tools/call", "--tool-name", "memory__create_entities", "--tool-arg",
                                                     R"(entities=[{"name":"Ada","entityType":"person","observations":["wrote programs"]}])"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Ada"),
                             parse(ran.out)->getObject("structuredContent")->getArray("entities")->getObject(0)->getValue<std::string>("name"));
        ran = runProgram("./inspector-cli.sh", {url, "--method", "tools/list"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        CPPUNIT_ASSERT_MESSAGE(ran.out, ran.out.find("\"name\": \"memory__read_graph\"") != std::string::npos);
        // ...is in its graph, read as a resource through the bridge (stdio to the inspector, HTTP to the host).
        ran = runProgram("./inspector-cli.sh", {MC_TEST_HOST_BINARY, "bridge", "--url", url, "--method", "resources/read", "--uri",
                                                "mission-control://memory/memory://knowledge-graph"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        const auto content = parse(ran.out)->getArray("contents")->getObject(0);
        const auto graph = parse(content->getValue<std::string>("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("wrote programs"),
                             graph->getArray("entities")->getObject(0)->getArray("observations")->getElement<std::string>(0));
        ran = runProgram("./inspector-cli.sh", {MC_TEST_HOST_BINARY, "bridge", "--url", url, "--method", "prompts/get", "--prompt-name",
                                                "every__args-prompt", "--prompt-args", "city=Rome"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        CPPUNIT_ASSERT_MESSAGE(ran.out, ran.out.find("What's weather in Rome?") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(McpPeersTest);
