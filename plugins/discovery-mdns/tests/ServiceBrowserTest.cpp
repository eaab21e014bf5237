// The DNS-SD browsing state machine on crafted responses and a fake clock: query backoff, resolving
// across messages (asking for what is missing), goodbye, TTL expiry with refresh queries at 80-95 %,
// cache flush on a changed address, known answers, what it must ignore, and a network announcing
// thousands of services.
#include "ServiceBrowser.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>
#include <vector>

using namespace mc::mdns;

namespace {

constexpr std::int64_t kSecond = 1'000'000;
const DnsName kType = DnsName::fromText("_mcp._tcp.local");
const DnsName kInstance = DnsName::fromText("Tools._mcp._tcp.local");
const DnsName kHost = DnsName::fromText("box.local");

DnsMessage response(std::vector<DnsRecord> answers, std::vector<DnsRecord> additionals = {}) {
    DnsMessage m;
    m.flags = DnsMessage::kResponseFlag | DnsMessage::kAuthoritativeFlag;
    m.answers = std::move(answers);
    m.additionals = std::move(additionals);
    return m;
}

DnsMessage fullAnnouncement(std::uint32_t ttl = 120, const std::string& address = "192.0.2.7",
                            std::vector<std::string> txt = {"path=/tools", "Transport=streamable-http"}) {
    return response({DnsRecord::makePtr(kType, ttl, kInstance)},
                    {DnsRecord::makeSrv(kInstance, ttl, 8080, kHost), DnsRecord::makeTxt(kInstance, ttl, std::move(txt)),
                     DnsRecord::makeAddress(kHost, ttl, address)});
}

bool asks(const Query& q, const DnsName& name, std::uint16_t type) {
    for (const auto& question : q.questions)
        if (question.name == name && question.type == type) return true;
    return false;
}

ServiceBrowser browser(std::int64_t maxIntervalUs = 60 * kSecond) {
    return ServiceBrowser(BrowserSettings{{kType, DnsName::fromText("_other._udp.local")}, maxIntervalUs}, 7);
}

} // namespace

class ServiceBrowserTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ServiceBrowserTest);
    CPPUNIT_TEST(browsesEveryTypeWithDoublingIntervals);
    CPPUNIT_TEST(refreshRestartsTheBackoff);
    CPPUNIT_TEST(resolvesAcrossMessagesAskingForWhatIsMissing);
    CPPUNIT_TEST(reportsAFullAnnouncementAtOnce);
    CPPUNIT_TEST(goodbyeLosesTheServiceOneSecondLater);
    CPPUNIT_TEST(refreshesAt80To95PercentAndExpiresAtTheTtl);
    CPPUNIT_TEST(aChangedAddressIsReportedAgain);
    CPPUNIT_TEST(includesKnownAnswersWithMoreThanHalfTheirTtl);
    CPPUNIT_TEST(ignoresQueriesErrorsAndUnrelatedRecords);
    CPPUNIT_TEST(unknownTransportIsNotReportedAndWarnedOnce);
    CPPUNIT_TEST(thousandsOfServicesAreAskedAboutInLinearTimeAndFitInPackets);
    CPPUNIT_TEST(aFloodFromOneSenderCannotStarveOthers);
    CPPUNIT_TEST_SUITE_END();

public:
    void browsesEveryTypeWithDoublingIntervals() {
        auto b = browser(4 * kSecond);
        std::vector<std::int64_t> browses;
        for (std::int64_t t = 0; t <= 20 * kSecond; t += 100'000) {
            const Query q = b.poll(t);
            if (!q.browse) {
                CPPUNIT_ASSERT(q.empty());
                continue;
            }
            browses.push_back(t / 100'000);
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), q.questions.size());
            CPPUNIT_ASSERT(asks(q, kType, dns_type::PTR));
            CPPUNIT_ASSERT(asks(q, DnsName::fromText("_other._udp.local"), dns_type::PTR));
        }
        // 0 s, then 1, 2, 4, 4, 4 ... seconds apart (capped at 4 s).
        const std::vector<std::int64_t> expected = {0, 10, 30, 70, 110, 150, 190};
        CPPUNIT_ASSERT(expected == browses);
        CPPUNIT_ASSERT_EQUAL(23 * kSecond, b.nextDeadlineUs());
    }

    void refreshRestartsTheBackoff() {
        auto b = browser();
        for (std::int64_t t : {0L, 1 * kSecond, 3 * kSecond, 7 * kSecond}) CPPUNIT_ASSERT(b.poll(t).browse);
        CPPUNIT_ASSERT(!b.poll(8 * kSecond).browse);
        b.refresh(8 * kSecond);
        CPPUNIT_ASSERT(b.poll(8 * kSecond).browse);
        CPPUNIT_ASSERT(!b.poll(8 * kSecond + 900'000).browse);
        CPPUNIT_ASSERT(b.poll(9 * kSecond).browse);
    }

    void resolvesAcrossMessagesAskingForWhatIsMissing() {
        auto b = browser();
        b.poll(0);
        b.handle(response({DnsRecord::makePtr(kType, 120, kInstance)}), 100'000);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        Query q = b.poll(100'000);
        CPPUNIT_ASSERT(asks(q, kInstance, dns_type::SRV));
        CPPUNIT_ASSERT(asks(q, kInstance, dns_type::TXT));
        CPPUNIT_ASSERT(b.poll(600'000).empty()); // not again before 1 s
        CPPUNIT_ASSERT(asks(b.poll(1'100'000), kInstance, dns_type::SRV));
        CPPUNIT_ASSERT(!asks(b.poll(2'000'000), kInstance, dns_type::SRV)); // then 2 s later
        CPPUNIT_ASSERT(asks(b.poll(3'100'000), kInstance, dns_type::SRV));

        b.handle(response({DnsRecord::makeSrv(kInstance, 120, 8080, kHost), DnsRecord::makeTxt(kInstance, 120, {"path=tools"})}),
                 3'200'000);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        q = b.poll(3'200'000);
        CPPUNIT_ASSERT(!asks(q, kInstance, dns_type::SRV));
        CPPUNIT_ASSERT(asks(q, kHost, dns_type::A));
        CPPUNIT_ASSERT(asks(q, kHost, dns_type::AAAA));

        b.handle(response({DnsRecord::makeAddress(kHost, 120, "2001:db8::5"), DnsRecord::makeAddress(kHost, 120, "fe80::1"),
                           DnsRecord::makeAddress(kHost, 120, "192.0.2.9"), DnsRecord::makeAddress(kHost, 120, "192.0.2.10")}),
                 3'300'000);
        auto events = b.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        const ServiceEndpoint& e = events[0].endpoint;
        CPPUNIT_ASSERT(events[0].kind == BrowserEvent::Kind::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("Tools._mcp._tcp.local"), e.key);
        CPPUNIT_ASSERT_EQUAL(std::string("Tools"), e.name);
        CPPUNIT_ASSERT_EQUAL(std::string("_mcp._tcp"), e.type);
        CPPUNIT_ASSERT_EQUAL(std::string("http"), e.transport);
        CPPUNIT_ASSERT_EQUAL(std::string("http://192.0.2.10:8080/tools"), e.url); // IPv4 first, sorted as text
        const std::vector<std::string> addresses = {"192.0.2.10", "192.0.2.9", "2001:db8::5", "fe80::1"};
        CPPUNIT_ASSERT(addresses == e.addresses);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), b.resolvedCount());
        q = b.poll(3'300'000);
        CPPUNIT_ASSERT(!asks(q, kHost, dns_type::A));
    }

    void reportsAFullAnnouncementAtOnce() {
        auto b = browser();
        b.handle(fullAnnouncement(120, "192.0.2.7", {"PATH=/first", "path=/second", "=x", "bare", "transport=SSE"}), 0);
        auto events = b.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        const ServiceEndpoint& e = events[0].endpoint;
        CPPUNIT_ASSERT_EQUAL(std::string("sse"), e.transport);
        CPPUNIT_ASSERT_EQUAL(std::string("http://192.0.2.7:8080/first"), e.url); // keys without case, first wins
        const std::vector<std::pair<std::string, std::string>> txt = {{"path", "/first"}, {"bare", ""}, {"transport", "SSE"}};
        CPPUNIT_ASSERT(txt == e.txt);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(120), e.ttl);
        // The same announcement again changes nothing.
        b.handle(fullAnnouncement(120, "192.0.2.7", {"PATH=/first", "path=/second", "=x", "bare", "transport=SSE"}), kSecond);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        // Default path and transport.
        auto other = browser();
        other.handle(fullAnnouncement(120, "192.0.2.7", {}), 0);
        auto defaults = other.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::string("http://192.0.2.7:8080/mcp"), defaults.at(0).endpoint.url);
        CPPUNIT_ASSERT_EQUAL(std::string("http"), defaults.at(0).endpoint.transport);
    }

    void goodbyeLosesTheServiceOneSecondLater() {
        auto b = browser();
        b.handle(fullAnnouncement(), 0);
        b.takeEvents();
        b.handle(response({DnsRecord::makePtr(kType, 0, kInstance)}), 5 * kSecond);
        b.poll(5 * kSecond + 900'000);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        b.poll(6 * kSecond);
        auto events = b.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT(events[0].kind == BrowserEvent::Kind::Lost);
        CPPUNIT_ASSERT_EQUAL(std::string("goodbye"), events[0].reason);
        CPPUNIT_ASSERT_EQUAL(std::string("Tools._mcp._tcp.local"), events[0].endpoint.key);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), b.resolvedCount());
        // A goodbye for the host's address alone also counts as goodbye.
        auto c = browser();
        c.handle(fullAnnouncement(), 0);
        c.takeEvents();
        c.handle(response({DnsRecord::makeAddress(kHost, 0, "192.0.2.7")}), kSecond);
        c.poll(2 * kSecond);
        auto lost = c.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lost.size());
        CPPUNIT_ASSERT_EQUAL(std::string("goodbye"), lost[0].reason);
    }

    void refreshesAt80To95PercentAndExpiresAtTheTtl() {
        auto b = browser(3600 * kSecond);
        b.poll(0);
        b.handle(response({DnsRecord::makePtr(kType, 1000, kInstance)},
                          {DnsRecord::makeSrv(kInstance, 10, 8080, kHost), DnsRecord::makeTxt(kInstance, 1000, {}),
                           DnsRecord::makeAddress(kHost, 1000, "192.0.2.7")}),
                 0);
        b.takeEvents();
        std::vector<std::int64_t> srvQueries;
        for (std::int64_t t = 100'000; t < 10 * kSecond; t += 100'000)
            if (asks(b.poll(t), kInstance, dns_type::SRV)) srvQueries.push_back(t / 100'000);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), srvQueries.size());
        const std::int64_t windows[4][2] = {{80, 82}, {85, 87}, {90, 92}, {95, 97}}; // tenths of a second
        for (int i = 0; i < 4; ++i)
            CPPUNIT_ASSERT_MESSAGE(std::to_string(srvQueries[i]), srvQueries[i] >= windows[i][0] && srvQueries[i] <= windows[i][1] + 1);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        b.poll(10 * kSecond);
        auto events = b.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT(events[0].kind == BrowserEvent::Kind::Lost);
        CPPUNIT_ASSERT_EQUAL(std::string("ttl expired"), events[0].reason);

        // An answer to the refresh query renews the record: no loss.
        auto renewed = browser(3600 * kSecond);
        renewed.handle(fullAnnouncement(10), 0);
        renewed.takeEvents();
        CPPUNIT_ASSERT(asks(renewed.poll(8'300'000), kInstance, dns_type::SRV));
        renewed.handle(fullAnnouncement(10), 8'400'000);
        renewed.poll(12 * kSecond);
        CPPUNIT_ASSERT(renewed.takeEvents().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), renewed.resolvedCount());
    }

    void aChangedAddressIsReportedAgain() {
        auto b = browser();
        b.handle(fullAnnouncement(120, "192.0.2.7"), 0);
        CPPUNIT_ASSERT_EQUAL(std::string("http://192.0.2.7:8080/tools"), b.takeEvents().at(0).endpoint.url);
        // The host moved: its new A record carries cache-flush, so the old one goes a second later.
        b.handle(response({DnsRecord::makeAddress(kHost, 120, "192.0.2.99")}), 10 * kSecond);
        b.poll(11 * kSecond);
        auto events = b.takeEvents();
        CPPUNIT_ASSERT(!events.empty());
        const ServiceEndpoint& last = events.back().endpoint;
        CPPUNIT_ASSERT(events.back().kind == BrowserEvent::Kind::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("http://192.0.2.99:8080/tools"), last.url);
        CPPUNIT_ASSERT(std::vector<std::string>{"192.0.2.99"} == last.addresses);
        for (const auto& e : events) CPPUNIT_ASSERT(e.kind == BrowserEvent::Kind::Found);
    }

    void includesKnownAnswersWithMoreThanHalfTheirTtl() {
        auto b = browser();
        b.poll(0);
        b.handle(fullAnnouncement(100), 500'000);
        Query q = b.poll(kSecond);
        CPPUNIT_ASSERT(q.browse);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), q.knownAnswers.size());
        CPPUNIT_ASSERT_EQUAL(kInstance.text(), q.knownAnswers[0].ptr.text());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(99), q.knownAnswers[0].ttl);
        b.refresh(51 * kSecond);
        q = b.poll(51 * kSecond); // 49.5 s of 100 left: not more than half
        CPPUNIT_ASSERT(q.browse);
        CPPUNIT_ASSERT(q.knownAnswers.empty());
    }

    void ignoresQueriesErrorsAndUnrelatedRecords() {
        auto b = browser();
        DnsMessage query = fullAnnouncement();
        query.flags = 0; // a query carrying known answers
        b.handle(query, 0);
        DnsMessage failed = fullAnnouncement();
        failed.flags |= 3; // rcode NXDOMAIN
        b.handle(failed, 0);
        DnsMessage opcode = fullAnnouncement();
        opcode.flags |= 1 << 11;
        b.handle(opcode, 0);
        // Another service type, and SRV/TXT/A for names no browsed PTR leads to.
        const DnsName stranger = DnsName::fromText("Printer._ipp._tcp.local");
        b.handle(response({DnsRecord::makePtr(DnsName::fromText("_ipp._tcp.local"), 120, stranger),
                           DnsRecord::makeSrv(stranger, 120, 631, kHost), DnsRecord::makeAddress(kHost, 120, "192.0.2.1")}),
                 0);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), b.resolvedCount());
        // The address seen earlier was not kept: resolving the real service asks for it.
        b.handle(response({DnsRecord::makePtr(kType, 120, kInstance), DnsRecord::makeSrv(kInstance, 120, 1, kHost),
                           DnsRecord::makeTxt(kInstance, 120, {})}),
                 0);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        CPPUNIT_ASSERT(asks(b.poll(0), kHost, dns_type::A));
    }

    void unknownTransportIsNotReportedAndWarnedOnce() {
        auto b = browser();
        b.handle(fullAnnouncement(120, "192.0.2.7", {"transport=websocket"}), 0);
        CPPUNIT_ASSERT(b.takeEvents().empty());
        b.handle(fullAnnouncement(120, "192.0.2.7", {"transport=websocket"}), kSecond);
        auto warnings = b.takeWarnings();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings.size());
        CPPUNIT_ASSERT_EQUAL(std::string("service 'Tools._mcp._tcp.local' announces transport 'websocket' in its TXT "
                                         "record; only 'streamable-http' and 'sse' are supported, so it is not reported"),
                             warnings[0]);
        // Fixed by the responder (cache-flush replaces the TXT): reported.
        b.handle(fullAnnouncement(120, "192.0.2.7", {"transport=sse"}), 3 * kSecond);
        b.poll(4 * kSecond + 1);
        auto events = b.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("sse"), events[0].endpoint.transport);
    }

    // Found with fuzz/dns_message (a crafted packet ran 14 s in it): one packet naming ~500 instances
    // made the next poll ask its ~1000 questions in quadratic time (0.35 s a poll, again at each
    // retry), and two such packets made more questions than one packet holds, so MdnsDiscovery::send
    // threw DnsFormatError out of its thread (std::terminate: the host died).
    void thousandsOfServicesAreAskedAboutInLinearTimeAndFitInPackets() {
        // Caps raised so that one sender's 5000 services are all cached (the flood caps are tested below).
        ServiceBrowser b(BrowserSettings{{kType, DnsName::fromText("_other._udp.local")}, 60 * kSecond, 10000, 10000}, 7);
        std::vector<DnsRecord> ptrs;
        for (int i = 0; i < 5000; ++i)
            ptrs.push_back(DnsRecord::makePtr(kType, 4500, DnsName::fromText("instance-" + std::to_string(i) + "._mcp._tcp.local")));
        b.handle(response(ptrs), 0);
        const auto started = std::chrono::steady_clock::now();
        const Query q = b.poll(0);
        const auto took = std::chrono::steady_clock::now() - started;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2 + 2 * 5000), q.questions.size()); // two browses, SRV + TXT of each
        CPPUNIT_ASSERT_MESSAGE("poll took " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms",
                               took < std::chrono::seconds(2)); // quadratic: over 10 s here
        CPPUNIT_ASSERT_EQUAL(std::size_t(5000), q.knownAnswers.size());

        DnsMessage whole;
        whole.questions = q.questions;
        CPPUNIT_ASSERT_THROW(buildMessage(whole), DnsFormatError); // one packet cannot hold it
        const auto packets = buildQueryPackets(q.questions, q.knownAnswers);
        CPPUNIT_ASSERT(packets.size() > 2);
        std::size_t questions = 0, answers = 0;
        for (const auto& bytes : packets) {
            CPPUNIT_ASSERT(bytes.size() <= kMaxMessageBytes);
            const DnsMessage m = parseMessage(bytes);
            questions += m.questions.size();
            answers += m.answers.size();
        }
        CPPUNIT_ASSERT_EQUAL(q.questions.size(), questions);
        CPPUNIT_ASSERT_EQUAL(q.knownAnswers.size(), answers);
    }

    // One sender announcing more PTR records than the whole cache holds: it keeps its per-sender
    // share, the rest is dropped and counted; another sender's service is still resolved and
    // reported, and the flood's records free their share when they expire.
    void aFloodFromOneSenderCannotStarveOthers() {
        ServiceBrowser b(BrowserSettings{{kType}, 60 * kSecond, 256, 10000}, 7);
        for (int packet = 0; packet < 60; ++packet) {
            std::vector<DnsRecord> ptrs;
            for (int i = 0; i < 200; ++i)
                ptrs.push_back(DnsRecord::makePtr(kType, 30, DnsName::fromText("flood-" + std::to_string(packet * 200 + i) + "._mcp._tcp.local")));
            b.handle(response(std::move(ptrs)), kSecond, "10.0.0.66");
        }
        BrowserStats stats = b.stats();
        CPPUNIT_ASSERT_EQUAL(std::size_t(256), stats.cachedRecords);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(12000 - 256), stats.droppedRecords);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), stats.cappedSenders);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), stats.senders);
        const auto warnings = b.takeWarnings();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings.size()); // once per sender, not per record
        CPPUNIT_ASSERT_MESSAGE(warnings[0], warnings[0].find("mDNS sender 10.0.0.66 holds 256 records, its cap "
                                                             "(max_records_per_sender)") == 0);

        b.handle(fullAnnouncement(), 2 * kSecond, "192.0.2.7");
        auto events = b.takeEvents();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Tools._mcp._tcp.local"), events[0].endpoint.key);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), b.stats().senders);

        // The flood's PTRs expire (30 s TTL): its share is free again, the other service stays.
        b.poll(40 * kSecond);
        stats = b.stats();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), stats.senders);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), stats.cappedSenders);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), stats.cachedRecords);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), b.resolvedCount());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ServiceBrowserTest);
