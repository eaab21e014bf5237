// bus-nats's built .so in the SDK's fake host against a real nats-server (Debian's, JetStream on, on
// loopback): the log's order and numbering seen by two instances, a catch-up from a position, entry
// ids kept once, appends made while NATS is away delivered after it is back, appends across restarts
// kept in their order, a stream deleted under the bus (after a pause and under a writer), an entry larger
// than NATS takes, messages with queue groups and replies, unsubscribe, the subject rules, and the
// configuration's refusals.
#include "NatsServer.h"
#include "Subjects.h"

#include <mc/sdk_test.hpp>

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

using mc::sdk::test::FakeHost;
using mc::sdk::test::Instance;
using mc::test::NatsServer;
using namespace std::chrono_literals;

namespace {

std::string pluginPath() { return std::string(MC_TEST_PLUGIN_DIR) + "/bus-nats.so"; }

// A started instance on `nats`, under its own prefix and stream (tests share nothing).
std::unique_ptr<Instance> startBus(const FakeHost& host, const NatsServer& nats, const std::string& name,
                                   std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> props{{"servers", nats.url()}, {"prefix", "t." + name}, {"stream", "T_" + name},
                                             {"ack_timeout_ms", "500"}, {"reconnect_wait_ms", "50"}};
    for (auto& [k, v] : extra) props[k] = v;
    auto bus = host.create(props);
    CPPUNIT_ASSERT_MESSAGE(bus->created().error, bus->created().ok());
    const auto started = bus->start();
    CPPUNIT_ASSERT_MESSAGE(started.error, started.ok());
    return bus;
}

std::string payloads(const std::vector<mc::sdk::test::BusEntryRecord>& entries) {
    std::string out;
    for (const auto& e : entries) out += (out.empty() ? "" : ",") + e.payload;
    return out;
}

// Waits until the instance's details contain `part`; `details` keeps the last seen, for a failure's message.
bool describes(Instance& bus, const std::string& part, std::chrono::milliseconds timeout, std::string& details) {
    return bus.waitFor([&] {
        details = bus.describe().output;
        return details.find(part) != std::string::npos;
    }, timeout);
}

bool following(Instance& bus) {
    const auto d = bus.describe();
    return d.ok() && d.output.find("\"following\":true") != std::string::npos;
}

// Appends "p0", "p1", ... (entry ids "0", "1", ...) on its own thread until finished; `pace` runs after
// each append with the number made so far. The first refusal ends it (failed() says why).
class Writer {
public:
    Writer(Instance& bus, std::function<void(int)> pace)
        : thread_([this, &bus, pace = std::move(pace)] {
              while (!done_) {
                  const int i = appended_;
                  if (auto c = bus.append(std::to_string(i), "p" + std::to_string(i)); !c.ok()) {
                      failed_ = c.error;
                      return;
                  }
                  pace(++appended_);
              }
          }) {}
    ~Writer() { finish(); }
    // Stops it; the number of appends it made.
    int finish() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
        return appended_;
    }
    const std::string& failed() const { return failed_; } // after finish()

private:
    std::atomic<bool> done_{false};
    std::atomic<int> appended_{0};
    std::string failed_;
    std::thread thread_; // last: starts once the rest is made
};

} // namespace

class NatsBusPluginTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NatsBusPluginTest);
    CPPUNIT_TEST(testDescriptor);
    CPPUNIT_TEST(testConfigurationRefusals);
    CPPUNIT_TEST(testSubjectRules);
    CPPUNIT_TEST(testTwoFollowersSeeOneLogInOrder);
    CPPUNIT_TEST(testFollowAfterCatchesUp);
    CPPUNIT_TEST(testAnEntryIdIsKeptOnce);
    CPPUNIT_TEST(testAppendsWhileNatsIsAwayArriveAfter);
    CPPUNIT_TEST(testAppendsAcrossRestartsKeepTheirOrder);
    CPPUNIT_TEST(testAStreamDeletedUnderTheBusIsSetUpAgainInOrder);
    CPPUNIT_TEST(testAStreamDeletedUnderAWriterKeepsItsOrder);
    CPPUNIT_TEST(testAnEntryLargerThanNatsTakesIsRefused);
    CPPUNIT_TEST(testMessagesQueueGroupsAndReplies);
    CPPUNIT_TEST(testUnsubscribeEndsDeliveries);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDescriptor() {
        FakeHost host(pluginPath());
        const auto problems = host.problems();
        CPPUNIT_ASSERT_MESSAGE(problems.empty() ? "" : problems.front(), problems.empty());
        CPPUNIT_ASSERT_EQUAL(MC_KIND_BUS, host.descriptor().kind);
        CPPUNIT_ASSERT_EQUAL(std::string("bus.nats"), std::string(host.descriptor().config_prefix.ptr, host.descriptor().config_prefix.len));
    }

    void testConfigurationRefusals() {
        FakeHost host(pluginPath());
        const auto refused = [&](std::map<std::string, std::string> props, const std::string& expected) {
            auto bus = host.create(props);
            CPPUNIT_ASSERT(!bus->created().ok());
            CPPUNIT_ASSERT_EQUAL(MC_ERR_CONFIG, bus->created().status);
            CPPUNIT_ASSERT_MESSAGE(bus->created().error, bus->created().error.find(expected) != std::string::npos);
        };
        refused({{"servers", "http://127.0.0.1:4222"}}, "servers = 'http://127.0.0.1:4222': expected a nats:// or tls:// URL");
        refused({{"prefix", "mc..x"}}, "prefix = 'mc..x': expected dot-separated tokens");
        refused({{"stream", "MC.EVENTS"}}, "stream = 'MC.EVENTS': expected letters, digits, _ and -");
        refused({{"password", "secret"}}, "password is set but user is not");
        refused({{"storage", "disk"}}, "storage");
    }

    void testSubjectRules() {
        using namespace mc::bus_nats;
        CPPUNIT_ASSERT(validSubject("rpc.host-a"));
        CPPUNIT_ASSERT(validSubject("tool.server_1.call"));
        CPPUNIT_ASSERT(!validSubject(""));
        CPPUNIT_ASSERT(!validSubject("a..b"));
        CPPUNIT_ASSERT(!validSubject(".a"));
        CPPUNIT_ASSERT(!validSubject("a."));
        CPPUNIT_ASSERT(!validSubject("a b"));
        CPPUNIT_ASSERT(!validSubject("a.*"));
        CPPUNIT_ASSERT(validSubject("a.*", true));
        CPPUNIT_ASSERT(validSubject("a.>", true));
        CPPUNIT_ASSERT(!validSubject("a.>.b", true));
        CPPUNIT_ASSERT(!validSubject(std::string(256, 'a')));
        CPPUNIT_ASSERT_EQUAL(std::string("mc.rpc.a"), qualified("mc", "rpc.a"));
        CPPUNIT_ASSERT_THROW(qualified("mc", "rpc..a"), std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(std::string("rpc.a"), std::string(unqualified("mc", "mc.rpc.a")));
        CPPUNIT_ASSERT_EQUAL(std::string(), std::string(unqualified("mc", "mcx.rpc.a")));
        CPPUNIT_ASSERT_EQUAL(std::string(), std::string(unqualified("mc", "mc")));
    }

    void testTwoFollowersSeeOneLogInOrder() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto a = startBus(host, nats, "order");
        auto b = startBus(host, nats, "order");
        CPPUNIT_ASSERT(a->follow(MC_BUS_FOLLOW_NEW).ok());
        CPPUNIT_ASSERT(b->follow(MC_BUS_FOLLOW_NEW).ok());
        CPPUNIT_ASSERT(a->waitFor([&] { return following(*a) && following(*b); }, 10s));
        // Two writers interleave; each one's entries stay in its order, and both followers see one log.
        std::string failedA, failedB;
        std::thread writerA([&] {
            for (int i = 0; i < 200; ++i)
                if (auto c = a->append("a-" + std::to_string(i), "a" + std::to_string(i)); !c.ok()) failedA = c.error;
        });
        for (int i = 0; i < 200; ++i)
            if (auto c = b->append("b-" + std::to_string(i), "b" + std::to_string(i)); !c.ok()) failedB = c.error;
        writerA.join();
        CPPUNIT_ASSERT_EQUAL(std::string(), failedA + failedB);
        CPPUNIT_ASSERT(a->waitFor([&] { return a->busEntries().size() == 400 && b->busEntries().size() == 400; }, 15s));
        const auto seenA = a->busEntries();
        const auto seenB = b->busEntries();
        CPPUNIT_ASSERT_EQUAL(payloads(seenA), payloads(seenB));
        for (std::size_t i = 0; i < seenA.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(seenA[i].seq, seenB[i].seq);
            CPPUNIT_ASSERT_EQUAL(std::uint64_t(i + 1), seenA[i].seq); // a new stream numbers from 1, no gap
        }
        int nextA = 0, nextB = 0;
        for (const auto& e : seenA) {
            if (e.payload[0] == 'a') CPPUNIT_ASSERT_EQUAL("a" + std::to_string(nextA++), e.payload);
            else CPPUNIT_ASSERT_EQUAL("b" + std::to_string(nextB++), e.payload);
        }
        CPPUNIT_ASSERT(a->violations().empty());
        CPPUNIT_ASSERT(b->violations().empty());
        // The stream's acknowledgement of the last append may come after its entry reached the followers.
        std::string details;
        { const bool described = describes(*a, "\"acknowledged\":200", 5s, details); CPPUNIT_ASSERT_MESSAGE(details, described); }
        CPPUNIT_ASSERT_MESSAGE(details, details.find("\"last_seq\":400") != std::string::npos);
    }

    void testFollowAfterCatchesUp() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto writer = startBus(host, nats, "catchup");
        CPPUNIT_ASSERT(writer->follow(MC_BUS_FOLLOW_NEW).ok());
        CPPUNIT_ASSERT(writer->waitFor([&] { return following(*writer); }, 10s));
        for (int i = 1; i <= 10; ++i) CPPUNIT_ASSERT(writer->append("e" + std::to_string(i), "p" + std::to_string(i)).ok());
        CPPUNIT_ASSERT(writer->waitFor([&] { return writer->busEntries().size() == 10; }, 10s));
        // A host back after being away asks for what came after the last entry it had.
        auto late = startBus(host, nats, "catchup");
        CPPUNIT_ASSERT(late->follow(MC_BUS_FOLLOW_AFTER, 6).ok());
        CPPUNIT_ASSERT(late->waitFor([&] { return late->busEntries().size() == 4; }, 10s));
        CPPUNIT_ASSERT_EQUAL(std::string("p7,p8,p9,p10"), payloads(late->busEntries()));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), late->busEntries().front().seq);
        // A follower from now on sees none of them, only what comes next.
        auto fresh = startBus(host, nats, "catchup");
        CPPUNIT_ASSERT(fresh->follow(MC_BUS_FOLLOW_NEW).ok());
        CPPUNIT_ASSERT(fresh->waitFor([&] { return following(*fresh); }, 10s));
        CPPUNIT_ASSERT(writer->append("e11", "p11").ok());
        CPPUNIT_ASSERT(fresh->waitFor([&] { return fresh->busEntries().size() == 1; }, 10s));
        CPPUNIT_ASSERT_EQUAL(std::string("p11"), fresh->busEntries().front().payload);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(11), fresh->busEntries().front().seq);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_CONFLICT, fresh->follow(MC_BUS_FOLLOW_NEW).status); // once
    }

    void testAnEntryIdIsKeptOnce() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto bus = startBus(host, nats, "dedupe");
        CPPUNIT_ASSERT(bus->follow(MC_BUS_FOLLOW_NEW).ok());
        CPPUNIT_ASSERT(bus->waitFor([&] { return following(*bus); }, 10s));
        CPPUNIT_ASSERT(bus->append("same", "first").ok());
        CPPUNIT_ASSERT(bus->append("same", "again").ok());
        CPPUNIT_ASSERT(bus->append("other", "second").ok());
        CPPUNIT_ASSERT(bus->waitFor([&] { return bus->busEntries().size() == 2; }, 10s));
        std::this_thread::sleep_for(300ms); // nothing more comes
        CPPUNIT_ASSERT_EQUAL(std::string("first,second"), payloads(bus->busEntries()));
        std::string details;
        { const bool described = describes(*bus, "\"duplicates\":1", 5s, details); CPPUNIT_ASSERT_MESSAGE(details, described); }
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, bus->append("", "x").status);
    }

    void testAppendsWhileNatsIsAwayArriveAfter() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto bus = startBus(host, nats, "away");
        CPPUNIT_ASSERT(bus->follow(MC_BUS_FOLLOW_NEW).ok());
        CPPUNIT_ASSERT(bus->waitFor([&] { return following(*bus); }, 10s));
        CPPUNIT_ASSERT(bus->append("1", "before").ok());
        CPPUNIT_ASSERT(bus->waitFor([&] { return bus->busEntries().size() == 1; }, 10s));
        nats.stop();
        CPPUNIT_ASSERT(bus->waitForStatus(MC_COMPONENT_RECOVERABLE_ERROR, 10s));
        for (int i = 2; i <= 50; ++i) CPPUNIT_ASSERT(bus->append(std::to_string(i), "while-" + std::to_string(i)).ok());
        nats.start(); // the same store: the stream and its numbering go on
        CPPUNIT_ASSERT(bus->waitFor([&] { return bus->busEntries().size() == 50; }, 30s));
        const auto entries = bus->busEntries();
        for (std::size_t i = 1; i < entries.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL("while-" + std::to_string(i + 1), entries[i].payload);
            CPPUNIT_ASSERT_EQUAL(std::uint64_t(i + 1), entries[i].seq);
        }
        CPPUNIT_ASSERT(bus->violations().empty());
        CPPUNIT_ASSERT(bus->describe().output.find("\"reconnects\":1") != std::string::npos);
    }

    void testAppendsAcrossRestartsKeepTheirOrder() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto bus = startBus(host, nats, "restarts", {{"ack_timeout_ms", "100"}});
        // A writer that never pauses for long: whenever NATS goes, appends are on the wire, in libnats's
        // buffers and in the plugin's queue. Each time NATS first stops answering for longer than the
        // acknowledgement timeout (appends time out and go again while newer ones are in flight), then
        // goes. What this caught: the one append libnats let into its reconnect buffer went out first
        // on the new connection; appends that timed out went back to the queue behind newer ones put
        // back when the connection dropped; and appends lost with a connection stayed in libnats's
        // pending count until every publish stalled.
        Writer writer(*bus, [](int) { std::this_thread::sleep_for(100us); });
        for (int restart = 0; restart < 3; ++restart) {
            std::this_thread::sleep_for(400ms);
            nats.pause();
            std::this_thread::sleep_for(300ms);
            nats.resume();
            std::this_thread::sleep_for(5ms); // the timed-out appends are going out again
            if (restart == 1) nats.kill(); // a crash as well as a clean stop
            else nats.stop();
            std::this_thread::sleep_for(200ms);
            nats.start(); // the same store: the stream and its numbering go on
        }
        std::this_thread::sleep_for(400ms);
        const int total = writer.finish();
        CPPUNIT_ASSERT_EQUAL(std::string(), writer.failed());
        std::string details;
        const bool acknowledged = describes(*bus, "\"acknowledged\":" + std::to_string(total) + ",", 30s, details);
        CPPUNIT_ASSERT_MESSAGE(details, acknowledged);
        // The stream holds each append once, in the order they were made.
        auto reader = startBus(host, nats, "restarts");
        CPPUNIT_ASSERT(reader->follow(MC_BUS_FOLLOW_AFTER, 0).ok());
        const auto all = static_cast<std::size_t>(total);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(reader->busEntries().size()) + " of " + std::to_string(total),
                               reader->waitFor([&] { return reader->busEntries().size() >= all; }, 30s));
        std::this_thread::sleep_for(200ms); // nothing more comes
        const auto entries = reader->busEntries();
        CPPUNIT_ASSERT_EQUAL(all, entries.size());
        for (std::size_t i = 0; i < all; ++i) {
            const std::string expected = "p" + std::to_string(i);
            if (entries[i].payload == expected) continue;
            // Where the append went instead, and what the writer's bus went through.
            std::string where = "nowhere";
            for (const auto& e : entries)
                if (e.payload == expected) where = "entry " + std::to_string(e.seq);
            std::string warnings;
            for (const auto& line : bus->logs())
                if (line.level >= MC_LOG_WARN) warnings += "\n  " + line.message;
            CPPUNIT_FAIL("entry " + std::to_string(entries[i].seq) + " of " + std::to_string(total) + " is " + entries[i].payload +
                         ", not " + expected + " (which is " + where + "); the writer: " + bus->describe().output + warnings);
        }
        CPPUNIT_ASSERT(bus->describe().output.find("\"reconnects\":3") != std::string::npos);
    }

    void testAStreamDeletedUnderTheBusIsSetUpAgainInOrder() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto bus = startBus(host, nats, "gone");
        CPPUNIT_ASSERT(bus->append("0", "before").ok());
        std::string details;
        { const bool described = describes(*bus, "\"acknowledged\":1,", 10s, details); CPPUNIT_ASSERT_MESSAGE(details, described); }
        const auto deleted = nats.request("$JS.API.STREAM.DELETE.T_gone");
        CPPUNIT_ASSERT_MESSAGE(deleted, deleted.find("\"success\":true") != std::string::npos);
        // A burst the stream is not there for: every append is refused (no responders), and all of
        // them go out again, in their order, to the stream set up again.
        for (int i = 1; i <= 40; ++i) CPPUNIT_ASSERT(bus->append(std::to_string(i), "p" + std::to_string(i)).ok());
        { const bool described = describes(*bus, "\"acknowledged\":41,", 15s, details); CPPUNIT_ASSERT_MESSAGE(details, described); }
        CPPUNIT_ASSERT_MESSAGE(details, details.find("\"stream_ready\":true") != std::string::npos);
        CPPUNIT_ASSERT(bus->logged("the stream T_gone is gone (append: "));
        // The new stream numbers from 1 and holds the burst in its append order.
        auto reader = startBus(host, nats, "gone");
        CPPUNIT_ASSERT(reader->follow(MC_BUS_FOLLOW_AFTER, 0).ok());
        CPPUNIT_ASSERT(reader->waitFor([&] { return reader->busEntries().size() == 40; }, 10s));
        std::string expected;
        for (int i = 1; i <= 40; ++i) expected += (i > 1 ? ",p" : "p") + std::to_string(i);
        CPPUNIT_ASSERT_EQUAL(expected, payloads(reader->busEntries()));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), reader->busEntries().front().seq);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(40), reader->busEntries().back().seq);
    }

    void testAStreamDeletedUnderAWriterKeepsItsOrder() {
        NatsServer nats;
        FakeHost host(pluginPath());
        // Memory storage: nats-server 2.9's file store, deleting a stream while one of the same name is
        // created again under a writer, removed the new one's files (its appends were acknowledged, then
        // lost; later ones refused with "error opening msg block file").
        auto bus = startBus(host, nats, "deleted", {{"storage", "memory"}});
        // The stream is deleted three times under a writer that never pauses for long: refusals come
        // back while newer appends are on the wire and in the queue. What this caught: appends refused
        // after the stream was set up again went out behind newer ones (still in flight when it was,
        // their refusals came after); an answer to an earlier send of an entry was taken for its latest.
        // In bursts: many appends are in flight when the stream goes.
        Writer writer(*bus, [](int appended) {
            if (appended % 200 == 0) std::this_thread::sleep_for(2ms);
        });
        std::string deletions;
        for (int deletion = 0; deletion < 3 && deletions.empty(); ++deletion) {
            std::this_thread::sleep_for(200ms);
            // Once the bus has set the stream up again after the last deletion (it may not have yet).
            const auto deadline = std::chrono::steady_clock::now() + 10s;
            for (std::string deleted; (deleted = nats.request("$JS.API.STREAM.DELETE.T_deleted")).find("\"success\":true") == std::string::npos;) {
                if (std::chrono::steady_clock::now() > deadline) {
                    deletions = "deleting the stream: " + deleted;
                    break;
                }
                std::this_thread::sleep_for(20ms);
            }
        }
        std::this_thread::sleep_for(200ms);
        const int total = writer.finish();
        CPPUNIT_ASSERT_EQUAL(std::string(), deletions);
        CPPUNIT_ASSERT_EQUAL(std::string(), writer.failed());
        std::string details;
        { const bool described = describes(*bus, "\"in_flight\":0,", 15s, details); CPPUNIT_ASSERT_MESSAGE(details, described); }
        CPPUNIT_ASSERT_MESSAGE(details, details.find("\"queued\":0,") != std::string::npos);
        // What the last stream holds: the appends from some point on, each once, in their order, up to the last.
        auto reader = startBus(host, nats, "deleted", {{"storage", "memory"}});
        CPPUNIT_ASSERT(reader->follow(MC_BUS_FOLLOW_AFTER, 0).ok());
        const std::string last = "p" + std::to_string(total - 1);
        reader->waitFor([&] {
            const auto e = reader->busEntries();
            return !e.empty() && e.back().payload == last;
        }, 10s);
        std::this_thread::sleep_for(200ms); // nothing more comes
        const auto entries = reader->busEntries();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(entries.size()) + " entries; the reader: " + reader->describe().output + "; the writer: " + bus->describe().output,
                               entries.size() > 1);
        const int first = std::stoi(entries.front().payload.substr(1));
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const std::string expected = "p" + std::to_string(first + static_cast<int>(i));
            if (entries[i].payload != expected)
                CPPUNIT_FAIL("entry " + std::to_string(entries[i].seq) + " of " + std::to_string(entries.size()) + " is " +
                             entries[i].payload + ", not " + expected + " (" + std::to_string(total) + " appended); the writer: " +
                             bus->describe().output);
        }
        CPPUNIT_ASSERT_EQUAL(last, entries.back().payload);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), entries.front().seq);
        CPPUNIT_ASSERT(bus->logged("the stream T_deleted is gone (append: "));
    }

    void testAnEntryLargerThanNatsTakesIsRefused() {
        NatsServer nats;
        FakeHost host(pluginPath());
        const std::string big(2 * 1024 * 1024, 'x'); // nats-server takes 1 MiB by default
        {
            // Connected: the bus knows the server's limit and refuses the append itself.
            auto bus = startBus(host, nats, "big");
            CPPUNIT_ASSERT(bus->follow(MC_BUS_FOLLOW_NEW).ok());
            CPPUNIT_ASSERT(bus->waitFor([&] { return following(*bus); }, 10s));
            const auto refused = bus->append("1", big);
            CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, refused.status);
            CPPUNIT_ASSERT_EQUAL(std::string("append: the entry is 2097152 bytes; NATS takes 1048512 at most (its max_payload)"), refused.error);
            CPPUNIT_ASSERT(bus->append("2", "after").ok());
            CPPUNIT_ASSERT(bus->waitFor([&] { return bus->busEntries().size() == 1; }, 10s));
            CPPUNIT_ASSERT_EQUAL(std::string("after"), bus->busEntries().front().payload);
            CPPUNIT_ASSERT(bus->describe().output.find("\"refused\":1,") != std::string::npos);
        }
        // Appended before the bus ever reached NATS (no limit known yet): dropped when sending it, with
        // a warning, and what comes after it is not held up.
        nats.stop();
        auto early = startBus(host, nats, "big-early");
        CPPUNIT_ASSERT(early->append("3", "first").ok());
        CPPUNIT_ASSERT(early->append("4", big).ok());
        CPPUNIT_ASSERT(early->append("5", "last").ok());
        nats.start();
        auto reader = startBus(host, nats, "big-early");
        CPPUNIT_ASSERT(reader->follow(MC_BUS_FOLLOW_AFTER, 0).ok());
        CPPUNIT_ASSERT(reader->waitFor([&] { return reader->busEntries().size() == 2; }, 15s));
        CPPUNIT_ASSERT_EQUAL(std::string("first,last"), payloads(reader->busEntries()));
        CPPUNIT_ASSERT(early->logged("append: entry 4 is 2097152 bytes, more than NATS takes; dropped from the log (the host's store has it)"));
        std::string details;
        { const bool described = describes(*early, "\"acknowledged\":2,", 10s, details); CPPUNIT_ASSERT_MESSAGE(details, described); }
        CPPUNIT_ASSERT_MESSAGE(details, details.find("\"refused\":1,") != std::string::npos);
    }

    void testMessagesQueueGroupsAndReplies() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto a = startBus(host, nats, "msg");
        auto b = startBus(host, nats, "msg");
        auto caller = startBus(host, nats, "msg");
        CPPUNIT_ASSERT(a->subscribe(1, "tool.*", "owners").ok());
        CPPUNIT_ASSERT(b->subscribe(7, "tool.*", "owners").ok());
        CPPUNIT_ASSERT(caller->subscribe(3, "inbox.caller").ok());
        CPPUNIT_ASSERT_EQUAL(MC_ERR_CONFLICT, caller->subscribe(3, "inbox.other").status);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, caller->subscribe(0, "inbox.other").status);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, caller->publish("bad subject", "", "x").status);
        for (int i = 0; i < 20; ++i) CPPUNIT_ASSERT(caller->publish("tool.echo", "inbox.caller", "call-" + std::to_string(i)).ok());
        // Each call reaches exactly one member of the group, which sees the reply subject without the prefix.
        CPPUNIT_ASSERT(a->waitFor([&] { return a->busMessages().size() + b->busMessages().size() == 20; }, 10s));
        std::this_thread::sleep_for(200ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), a->busMessages().size() + b->busMessages().size());
        const auto first = a->busMessages().empty() ? b->busMessages().front() : a->busMessages().front();
        CPPUNIT_ASSERT_EQUAL(std::string("tool.echo"), first.subject);
        CPPUNIT_ASSERT_EQUAL(std::string("inbox.caller"), first.replyTo);
        Instance& owner = a->busMessages().empty() ? *b : *a;
        CPPUNIT_ASSERT(owner.publish(first.replyTo, "", "reply-to-" + first.payload).ok());
        CPPUNIT_ASSERT(caller->waitFor([&] { return caller->busMessages().size() == 1; }, 10s));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), caller->busMessages().front().subscription);
        CPPUNIT_ASSERT_EQUAL("reply-to-" + first.payload, caller->busMessages().front().payload);
        CPPUNIT_ASSERT_EQUAL(std::string(), caller->busMessages().front().replyTo);
    }

    void testUnsubscribeEndsDeliveries() {
        NatsServer nats;
        FakeHost host(pluginPath());
        auto bus = startBus(host, nats, "unsub");
        CPPUNIT_ASSERT(bus->subscribe(5, "news").ok());
        CPPUNIT_ASSERT(bus->publish("news", "", "one").ok());
        CPPUNIT_ASSERT(bus->waitFor([&] { return bus->busMessages().size() == 1; }, 10s));
        CPPUNIT_ASSERT(bus->unsubscribe(5).ok());
        CPPUNIT_ASSERT_EQUAL(MC_ERR_NOT_FOUND, bus->unsubscribe(5).status);
        CPPUNIT_ASSERT(bus->publish("news", "", "two").ok());
        std::this_thread::sleep_for(300ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus->busMessages().size());
        CPPUNIT_ASSERT(bus->violations().empty()); // the fake host flags a delivery after unsubscribe
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NatsBusPluginTest);
