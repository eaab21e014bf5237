// Three real hosts as one cluster (cluster.enabled) on one PostgreSQL and a real nats-server (JetStream),
// all on loopback: an event ingested on any host reaches the WebSocket subscribers of every host once,
// with the same seq everywhere and in each source's order; a client resumes on another host than the
// one it left; NATS restarted mid-stream loses nothing acknowledged for live viewers; a host stopped
// (SIGSTOP) while the others go on catches up when it continues.
#include "GatewayTestSupport.h"
#include "HostProcess.h"
#include "NatsServer.h"
#include "PostgresServer.h"
#include "TestHttp.h"
#include "TestWebSocket.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using mc::test::HostProcess;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::NatsServer;
using mc::test::TestWebSocket;

namespace {

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

bool eventually(const std::function<bool()>& condition, int timeoutMs = 20000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs * mc::test::timeScale());
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

struct Seen {
    std::uint64_t seq;
    std::string id;
};

// A WebSocket viewer of logs:* on one host, collecting every log event it is sent.
class Viewer {
public:
    explicit Viewer(unsigned short port, const std::string& firstMessage = R"({"type":"subscribe","channel":"logs:*"})")
        : ws_(port) {
        epoch_ = ws_.receiveType("welcome")->getValue<std::string>("epoch");
        ws_.sendText(firstMessage);
        reader_ = std::thread([this] { read(); });
    }
    ~Viewer() { close(); }
    void close() {
        stop_ = true;
        if (reader_.joinable()) reader_.join();
    }
    std::vector<Seen> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return seen_.size();
    }
    std::vector<std::string> others() const {
        std::lock_guard lock(mutex_);
        return others_;
    }
    const std::string& epoch() const { return epoch_; }

private:
    void read() {
        while (!stop_) {
            Poco::JSON::Object::Ptr m;
            try {
                m = ws_.receive(200);
            } catch (const std::exception&) {
                continue; // nothing within 200 ms
            }
            const std::string type = m->getValue<std::string>("type");
            std::lock_guard lock(mutex_);
            if (type == "log")
                seen_.push_back(Seen{m->getValue<std::uint64_t>("seq"), m->getObject("payload")->getValue<std::string>("id")});
            else
                others_.push_back(type);
        }
    }
    TestWebSocket ws_;
    std::string epoch_;
    std::thread reader_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<Seen> seen_;
    std::vector<std::string> others_;
};

// 3 hosts, their PostgreSQL database and NATS; names unique per test so nothing is shared.
class Cluster {
public:
    explicit Cluster(const std::string& name, const std::vector<std::string>& extra = {}) {
        auto& pg = mc::test::PostgresServer::shared();
        const std::string db = pg.createDatabase("cluster");
        for (int i = 1; i <= 3; ++i) {
            ports.push_back(mc::test::freePort());
            args.push_back({"-Dhttp.port=" + std::to_string(ports.back()), "-Dlog.level=warn", "-Dstore.backend=postgres",
                            "-Dstore.postgres.url=" + pg.conninfo(db), "-Dcluster.enabled=true", "-Dcluster.name=" + name,
                            "-Dcluster.host_id=h" + std::to_string(i), "-Dcluster.heartbeat_ms=200",
                            "-Dbus.nats.servers=" + nats.url(), "-Dbus.nats.prefix=" + name, "-Dbus.nats.stream=" + name,
                            "-Dbus.nats.reconnect_wait_ms=50", "-Dbus.nats.ack_timeout_ms=1000", "-Dplugins.watch=false",
                            "-Dmcp.endpoint.enabled=false"});
            args.back().insert(args.back().end(), extra.begin(), extra.end());
            hosts.push_back(std::make_unique<HostProcess>(args.back()));
        }
        for (std::size_t i = 0; i < hosts.size(); ++i)
            CPPUNIT_ASSERT_MESSAGE(hosts[i]->output(), hosts[i]->waitHealthy(ports[i]));
        // Every host sees the three members and follows the log.
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const bool joined = eventually([&] { return upMembers(i) == 3 && following(i); });
            // The health once the wait is over (an argument of the assertion could be taken before it).
            CPPUNIT_ASSERT_MESSAGE("h" + std::to_string(i + 1) + " after the wait: " + health(i) + "\n" + hosts[i]->output(), joined);
        }
    }

    std::string health(std::size_t i) const { return httpGet(ports[i], "/api/health").body; }
    Poco::JSON::Object::Ptr cluster(std::size_t i) const { return httpGet(ports[i], "/api/health").json()->getObject("cluster"); }
    int upMembers(std::size_t i) const {
        try {
            auto members = cluster(i)->getArray("members");
            int up = 0;
            for (std::size_t m = 0; m < members->size(); ++m) up += members->getObject(static_cast<unsigned>(m))->getValue<bool>("up");
            return up;
        } catch (const std::exception&) {
            return 0;
        }
    }
    bool following(std::size_t i) const {
        try {
            return cluster(i)->getObject("bus")->getObject("details")->getValue<bool>("following");
        } catch (const std::exception&) {
            return false;
        }
    }

    // Ingests logs `ids` on host i, `batch` per request; returns the acknowledged ones.
    std::vector<std::string> ingest(std::size_t i, const std::vector<std::string>& ids, std::size_t batch = 10) const {
        std::vector<std::string> acknowledged;
        for (std::size_t at = 0; at < ids.size(); at += batch) {
            std::string body = "{\"events\":[";
            const std::size_t end = std::min(ids.size(), at + batch);
            for (std::size_t k = at; k < end; ++k)
                body += std::string(k > at ? "," : "") + R"({"type":"log","id":")" + ids[k] +
                        R"(","level":"INFO","service":"cluster","mcp_id":"agent","message":"m"})";
            body += "]}";
            const auto r = httpRequest("POST", ports[i], "/api/ingest", body, kJson);
            if (r.status == 200 && r.json()->getValue<std::size_t>("accepted") == end - at)
                acknowledged.insert(acknowledged.end(), ids.begin() + static_cast<long>(at), ids.begin() + static_cast<long>(end));
        }
        return acknowledged;
    }

    // The owner of MCP server `id` as host i sees it ("" none or unknown).
    std::string ownerOn(std::size_t i, const std::string& id) const {
        try {
            const auto m = mc::test::mcp(ports[i], id);
            return m && !m->isNull("owner") ? m->getValue<std::string>("owner") : "";
        } catch (const std::exception&) {
            return "";
        }
    }
    // The host index every live host agrees owns `id`, with the server connected there and nowhere
    // else; -1 while they do not agree.
    int agreedOwner(const std::string& id, const std::vector<std::size_t>& live) const {
        const std::string owner = ownerOn(live.front(), id);
        if (owner.empty()) return -1;
        int at = -1;
        for (std::size_t i : live) {
            if (ownerOn(i, id) != owner) return -1;
            const bool connected = mc::test::statusOf(ports[i], id) == "connected";
            const bool isOwner = owner == "h" + std::to_string(i + 1);
            if (connected != isOwner) return -1;
            if (isOwner) at = static_cast<int>(i);
        }
        return at;
    }

    NatsServer nats;
    std::vector<unsigned short> ports;
    std::vector<std::vector<std::string>> args;
    std::vector<std::unique_ptr<HostProcess>> hosts;
};

std::vector<std::string> idsOf(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + "-" + std::to_string(1000 + i));
    return out;
}

// The ids with `prefix` in the order seen.
std::vector<std::string> ofSource(const std::vector<Seen>& seen, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& s : seen)
        if (s.id.rfind(prefix, 0) == 0) out.push_back(s.id);
    return out;
}

// -D options configuring server-everything over stdio as each of `ids`.
std::vector<std::string> everythingServers(const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
        out.push_back("-Dmcp.servers." + id + ".transport=stdio");
        out.push_back("-Dmcp.servers." + id + ".command=node");
        out.push_back("-Dmcp.servers." + id + ".args=[\"" + mc::test::everythingServerScript() + "\",\"stdio\"]");
        out.push_back("-Dmcp.servers." + id + ".shutdown_grace_ms=500");
    }
    return out;
}

bool listed(const Poco::JSON::Array::Ptr& list, const std::string& item) {
    for (std::size_t i = 0; list && i < list->size(); ++i)
        if (list->getElement<std::string>(static_cast<unsigned>(i)) == item) return true;
    return false;
}

// Every viewer saw the same events with the same seqs, each once, seqs increasing.
void assertSameLog(const std::vector<std::vector<Seen>>& views) {
    for (const auto& view : views) {
        std::set<std::string> ids;
        for (std::size_t k = 0; k < view.size(); ++k) {
            CPPUNIT_ASSERT_MESSAGE("twice: " + view[k].id, ids.insert(view[k].id).second);
            if (k) CPPUNIT_ASSERT(view[k - 1].seq < view[k].seq);
        }
    }
    for (std::size_t v = 1; v < views.size(); ++v) {
        CPPUNIT_ASSERT_EQUAL(views[0].size(), views[v].size());
        for (std::size_t k = 0; k < views[0].size(); ++k) {
            CPPUNIT_ASSERT_EQUAL(views[0][k].id, views[v][k].id);
            CPPUNIT_ASSERT_EQUAL(views[0][k].seq, views[v][k].seq);
        }
    }
}

} // namespace

class ClusterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ClusterTest);
    CPPUNIT_TEST(testEveryHostSeesEveryEventOnceInOneOrder);
    CPPUNIT_TEST(testClientResumesOnAnotherHost);
    CPPUNIT_TEST(testNatsRestartedMidStreamLosesNothingAcknowledged);
    CPPUNIT_TEST(testStoppedHostCatchesUp);
    CPPUNIT_TEST(testEachServerHasOneOwnerAndMovesWhenItsHostIsKilled);
    CPPUNIT_TEST(testMcpOnEveryHostOffersEveryServer);
    CPPUNIT_TEST(testOnlyTheLeaderConnectsWhatDiscoveryFinds);
    CPPUNIT_TEST(testStartupRefusesAMissingBus);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryHostSeesEveryEventOnceInOneOrder() {
        Cluster cluster("fanout");
        std::vector<std::unique_ptr<Viewer>> viewers;
        for (auto port : cluster.ports) viewers.push_back(std::make_unique<Viewer>(port));
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // subscribed
        // Two sources at once, on two hosts.
        std::vector<std::string> a, b;
        std::thread onA([&] { a = cluster.ingest(0, idsOf("L-a", 100)); });
        b = cluster.ingest(1, idsOf("L-b", 100));
        onA.join();
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), a.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), b.size());
        for (auto& v : viewers) CPPUNIT_ASSERT(eventually([&] { return v->count() >= 200; }));
        std::this_thread::sleep_for(std::chrono::milliseconds(300)); // nothing more comes
        std::vector<std::vector<Seen>> views;
        for (auto& v : viewers) views.push_back(v->seen());
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), views[0].size());
        assertSameLog(views);
        // Each source's events in the order it sent them.
        CPPUNIT_ASSERT(ofSource(views[2], "L-a") == a);
        CPPUNIT_ASSERT(ofSource(views[2], "L-b") == b);
        // The epoch is the cluster's, the same on each host.
        CPPUNIT_ASSERT_EQUAL(std::string("cluster:fanout"), viewers[0]->epoch());
        CPPUNIT_ASSERT_EQUAL(viewers[0]->epoch(), viewers[2]->epoch());
        // Stored once (one PostgreSQL), readable from any host.
        const auto page = httpGet(cluster.ports[2], "/api/logs?service=cluster&limit=1000").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), page->getArray("items")->size());
        const auto log = cluster.cluster(1)->getObject("log");
        CPPUNIT_ASSERT_EQUAL(0, log->getValue<int>("malformed"));
        CPPUNIT_ASSERT_EQUAL(0, log->getValue<int>("refused"));
    }

    void testClientResumesOnAnotherHost() {
        Cluster cluster("resume");
        std::uint64_t lastSeq = 0;
        std::string epoch;
        {
            Viewer first(cluster.ports[0]);
            epoch = first.epoch();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            cluster.ingest(1, idsOf("L-early", 30));
            CPPUNIT_ASSERT(eventually([&] { return first.count() == 30; }));
            lastSeq = first.seen().back().seq;
        } // the client goes away
        const auto missed = cluster.ingest(1, idsOf("L-missed", 40));
        CPPUNIT_ASSERT_EQUAL(std::size_t(40), missed.size());
        // It comes back to another host: exactly what it missed, in order, then live events.
        Viewer back(cluster.ports[2], R"({"type":"resume","last_seq":)" + std::to_string(lastSeq) + R"(,"epoch":")" + epoch +
                                          R"(","channels":["logs:*"]})");
        CPPUNIT_ASSERT(eventually([&] { return back.count() == 40; }));
        const auto live = cluster.ingest(0, idsOf("L-live", 5));
        CPPUNIT_ASSERT(eventually([&] { return back.count() == 45; }));
        const auto seen = back.seen();
        CPPUNIT_ASSERT(ofSource(seen, "L-missed") == missed);
        CPPUNIT_ASSERT(ofSource(seen, "L-live") == live);
        CPPUNIT_ASSERT(ofSource(seen, "L-early").empty());
        CPPUNIT_ASSERT_EQUAL(lastSeq + 1, seen.front().seq);
        const auto others = back.others();
        CPPUNIT_ASSERT(std::find(others.begin(), others.end(), "resumed") != others.end());
        CPPUNIT_ASSERT(std::find(others.begin(), others.end(), "resume_gap") == others.end());
    }

    void testNatsRestartedMidStreamLosesNothingAcknowledged() {
        Cluster cluster("restart");
        std::vector<std::unique_ptr<Viewer>> viewers;
        for (auto port : cluster.ports) viewers.push_back(std::make_unique<Viewer>(port));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        // The source ingests a batch every 20 ms until told to stop; the test waits for counts, not for
        // time, so a slow machine (CI, a sanitizer build) goes through the same three phases: before,
        // during and after the outage.
        std::atomic<bool> stop{false};
        std::atomic<std::size_t> count{0};
        std::vector<std::string> acknowledged; // the source's until it is joined
        std::thread source([&] {
            for (int batch = 0; !stop; ++batch) {
                const auto ok = cluster.ingest(0, idsOf("L-r" + std::to_string(batch), 10));
                acknowledged.insert(acknowledged.end(), ok.begin(), ok.end());
                count = acknowledged.size();
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
        const bool before = eventually([&] { return count >= 100; }, 30000);
        const std::size_t atStop = count;
        cluster.nats.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(1500)); // ingest goes on meanwhile
        const std::size_t atRestart = count;
        cluster.nats.start();
        const bool after = eventually([&] { return count >= atRestart + 100; }, 30000);
        stop = true;
        source.join();
        CPPUNIT_ASSERT_MESSAGE("acknowledged before the outage: " + std::to_string(atStop), before);
        CPPUNIT_ASSERT_MESSAGE("acknowledged after the restart: " + std::to_string(acknowledged.size() - atRestart), after);
        for (auto& v : viewers)
            CPPUNIT_ASSERT_MESSAGE(std::to_string(v->count()) + " of " + std::to_string(acknowledged.size()),
                                   eventually([&] { return v->count() >= acknowledged.size(); }, 30000));
        std::vector<std::vector<Seen>> views;
        for (auto& v : viewers) views.push_back(v->seen());
        assertSameLog(views);
        std::set<std::string> seen;
        for (const auto& s : views[0]) seen.insert(s.id);
        for (const auto& id : acknowledged) CPPUNIT_ASSERT_MESSAGE("not delivered: " + id, seen.count(id) == 1);
        // One source, in its order (what differs first, when not).
        const auto delivered = ofSource(views[1], "L-r");
        std::size_t same = 0;
        while (same < delivered.size() && same < acknowledged.size() && delivered[same] == acknowledged[same]) ++same;
        CPPUNIT_ASSERT_MESSAGE("from #" + std::to_string(same) + ": delivered " + (same < delivered.size() ? delivered[same] : "-") +
                                   ", acknowledged " + (same < acknowledged.size() ? acknowledged[same] : "-"),
                               delivered == acknowledged);
    }

    void testStoppedHostCatchesUp() {
        Cluster cluster("pause");
        std::vector<std::unique_ptr<Viewer>> viewers;
        for (auto port : cluster.ports) viewers.push_back(std::make_unique<Viewer>(port));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cluster.ingest(0, idsOf("L-before", 10));
        for (auto& v : viewers) CPPUNIT_ASSERT(eventually([&] { return v->count() == 10; }));
        // Host 3 is cut off (stopped); the others go on and say it is gone.
        ::kill(cluster.hosts[2]->pid(), SIGSTOP);
        const auto during = cluster.ingest(0, idsOf("L-during", 50));
        CPPUNIT_ASSERT(eventually([&] { return viewers[0]->count() == 60 && viewers[1]->count() == 60; }));
        CPPUNIT_ASSERT(eventually([&] { return cluster.upMembers(0) == 2; }));
        ::kill(cluster.hosts[2]->pid(), SIGCONT);
        // Back: it delivers what it missed, in the log's order, and is a member again.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(viewers[2]->count()), eventually([&] { return viewers[2]->count() == 60; }, 30000));
        const auto after = cluster.ingest(1, idsOf("L-after", 5));
        for (auto& v : viewers) CPPUNIT_ASSERT(eventually([&] { return v->count() == 65; }));
        std::vector<std::vector<Seen>> views;
        for (auto& v : viewers) views.push_back(v->seen());
        assertSameLog(views);
        CPPUNIT_ASSERT(ofSource(views[2], "L-during") == during);
        CPPUNIT_ASSERT(eventually([&] { return cluster.upMembers(0) == 3; }));
    }

    // Two configured MCP servers (the real server-everything over stdio) on three hosts: each is
    // connected by exactly one host; a tool call on any host reaches it (forwarded over the bus when
    // another host owns it); kill -9 of an owner moves its server to a survivor within the lease, calls
    // work again, and nothing the killed host acknowledged is lost from the store.
    void testEachServerHasOneOwnerAndMovesWhenItsHostIsKilled() {
        auto servers = everythingServers({"alpha", "beta"});
        servers.push_back("-Dcluster.lease_ms=1500");
        Cluster cluster("owners", servers);
        const std::vector<std::size_t> all{0, 1, 2};
        int alpha = -1, beta = -1;
        CPPUNIT_ASSERT(eventually([&] { return (alpha = cluster.agreedOwner("alpha", all)) >= 0 && (beta = cluster.agreedOwner("beta", all)) >= 0; }, 30000));
        // Spread: with three hosts and two servers, no host takes both.
        CPPUNIT_ASSERT(alpha != beta);
        // A call on a host that does not own alpha is forwarded to the one that does.
        const std::size_t caller = static_cast<std::size_t>((alpha + 1) % 3) == static_cast<std::size_t>(beta)
                                       ? static_cast<std::size_t>((alpha + 2) % 3)
                                       : static_cast<std::size_t>((alpha + 1) % 3);
        const auto call = [&](std::size_t host, const std::string& id) {
            return httpRequest("POST", cluster.ports[host], "/api/mcps/" + id + "/tools/echo/call",
                               R"({"arguments":{"message":"hi from )" + std::to_string(host) + R"("},"thread_id":"T-cluster"})", kJson);
        };
        auto r = call(caller, "alpha");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("hi from " + std::to_string(caller)) != std::string::npos);
        CPPUNIT_ASSERT(cluster.cluster(caller)->getObject("calls")->getValue<int>("forwarded") >= 1);
        CPPUNIT_ASSERT(cluster.cluster(static_cast<std::size_t>(alpha))->getObject("calls")->getValue<int>("served") >= 1);
        // Logs ingested on alpha's owner until it is killed: what it acknowledged is in the store.
        std::vector<std::string> acknowledged;
        std::atomic<bool> stop{false};
        std::thread ingest([&] {
            for (int batch = 0; !stop; ++batch) {
                try {
                    const auto ok = cluster.ingest(static_cast<std::size_t>(alpha), idsOf("L-k" + std::to_string(batch), 10));
                    acknowledged.insert(acknowledged.end(), ok.begin(), ok.end());
                } catch (const std::exception&) {
                    return; // the host is gone
                }
            }
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const auto killed = std::chrono::steady_clock::now();
        cluster.hosts[static_cast<std::size_t>(alpha)]->kill();
        std::vector<std::size_t> live;
        for (std::size_t i : all)
            if (static_cast<int>(i) != alpha) live.push_back(i);
        int moved = -1;
        CPPUNIT_ASSERT(eventually([&] { return (moved = cluster.agreedOwner("alpha", live)) >= 0; }, 30000));
        const double failoverSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
        stop = true;
        ingest.join();
        std::printf("\n[cluster] alpha moved from h%d to h%d %.1f s after kill -9 (lease 1.5 s); %zu logs acknowledged by the killed host\n",
                    alpha + 1, moved + 1, failoverSeconds, acknowledged.size());
        CPPUNIT_ASSERT(moved != alpha);
        CPPUNIT_ASSERT(failoverSeconds < 15.0);
        // Calls work again, from either survivor.
        for (std::size_t i : live) {
            r = call(i, "alpha");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        }
        // beta was not disturbed (unless it was the killed host's too, which the spread rules out).
        CPPUNIT_ASSERT_EQUAL(beta, cluster.agreedOwner("beta", live));
        // Nothing acknowledged is lost: the store (shared) has every log the killed host acknowledged.
        CPPUNIT_ASSERT(acknowledged.size() >= 20);
        std::set<std::string> stored;
        for (const auto& prefix : {std::string("L-k")}) {
            std::string cursor;
            for (;;) {
                const auto page = httpGet(cluster.ports[live.front()], "/api/logs?service=cluster&limit=1000" +
                                                                           (cursor.empty() ? "" : "&cursor=" + cursor)).json();
                const auto items = page->getArray("items");
                for (std::size_t k = 0; k < items->size(); ++k)
                    stored.insert(items->getObject(static_cast<unsigned>(k))->getValue<std::string>("id"));
                if (page->isNull("next_cursor")) break;
                cursor = page->getValue<std::string>("next_cursor");
            }
            (void)prefix;
        }
        for (const auto& id : acknowledged) CPPUNIT_ASSERT_MESSAGE("lost: " + id, stored.count(id) == 1);
    }

    // An agent on any host's /mcp sees the tools, resources and prompts of a server another host
    // connects (the owner's catalog mirrored through the heartbeats' stamps), and its call, read and
    // prompt go to the owner; both SDK generations and both eras. When the owner is killed, the
    // server's lists come from its new owner.
    void testMcpOnEveryHostOffersEveryServer() {
        auto options = everythingServers({"alpha"});
        options.push_back("-Dcluster.lease_ms=1500");
        options.push_back("-Dmcp.endpoint.enabled=true");
        Cluster cluster("catalogs", options);
        const std::vector<std::size_t> all{0, 1, 2};
        int owner = -1;
        CPPUNIT_ASSERT(eventually([&] { return (owner = cluster.agreedOwner("alpha", all)) >= 0; }, 30000));
        const std::string features = "mission-control://alpha/demo://resource/static/document/features.md";
        // What an agent of `sdk` sees and gets on host i's /mcp (once alpha's tools are offered there).
        auto tour = [&](std::size_t i, const std::string& sdk) {
            const std::string url = "http://127.0.0.1:" + std::to_string(cluster.ports[i]) + "/mcp";
            Poco::JSON::Object::Ptr out;
            std::string last;
            const bool offered = eventually([&] {
                const auto ran = mc::test::runProgram(
                    "node", {"mcp-tour.mjs", "--sdk", sdk, "--url", url, "--call", "alpha__echo", "--args",
                             R"({"message":"via h)" + std::to_string(i + 1) + R"("})", "--read", features, "--prompt",
                             "alpha__args-prompt", "--prompt-args", R"({"city":"Oslo"})"});
                last = ran.out;
                if (ran.status != 0) return false;
                out = Poco::JSON::Parser().parse(ran.out).extract<Poco::JSON::Object::Ptr>();
                return true;
            }, 20000);
            CPPUNIT_ASSERT_MESSAGE(sdk + " on h" + std::to_string(i + 1) + ": " + last, offered);
            CPPUNIT_ASSERT_MESSAGE(last, listed(out->getArray("tools"), "alpha__echo"));
            CPPUNIT_ASSERT_MESSAGE(last, listed(out->getArray("resources"), features));
            CPPUNIT_ASSERT_MESSAGE(last, listed(out->getArray("prompts"), "alpha__simple-prompt"));
            CPPUNIT_ASSERT_EQUAL(std::string("Echo: via h") + std::to_string(i + 1),
                                 out->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
            CPPUNIT_ASSERT_EQUAL(features, out->getArray("read")->getObject(0)->getValue<std::string>("uri"));
            CPPUNIT_ASSERT_EQUAL(std::string("What's weather in Oslo?"),
                                 out->getArray("prompt")->getObject(0)->getObject("content")->getValue<std::string>("text"));
        };
        std::vector<std::size_t> others;
        for (std::size_t i : all)
            if (static_cast<int>(i) != owner) others.push_back(i);
        tour(others[0], "v1");
        tour(others[1], "v2");
        for (std::size_t i : others) {
            const auto calls = cluster.cluster(i)->getObject("calls");
            CPPUNIT_ASSERT_MESSAGE(cluster.health(i), calls->getValue<int>("catalogs_mirrored") >= 1);
            CPPUNIT_ASSERT_MESSAGE(cluster.health(i), calls->getValue<int>("forwarded") >= 3); // the call, the read, the prompt
            CPPUNIT_ASSERT_EQUAL(std::string("disconnected"), mc::test::statusOf(cluster.ports[i], "alpha")); // not connected there
        }
        // The owner's own /mcp offers it as connected there.
        tour(static_cast<std::size_t>(owner), "v1");

        cluster.hosts[static_cast<std::size_t>(owner)]->kill();
        int moved = -1;
        CPPUNIT_ASSERT(eventually([&] { return (moved = cluster.agreedOwner("alpha", others)) >= 0; }, 30000));
        const std::size_t survivor = others[0] == static_cast<std::size_t>(moved) ? others[1] : others[0];
        tour(survivor, "v2");

        // An owner that does not answer (stopped): a call forwarded to it ends after its timeout and
        // 5 s more, saying which host did not answer.
        const std::string newOwner = "h" + std::to_string(moved + 1);
        ::kill(cluster.hosts[static_cast<std::size_t>(moved)]->pid(), SIGSTOP);
        const auto late = httpRequest("POST", cluster.ports[survivor], "/api/mcps/alpha/tools/echo/call",
                                      R"({"arguments":{"message":"late"},"timeout_ms":500})", kJson);
        ::kill(cluster.hosts[static_cast<std::size_t>(moved)]->pid(), SIGCONT);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(late.body, 504, late.status);
        CPPUNIT_ASSERT_MESSAGE(late.body, late.body.find("host '" + newOwner + "' did not answer the forwarded call in time") != std::string::npos);
        CPPUNIT_ASSERT(cluster.cluster(survivor)->getObject("calls")->getValue<int>("timed_out") >= 1);
    }

    // Every host runs discovery (here a Claude Desktop config file listing server-everything), but only
    // the leader connects what it finds; the others list it, saying why. When the leader stops, another
    // host leads and connects it.
    void testOnlyTheLeaderConnectsWhatDiscoveryFinds() {
        mc::test::TempDir dir;
        dir.write("claude_desktop_config.json", "{\"mcpServers\":{\"Everything Local\":{\"command\":\"node\",\"args\":[\"" +
                                                    mc::test::everythingServerScript() + "\",\"stdio\"]}}}");
        Cluster cluster("leader", {"-Ddiscovery.files.paths=" + dir.file("claude_desktop_config.json"),
                                   "-Ddiscovery.files.policy=auto-connect", "-Ddiscovery.files.poll_interval_ms=100",
                                   "-Ddiscovery.registry.enabled=false", "-Dcluster.lease_ms=1500"});
        const auto leaderOn = [&](std::size_t i) {
            try {
                const auto o = cluster.cluster(i)->getObject("ownership");
                return o->isNull("leader") ? std::string() : o->getValue<std::string>("leader");
            } catch (const std::exception&) {
                return std::string();
            }
        };
        const auto connectedOn = [&](std::size_t i) { return mc::test::statusOf(cluster.ports[i], "everything-local") == "connected"; };
        int leader = -1;
        CPPUNIT_ASSERT(eventually([&] {
            const std::string l = leaderOn(0);
            if (l.empty() || leaderOn(1) != l || leaderOn(2) != l) return false;
            leader = l.back() - '1';
            return connectedOn(static_cast<std::size_t>(leader));
        }));
        for (std::size_t i = 0; i < 3; ++i) {
            if (static_cast<int>(i) == leader) continue;
            CPPUNIT_ASSERT_EQUAL(std::string("absent"), mc::test::statusOf(cluster.ports[i], "everything-local"));
            const std::string report = httpGet(cluster.ports[i], "/api/discovery").body;
            CPPUNIT_ASSERT_MESSAGE(report, report.find("another host of the cluster connects what discovery finds") != std::string::npos);
        }
        cluster.hosts[static_cast<std::size_t>(leader)]->terminate(); // a clean stop releases the leader lease
        CPPUNIT_ASSERT(cluster.hosts[static_cast<std::size_t>(leader)]->waitExit(20000) == 0);
        std::vector<std::size_t> live;
        for (std::size_t i = 0; i < 3; ++i)
            if (static_cast<int>(i) != leader) live.push_back(i);
        int next = -1;
        CPPUNIT_ASSERT(eventually([&] {
            const std::string l = leaderOn(live[0]);
            if (l.empty() || leaderOn(live[1]) != l || l == "h" + std::to_string(leader + 1)) return false;
            next = l.back() - '1';
            return connectedOn(static_cast<std::size_t>(next));
        }));
        for (std::size_t i : live)
            if (static_cast<int>(i) != next) CPPUNIT_ASSERT(!connectedOn(i));
    }

    void testStartupRefusesAMissingBus() {
        const unsigned short port = mc::test::freePort();
        HostProcess host({"-Dhttp.port=" + std::to_string(port), "-Dcluster.enabled=true", "-Dcluster.bus=kafka"});
        CPPUNIT_ASSERT(host.waitExit(20000) != 0);
        const std::string out = host.output();
        CPPUNIT_ASSERT_MESSAGE(out, out.find("cluster.enabled = true, but no bus plugin serves cluster.bus = kafka (keys under "
                                             "bus.kafka); loaded bus plugins: bus-nats") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterTest);
