// The core broadcaster: seq order, dedupe across channels, encode once, subscription bookkeeping.
#include "core/Broadcaster.h"
#include "net/FrameCodec.h"

#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace mc::host;

namespace {
struct RecordingSubscriber : BroadcastSubscriber {
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, SharedFrame>> received;
    void deliver(std::uint64_t seq, const SharedFrame& frame) override {
        std::lock_guard lock(mutex);
        received.emplace_back(seq, frame);
    }
};

Poco::JSON::Object::Ptr parseEvent(const SharedFrame& frame) {
    Poco::JSON::Parser parser;
    return parser.parse(std::string(Broadcaster::eventJson(frame))).extract<Poco::JSON::Object::Ptr>();
}
} // namespace

class BroadcasterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BroadcasterTest);
    CPPUNIT_TEST(testEventShape);
    CPPUNIT_TEST(testOnlySubscribersOfTheChannelsReceive);
    CPPUNIT_TEST(testSubscriberOfSeveralChannelsReceivesOnce);
    CPPUNIT_TEST(testEncodeOnceSharedBuffer);
    CPPUNIT_TEST(testSeqStrictlyIncreasingUnderConcurrentPublishers);
    CPPUNIT_TEST(testUnsubscribeAndUnsubscribeAll);
    CPPUNIT_TEST(testInvalidPayloadRejected);
    CPPUNIT_TEST(testStats);
    CPPUNIT_TEST(testRelayedEventsComeBackNumbered);
    CPPUNIT_TEST(testResumeFromFurtherOnSkipsWhatTheClientSaw);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEventShape() {
        Broadcaster broadcaster;
        RecordingSubscriber sub;
        broadcaster.subscribe("logs:*", &sub);
        const auto seq = broadcaster.publish("log", "{\"message\":\"hi \\\"there\\\"\",\"n\":1}", {"logs:*", "logs:mcp:x"},
                                             "transport-stdio/a");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), seq);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sub.received.size());
        const SharedFrame& frame = sub.received[0].second;
        CPPUNIT_ASSERT_EQUAL(char(0x81), (*frame)[0]); // FIN + text, unmasked
        auto event = parseEvent(frame);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), event->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(1, event->getValue<int>("seq"));
        CPPUNIT_ASSERT_EQUAL(std::string("transport-stdio/a"), event->getValue<std::string>("source"));
        const std::string ts = event->getValue<std::string>("timestamp");
        CPPUNIT_ASSERT_EQUAL(std::size_t(27), ts.size()); // 2026-11-23T20:36:01.123456Z
        CPPUNIT_ASSERT_EQUAL('Z', ts.back());
        auto channels = event->getArray("channels");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), channels->size());
        CPPUNIT_ASSERT_EQUAL(std::string("logs:mcp:x"), channels->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::string("hi \"there\""), event->getObject("payload")->getValue<std::string>("message"));
    }

    void testOnlySubscribersOfTheChannelsReceive() {
        Broadcaster broadcaster;
        RecordingSubscriber logs, threads;
        broadcaster.subscribe("logs:*", &logs);
        broadcaster.subscribe("threads", &threads);
        broadcaster.publish("log", "{}", {"logs:*"});
        broadcaster.publish("thread", "{}", {"threads", "threads:t1"});
        broadcaster.publish("other", "{}", {"events:other"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.received.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), logs.received[0].first);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), threads.received.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), threads.received[0].first);
    }

    void testSubscriberOfSeveralChannelsReceivesOnce() {
        Broadcaster broadcaster;
        RecordingSubscriber sub, other;
        broadcaster.subscribe("logs:*", &sub);
        broadcaster.subscribe("logs:t1", &sub);
        broadcaster.subscribe("logs:ERROR", &sub);
        broadcaster.subscribe("logs:ERROR", &other);
        broadcaster.publish("log", "{}", {"logs:*", "logs:t1", "logs:mcp:m", "logs:ERROR"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sub.received.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), other.received.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), broadcaster.stats().deliveries);
    }

    void testEncodeOnceSharedBuffer() {
        Broadcaster broadcaster;
        RecordingSubscriber a, b, c;
        for (auto* s : {&a, &b, &c}) broadcaster.subscribe("mcps", s);
        broadcaster.publish("mcp", "{\"id\":\"m1\"}", {"mcps"});
        const std::string* pointer = a.received.at(0).second.get();
        CPPUNIT_ASSERT(pointer == b.received.at(0).second.get());
        CPPUNIT_ASSERT(pointer == c.received.at(0).second.get());
        // Three queues plus nobody else hold it: the broadcaster kept no copy.
        CPPUNIT_ASSERT_EQUAL(3L, a.received[0].second.use_count());
    }

    void testSeqStrictlyIncreasingUnderConcurrentPublishers() {
        Broadcaster broadcaster;
        RecordingSubscriber x, y;
        broadcaster.subscribe("logs:*", &x);
        broadcaster.subscribe("logs:*", &y);
        broadcaster.subscribe("threads", &y);
        constexpr int kThreads = 4, kEach = 2000;
        std::vector<std::thread> publishers;
        for (int t = 0; t < kThreads; ++t)
            publishers.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i)
                    broadcaster.publish("log", "{}", t % 2 ? std::vector<std::string>{"logs:*"}
                                                           : std::vector<std::string>{"logs:*", "threads"});
            });
        for (auto& p : publishers) p.join();
        for (auto* sub : {&x, &y}) {
            CPPUNIT_ASSERT_EQUAL(std::size_t(kThreads * kEach), sub->received.size());
            for (std::size_t i = 1; i < sub->received.size(); ++i)
                CPPUNIT_ASSERT(sub->received[i].first > sub->received[i - 1].first);
            // The seq inside the JSON is the one delivered.
            auto last = parseEvent(sub->received.back().second);
            CPPUNIT_ASSERT_EQUAL(sub->received.back().first, last->getValue<std::uint64_t>("seq"));
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(kThreads * kEach), broadcaster.stats().lastSeq);
    }

    void testUnsubscribeAndUnsubscribeAll() {
        Broadcaster broadcaster;
        RecordingSubscriber sub;
        CPPUNIT_ASSERT(broadcaster.subscribe("a", &sub));
        CPPUNIT_ASSERT(!broadcaster.subscribe("a", &sub)); // already
        CPPUNIT_ASSERT(broadcaster.subscribe("b", &sub));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), broadcaster.subscriptionCount(&sub));
        CPPUNIT_ASSERT(broadcaster.unsubscribe("a", &sub));
        CPPUNIT_ASSERT(!broadcaster.unsubscribe("a", &sub));
        broadcaster.publish("x", "{}", {"a"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sub.received.size());
        broadcaster.unsubscribeAll(&sub);
        broadcaster.publish("x", "{}", {"b"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sub.received.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), broadcaster.stats().channels);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), broadcaster.subscriberCount("b"));
    }

    void testInvalidPayloadRejected() {
        Broadcaster broadcaster;
        CPPUNIT_ASSERT_THROW(broadcaster.publish("log", "[1,2]", {"logs:*"}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(broadcaster.publish("log", "", {"logs:*"}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(broadcaster.publish("", "{}", {"logs:*"}), std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), broadcaster.stats().published);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), broadcaster.publish("log", "  {}\n", {"logs:*"}));
    }

    void testStats() {
        Broadcaster broadcaster;
        RecordingSubscriber a, b;
        broadcaster.subscribe("logs:*", &a);
        broadcaster.subscribe("logs:*", &b);
        broadcaster.subscribe("mcps", &b);
        broadcaster.publish("log", "{}", {"logs:*"});
        broadcaster.publish("log", "{}", {"nobody"});
        auto stats = broadcaster.stats();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), stats.published);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), stats.lastSeq);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), stats.deliveries);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), stats.channels);
    }

    // Cluster mode: publish hands the event to the relay cut where the seq goes; the log's number
    // comes back through publishNumbered, which delivers each seq once and in increasing order.
    void testRelayedEventsComeBackNumbered() {
        Broadcaster broadcaster;
        broadcaster.setHistoryLimits(100, 1 << 20);
        RecordingSubscriber sub;
        broadcaster.subscribe("logs:*", &sub);
        struct Cut {
            std::string head, tail;
            std::vector<std::string> channels;
        };
        std::vector<Cut> relayed;
        broadcaster.setRelay([&](std::string_view head, std::string_view tail, const std::vector<std::string>& channels) {
            relayed.push_back(Cut{std::string(head), std::string(tail), channels});
        });
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), broadcaster.publish("log", "{\"n\":1}", {"logs:*"}, "ingest"));
        CPPUNIT_ASSERT(sub.received.empty()); // nothing before the log numbers it
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), relayed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"log\",\"seq\":"), relayed[0].head);
        CPPUNIT_ASSERT(relayed[0].tail.rfind(",\"timestamp\":", 0) == 0);
        // The cluster's first event this host sees is number 41: earlier ones are not replayable here.
        CPPUNIT_ASSERT(broadcaster.publishNumbered(41, relayed[0].head, relayed[0].tail, relayed[0].channels));
        CPPUNIT_ASSERT(!broadcaster.publishNumbered(41, relayed[0].head, relayed[0].tail, relayed[0].channels));
        CPPUNIT_ASSERT(!broadcaster.publishNumbered(7, relayed[0].head, relayed[0].tail, relayed[0].channels));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sub.received.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(41), sub.received[0].first);
        auto event = parseEvent(sub.received[0].second);
        CPPUNIT_ASSERT_EQUAL(41, event->getValue<int>("seq"));
        CPPUNIT_ASSERT_EQUAL(1, event->getObject("payload")->getValue<int>("n"));
        RecordingSubscriber late;
        const auto outcome = broadcaster.resume(&late, {"logs:*"}, 30, 100, nullptr, nullptr);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(31), outcome.gapFrom);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(40), outcome.gapTo);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), outcome.replayed);
        // Without a relay, publishing numbers locally again, after the last number.
        broadcaster.setRelay(nullptr);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), broadcaster.publish("log", "{}", {"logs:*"}));
    }

    // A client that resumes here from a host further on (last_seq above this host's) gets nothing
    // twice: events up to its last_seq are skipped for it, later ones delivered.
    void testResumeFromFurtherOnSkipsWhatTheClientSaw() {
        Broadcaster broadcaster;
        broadcaster.setHistoryLimits(100, 1 << 20);
        const std::string head = "{\"type\":\"log\",\"seq\":";
        const std::string tail = ",\"timestamp\":\"2026-12-04T00:00:00.000000Z\",\"source\":\"h\",\"channels\":[],\"payload\":{}}";
        CPPUNIT_ASSERT(broadcaster.publishNumbered(10, head, tail, {"logs:*"}));
        RecordingSubscriber client, other;
        broadcaster.subscribe("logs:*", &other);
        broadcaster.resume(&client, {"logs:*"}, 12, 100, nullptr, nullptr);
        for (std::uint64_t seq = 11; seq <= 14; ++seq) broadcaster.publishNumbered(seq, head, tail, {"logs:*"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), client.received.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(13), client.received[0].first);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(14), client.received[1].first);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), other.received.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BroadcasterTest);
