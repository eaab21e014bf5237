// mcpserver/SessionStreams: event ids per session, what is kept for Last-Event-ID and for how long,
// one stream per session (a new one ends the old), the end of a session and of the host
// (docs/mcp-server.md#the-sessions-stream).
#include "mcpserver/SessionStreams.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

using mc::host::SessionStreams;

namespace {

// A stream that records what it was sent and whether it was ended; `accept` false: its client is gone.
struct Recorder {
    std::vector<std::string> events;
    int ended = 0;
    bool accept = true;
    SessionStreams::Stream stream() {
        return SessionStreams::Stream{[this](const std::string& e) {
                                          if (accept) events.push_back(e);
                                          return accept;
                                      },
                                      [this] { ++ended; }};
    }
};

std::string message(int n) { return "{\"n\":" + std::to_string(n) + "}"; }

} // namespace

class SessionStreamsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionStreamsTest);
    CPPUNIT_TEST(messagesGetIdsAndAPrimingEventOpensTheStream);
    CPPUNIT_TEST(aReturningClientGetsWhatFollowedItsLastId);
    CPPUNIT_TEST(onlyTheLastMessagesAreKept);
    CPPUNIT_TEST(aNewStreamReplacesTheOld);
    CPPUNIT_TEST(sessionsAndTheHostEnd);
    CPPUNIT_TEST(openStreamsAreKeptAliveWithAComment);
    CPPUNIT_TEST_SUITE_END();

public:
    void messagesGetIdsAndAPrimingEventOpensTheStream() {
        SessionStreams streams;
        streams.post("s", message(0)); // nobody ever listened: not kept
        Recorder r;
        const auto token = streams.attach("s", r.stream(), "");
        CPPUNIT_ASSERT(token != 0);
        CPPUNIT_ASSERT(streams.open("s"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), streams.openCount());
        streams.post("s", message(1));
        streams.post("other", message(9)); // another session's
        streams.post("s", message(2));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), r.events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("id: 0\ndata: \n\n"), r.events[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("id: 1\ndata: {\"n\":1}\n\n"), r.events[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("id: 2\ndata: {\"n\":2}\n\n"), r.events[2]);
    }

    void aReturningClientGetsWhatFollowedItsLastId() {
        SessionStreams streams;
        Recorder first;
        const auto token = streams.attach("s", first.stream(), "");
        streams.post("s", message(1));
        streams.detach("s", token); // the client went away
        CPPUNIT_ASSERT(!streams.open("s"));
        streams.post("s", message(2));
        streams.post("s", message(3));
        Recorder back;
        streams.attach("s", back.stream(), "1");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), back.events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("id: 3\ndata: \n\n"), back.events[0]); // the priming event names the last id
        CPPUNIT_ASSERT_EQUAL(std::string("id: 2\ndata: {\"n\":2}\n\n"), back.events[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("id: 3\ndata: {\"n\":3}\n\n"), back.events[2]);
        // An id that is not a number, or one not yet given, replays nothing.
        for (const std::string last : {"x", "3a", "", "99", "-1"}) {
            Recorder other;
            streams.attach("s", other.stream(), last);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(last, std::size_t(1), other.events.size());
        }
    }

    void onlyTheLastMessagesAreKept() {
        SessionStreams streams;
        Recorder first;
        streams.detach("s", streams.attach("s", first.stream(), ""));
        const int posted = static_cast<int>(SessionStreams::kKept) + 10;
        for (int i = 1; i <= posted; ++i) streams.post("s", message(i));
        Recorder back;
        streams.attach("s", back.stream(), "0");
        CPPUNIT_ASSERT_EQUAL(SessionStreams::kKept + 1, back.events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("id: 11\ndata: {\"n\":11}\n\n"), back.events[1]); // 1..10 are gone
        CPPUNIT_ASSERT_EQUAL("id: " + std::to_string(posted) + "\ndata: " + message(posted) + "\n\n", back.events.back());
    }

    void aNewStreamReplacesTheOld() {
        SessionStreams streams;
        Recorder first, second;
        const auto old = streams.attach("s", first.stream(), "");
        streams.attach("s", second.stream(), "");
        CPPUNIT_ASSERT_EQUAL(1, first.ended);
        streams.detach("s", old); // the old stream's client leaving does not close the new one
        CPPUNIT_ASSERT(streams.open("s"));
        streams.post("s", message(1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), first.events.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), second.events.size());
        // A stream whose client is gone (send fails) loses nothing: the message is kept for its return.
        second.accept = false;
        streams.post("s", message(2));
        Recorder third;
        streams.attach("s", third.stream(), "1");
        CPPUNIT_ASSERT_EQUAL(std::string("id: 2\ndata: {\"n\":2}\n\n"), third.events.back());
    }

    void openStreamsAreKeptAliveWithAComment() {
        SessionStreams streams;
        Recorder open, left;
        streams.attach("open", open.stream(), "");
        streams.detach("left", streams.attach("left", left.stream(), ""));
        streams.keepAlive();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), open.events.size());
        CPPUNIT_ASSERT_EQUAL(std::string(": keep-alive\n\n"), open.events[1]); // a comment: no id, nothing to resume
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), left.events.size());
        streams.post("open", message(1)); // the comment took no id
        CPPUNIT_ASSERT_EQUAL(std::string("id: 1\ndata: {\"n\":1}\n\n"), open.events[2]);
    }

    void sessionsAndTheHostEnd() {
        SessionStreams streams;
        Recorder a, b;
        streams.attach("a", a.stream(), "");
        streams.attach("b", b.stream(), "");
        streams.forget("a");
        CPPUNIT_ASSERT_EQUAL(1, a.ended);
        CPPUNIT_ASSERT(!streams.open("a"));
        streams.post("a", message(1)); // forgotten: nothing kept, nothing sent
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), a.events.size());
        streams.endAll();
        CPPUNIT_ASSERT_EQUAL(1, b.ended);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), streams.openCount());
        Recorder late;
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), streams.attach("b", late.stream(), ""));
        CPPUNIT_ASSERT(late.events.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionStreamsTest);
