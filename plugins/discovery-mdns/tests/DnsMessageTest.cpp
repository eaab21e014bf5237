// The mDNS message codec on crafted bytes: compression (including pointers inside PTR and SRV data),
// the mDNS class bits, round trips, and malformed packets (truncation, pointer loops, bad lengths),
// each refused with a DnsFormatError that says what and where; random corruption never crashes it.
#include "DnsMessage.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace mc::mdns;

namespace {

// Hand-written wire bytes.
struct Bytes {
    std::string data;
    std::size_t mark() const { return data.size(); }
    Bytes& u8(unsigned v) {
        data += static_cast<char>(v);
        return *this;
    }
    Bytes& u16(unsigned v) { return u8(v >> 8).u8(v & 0xFF); }
    Bytes& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
    Bytes& label(const std::string& s) {
        u8(static_cast<unsigned>(s.size()));
        data += s;
        return *this;
    }
    Bytes& pointer(std::size_t offset) { return u16(0xC000 | static_cast<unsigned>(offset)); }
    Bytes& header(unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
        return u16(0).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
    }
};

void expectFormatError(const std::string& bytes, const std::string& expected) {
    try {
        parseMessage(bytes);
        CPPUNIT_FAIL("accepted a malformed message; expected: " + expected);
    } catch (const DnsFormatError& e) {
        CPPUNIT_ASSERT_MESSAGE(std::string("got: ") + e.what() + "\nexpected: " + expected,
                               std::string(e.what()).find(expected) != std::string::npos);
    }
}

} // namespace

class DnsMessageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsMessageTest);
    CPPUNIT_TEST(parsesACompressedResponse);
    CPPUNIT_TEST(parsesQuestionsWithTheUnicastBit);
    CPPUNIT_TEST(buildsCompressedMessagesThatParseBack);
    CPPUNIT_TEST(namesEscapeDotsAndCompareWithoutCase);
    CPPUNIT_TEST(refusesTruncatedMessages);
    CPPUNIT_TEST(refusesPointerLoopsAndForwardPointers);
    CPPUNIT_TEST(refusesBadLabelsAndOverlongNames);
    CPPUNIT_TEST(refusesRecordDataThatDoesNotFit);
    CPPUNIT_TEST(queryPacketsSplitQuestionsAndKnownAnswers);
    CPPUNIT_TEST(refusesNamesChainedThroughTooManyPointers);
    CPPUNIT_TEST(survivesRandomCorruption);
    CPPUNIT_TEST(refusesWhatCannotBeEncoded);
    CPPUNIT_TEST_SUITE_END();

public:
    void parsesACompressedResponse() {
        Bytes b;
        b.header(0x8400, 0, 1, 0, 3);
        const std::size_t type = b.mark();
        b.label("_mcp").label("_tcp");
        const std::size_t local = b.mark();
        b.label("local").u8(0);
        b.u16(dns_type::PTR).u16(1).u32(4500).u16(1 + 6 + 2); // a label with a dot in it, then a pointer
        const std::size_t instance = b.mark();
        b.label("My.srv").pointer(type);
        b.pointer(instance).u16(dns_type::SRV).u16(0x8001).u32(120).u16(6 + 7);
        b.u16(1).u16(2).u16(8080);
        const std::size_t host = b.mark();
        b.label("host").pointer(local);
        b.pointer(instance).u16(dns_type::TXT).u16(0x8001).u32(4500).u16(8 + 14);
        b.label("path=/x").label("transport=sse");
        b.pointer(host).u16(dns_type::A).u16(0x8001).u32(120).u16(4).u8(192).u8(0).u8(2).u8(7);

        const DnsMessage m = parseMessage(b.data);
        CPPUNIT_ASSERT(m.isResponse());
        CPPUNIT_ASSERT_EQUAL(0u, m.opcode());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.answers.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), m.additionals.size());
        const DnsRecord& ptr = m.answers[0];
        CPPUNIT_ASSERT_EQUAL(std::string("_mcp._tcp.local"), ptr.name.text());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(4500), ptr.ttl);
        CPPUNIT_ASSERT(!ptr.cacheFlush);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), ptr.ptr.labels.size());
        CPPUNIT_ASSERT_EQUAL(std::string("My.srv"), ptr.ptr.labels[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("My\\.srv._mcp._tcp.local"), ptr.ptr.text());
        const DnsRecord& srv = m.additionals[0];
        CPPUNIT_ASSERT(srv.cacheFlush);
        CPPUNIT_ASSERT_EQUAL(kClassIn, srv.rclass);
        CPPUNIT_ASSERT_EQUAL(ptr.ptr.text(), srv.name.text());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(1), srv.srv.priority);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(2), srv.srv.weight);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(8080), srv.srv.port);
        CPPUNIT_ASSERT_EQUAL(std::string("host.local"), srv.srv.target.text());
        const DnsRecord& txt = m.additionals[1];
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), txt.txt.size());
        CPPUNIT_ASSERT_EQUAL(std::string("path=/x"), txt.txt[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("transport=sse"), txt.txt[1]);
        const DnsRecord& a = m.additionals[2];
        CPPUNIT_ASSERT_EQUAL(std::string("host.local"), a.name.text());
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7"), a.address);
    }

    void parsesQuestionsWithTheUnicastBit() {
        Bytes b;
        b.header(0, 2, 0, 0, 0);
        const std::size_t name = b.mark();
        b.label("_mcp").label("_tcp").label("local").u8(0).u16(dns_type::PTR).u16(0x8001);
        b.label("x").pointer(name).u16(dns_type::ANY).u16(1);
        const DnsMessage m = parseMessage(b.data);
        CPPUNIT_ASSERT(!m.isResponse());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.questions.size());
        CPPUNIT_ASSERT(m.questions[0].unicastResponse);
        CPPUNIT_ASSERT_EQUAL(kClassIn, m.questions[0].qclass);
        CPPUNIT_ASSERT(!m.questions[1].unicastResponse);
        CPPUNIT_ASSERT_EQUAL(std::string("x._mcp._tcp.local"), m.questions[1].name.text());
        CPPUNIT_ASSERT_EQUAL(dns_type::ANY, m.questions[1].type);
    }

    void buildsCompressedMessagesThatParseBack() {
        const DnsName type = DnsName::fromText("_mcp._tcp.local");
        const DnsName instance = DnsName::fromText("Build server 2\\.0._mcp._tcp.local");
        const DnsName host = DnsName::fromText("box.local");
        DnsMessage m;
        m.flags = DnsMessage::kResponseFlag | DnsMessage::kAuthoritativeFlag;
        m.questions.push_back(DnsQuestion{type, dns_type::PTR, kClassIn, true});
        m.answers.push_back(DnsRecord::makePtr(type, 4500, instance));
        m.additionals.push_back(DnsRecord::makeSrv(instance, 120, 3001, host));
        m.additionals.push_back(DnsRecord::makeTxt(instance, 4500, {"path=/mcp", "flag", ""}));
        m.additionals.push_back(DnsRecord::makeTxt(host, 4500, {}));
        m.additionals.push_back(DnsRecord::makeAddress(host, 120, "192.0.2.1"));
        m.additionals.push_back(DnsRecord::makeAddress(host, 120, "2001:db8::1"));
        DnsRecord other;
        other.name = host;
        other.type = 47; // NSEC, kept raw
        other.ttl = 120;
        other.rdata = std::string("\x00\x01\x02", 3);
        m.additionals.push_back(other);

        const std::string bytes = buildMessage(m);
        std::size_t locals = 0;
        for (std::size_t at = bytes.find("local"); at != std::string::npos; at = bytes.find("local", at + 1)) ++locals;
        CPPUNIT_ASSERT_EQUAL_MESSAGE("'local' is written once, then pointed at", std::size_t(1), locals);

        const DnsMessage back = parseMessage(bytes);
        CPPUNIT_ASSERT_EQUAL(m.flags, back.flags);
        CPPUNIT_ASSERT(back.questions[0].unicastResponse);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), back.answers.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), back.additionals.size());
        CPPUNIT_ASSERT_EQUAL(instance.text(), back.answers[0].ptr.text());
        CPPUNIT_ASSERT_EQUAL(std::string("Build server 2.0"), back.answers[0].ptr.labels[0]);
        for (std::size_t i = 0; i < m.additionals.size(); ++i) {
            const DnsRecord& want = m.additionals[i];
            const DnsRecord& got = back.additionals[i];
            if (i != 2) CPPUNIT_ASSERT_EQUAL(want.dataKey(), got.dataKey()); // #2: the empty TXT, below
            CPPUNIT_ASSERT_EQUAL(want.ttl, got.ttl);
            CPPUNIT_ASSERT_EQUAL(want.cacheFlush, got.cacheFlush);
        }
        // An empty TXT record goes out as one empty string (RFC 6763 §6.1).
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), back.additionals[2].txt.size());
        CPPUNIT_ASSERT_EQUAL(std::string(), back.additionals[2].txt[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), back.additionals[4].address);
    }

    void namesEscapeDotsAndCompareWithoutCase() {
        const DnsName name = DnsName::fromText("My\\.Server\\\\x._MCP._tcp.Local.");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), name.labels.size());
        CPPUNIT_ASSERT_EQUAL(std::string("My.Server\\x"), name.labels[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("My\\.Server\\\\x._MCP._tcp.Local"), name.text());
        CPPUNIT_ASSERT_EQUAL(std::string("my\\.server\\\\x._mcp._tcp.local"), name.key());
        CPPUNIT_ASSERT(name == DnsName::fromText("my\\.server\\\\X._mcp._TCP.local"));
        CPPUNIT_ASSERT(name != DnsName::fromText("my.server\\\\x._mcp._tcp.local"));
        CPPUNIT_ASSERT_EQUAL(std::string("SRV"), typeName(dns_type::SRV));
        CPPUNIT_ASSERT_EQUAL(std::string("TYPE47"), typeName(47));
    }

    void refusesTruncatedMessages() {
        expectFormatError(std::string(), "header runs past the end of the message at offset 0");
        expectFormatError(std::string("\x00\x00\x84\x00\x00", 5), "header runs past the end of the message at offset 4");
        Bytes q;
        q.header(0, 1, 0, 0, 0);
        expectFormatError(q.data, "question: name runs past the end of the message at offset 12");
        q.label("_mcp");
        expectFormatError(q.data, "question: name runs past the end of the message at offset 17");
        q.u8(0).u16(12);
        expectFormatError(q.data, "question class runs past the end of the message at offset 20");
        Bytes r;
        r.header(0x8400, 0, 1, 0, 0).label("x").u8(0).u16(dns_type::A).u16(1).u32(120).u16(4).u8(10);
        expectFormatError(r.data, "record data runs past the end of the message at offset 25 (needs 4 bytes, 1 left)");
        Bytes c;
        c.header(0x8400, 0, 1, 0, 0).label("x").u8(0xC0);
        expectFormatError(c.data, "record: compression pointer cut off at offset 14");
        expectFormatError(std::string(9001, '\0'), "message of 9001 bytes is larger than 9000");
    }

    void refusesPointerLoopsAndForwardPointers() {
        Bytes self;
        self.header(0, 1, 0, 0, 0).pointer(12).u16(1).u16(1);
        expectFormatError(self.data, "question: compression pointer at offset 12 to offset 12 does not point backwards (a loop)");
        Bytes loop; // "a" then a pointer back to the start of this very name
        loop.header(0, 1, 0, 0, 0).label("a").pointer(12).u16(1).u16(1);
        expectFormatError(loop.data, "compression pointer at offset 14 to offset 12 does not point backwards (a loop)");
        Bytes chain; // pointers to pointers, each strictly backwards: fine
        chain.header(0, 3, 0, 0, 0).label("a").u8(0).u16(1).u16(1);
        const std::size_t b = chain.mark();
        chain.label("b").pointer(12).u16(1).u16(1);
        chain.pointer(b).u16(1).u16(1);
        const DnsMessage ok = parseMessage(chain.data);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), ok.questions.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b.a"), ok.questions[2].name.text());
        Bytes forward;
        forward.header(0, 1, 0, 0, 0).pointer(20).u16(1).u16(1).label("x").u8(0);
        expectFormatError(forward.data, "to offset 20 does not point backwards");
        // Inside record data: a PTR pointing at its own data.
        Bytes ptr;
        ptr.header(0x8400, 0, 1, 0, 0).label("t").u8(0).u16(dns_type::PTR).u16(1).u32(1).u16(2).pointer(25);
        expectFormatError(ptr.data, "PTR data: compression pointer at offset 25 to offset 25 does not point backwards");
    }

    void refusesBadLabelsAndOverlongNames() {
        Bytes reserved;
        reserved.header(0, 1, 0, 0, 0).u8(0x41).u8('x');
        expectFormatError(reserved.data, "question: reserved label type 0x41 at offset 12");
        Bytes longName;
        longName.header(0, 1, 0, 0, 0);
        for (int i = 0; i < 5; ++i) longName.label(std::string(63, 'a' + i));
        longName.u8(0).u16(1).u16(1);
        expectFormatError(longName.data, "question: name longer than 255 bytes at offset 204");
        Bytes viaPointers; // each name is short, but pointers stitch them to over 255 bytes
        viaPointers.header(0, 5, 0, 0, 0);
        std::size_t previous = 0;
        for (int i = 0; i < 5; ++i) {
            const std::size_t at = viaPointers.mark();
            viaPointers.label(std::string(60, 'a' + i));
            if (i == 0) viaPointers.u8(0);
            else viaPointers.pointer(previous);
            viaPointers.u16(1).u16(1);
            previous = at;
        }
        expectFormatError(viaPointers.data, "name longer than 255 bytes");
    }

    void refusesRecordDataThatDoesNotFit() {
        auto record = [](unsigned type, const std::string& rdata) {
            Bytes b;
            b.header(0x8400, 0, 1, 0, 0).label("h").u8(0).u16(type).u16(1).u32(120).u16(static_cast<unsigned>(rdata.size()));
            b.data += rdata;
            return b.data;
        };
        expectFormatError(record(dns_type::A, std::string(5, '\1')), "A record 'h': address of 5 bytes, expected 4 at offset 25");
        expectFormatError(record(dns_type::AAAA, std::string(4, '\1')), "AAAA record 'h': address of 4 bytes, expected 16");
        expectFormatError(record(dns_type::SRV, std::string(6, '\0')), "SRV record 'h': SRV data of 6 bytes");
        // A PTR name longer than its declared data length.
        Bytes ptr;
        ptr.header(0x8400, 0, 1, 0, 0).label("h").u8(0).u16(dns_type::PTR).u16(1).u32(120).u16(2).label("abc").u8(0);
        expectFormatError(ptr.data, "PTR record 'h': data length 2 does not match its content at offset 25");
        expectFormatError(record(dns_type::TXT, std::string("\x05" "ab", 3)), "TXT record 'h': TXT string runs past the record data at offset 25");
        // A record whose data is not consumed by a name that ends early.
        Bytes srv;
        srv.header(0x8400, 0, 1, 0, 0).label("h").u8(0).u16(dns_type::SRV).u16(1).u32(120).u16(10);
        srv.u16(0).u16(0).u16(80).u8(0).u8(0).u8(0).u8(0);
        expectFormatError(srv.data, "SRV record 'h': data length 10 does not match its content");
    }

    void survivesRandomCorruption() {
        DnsMessage m;
        m.flags = DnsMessage::kResponseFlag;
        const DnsName type = DnsName::fromText("_mcp._tcp.local");
        const DnsName instance = DnsName::fromText("s._mcp._tcp.local");
        const DnsName host = DnsName::fromText("h.local");
        m.answers.push_back(DnsRecord::makePtr(type, 4500, instance));
        m.additionals.push_back(DnsRecord::makeSrv(instance, 120, 80, host));
        m.additionals.push_back(DnsRecord::makeTxt(instance, 4500, {"path=/mcp"}));
        m.additionals.push_back(DnsRecord::makeAddress(host, 120, "127.0.0.1"));
        const std::string good = buildMessage(m);
        std::mt19937 random(20261123);
        std::size_t parsed = 0, refused = 0;
        for (int round = 0; round < 20000; ++round) {
            std::string bytes = good;
            const int flips = 1 + static_cast<int>(random() % 4);
            for (int f = 0; f < flips; ++f) bytes[random() % bytes.size()] = static_cast<char>(random() & 0xFF);
            if (random() % 4 == 0) bytes.resize(random() % bytes.size());
            try {
                parseMessage(bytes);
                ++parsed;
            } catch (const DnsFormatError&) {
                ++refused;
            }
        }
        CPPUNIT_ASSERT(parsed > 0);
        CPPUNIT_ASSERT(refused > 0);
    }

    void refusesWhatCannotBeEncoded() {
        DnsMessage m;
        m.questions.push_back(DnsQuestion{DnsName{{std::string(64, 'x'), "local"}}, dns_type::A});
        try {
            buildMessage(m);
            CPPUNIT_FAIL("encoded a 64-byte label");
        } catch (const DnsFormatError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("cannot encode name '" + std::string(64, 'x') + ".local': a label must be 1 to 63 bytes"),
                                 std::string(e.what()));
        }
        DnsMessage a;
        a.answers.push_back(DnsRecord::makeAddress(DnsName::fromText("h.local"), 1, "300.1.1.1"));
        CPPUNIT_ASSERT_THROW(buildMessage(a), DnsFormatError);
    }

    void queryPacketsSplitQuestionsAndKnownAnswers() {
        const DnsName type = DnsName::fromText("_mcp._tcp.local");
        std::vector<DnsQuestion> questions;
        std::vector<DnsRecord> known;
        for (int i = 0; i < 1500; ++i) {
            const DnsName instance = DnsName::fromText("a-long-instance-name-" + std::to_string(i) + "._mcp._tcp.local");
            questions.push_back(DnsQuestion{instance, dns_type::SRV});
            known.push_back(DnsRecord::makePtr(type, 4500, instance));
        }
        const auto packets = buildQueryPackets(questions, known);
        std::vector<DnsMessage> parsed;
        for (const auto& bytes : packets) {
            CPPUNIT_ASSERT(bytes.size() <= kMaxMessageBytes);
            parsed.push_back(parseMessage(bytes));
        }
        // In order: questions first, then known answers; TC on each packet whose known answers go on.
        std::size_t q = 0, a = 0;
        for (std::size_t i = 0; i < parsed.size(); ++i) {
            const DnsMessage& m = parsed[i];
            CPPUNIT_ASSERT(!m.isResponse());
            CPPUNIT_ASSERT(!m.questions.empty() || !m.answers.empty());
            for (const auto& question : m.questions) CPPUNIT_ASSERT(question.name == questions.at(q++).name);
            for (const auto& answer : m.answers) CPPUNIT_ASSERT(answer.ptr == known.at(a++).ptr);
            const bool more = a < known.size() && i + 1 < parsed.size();
            CPPUNIT_ASSERT_EQUAL(more && q == questions.size(), (m.flags & DnsMessage::kTruncatedFlag) != 0);
        }
        CPPUNIT_ASSERT_EQUAL(questions.size(), q);
        CPPUNIT_ASSERT_EQUAL(known.size(), a);
        CPPUNIT_ASSERT(parsed.front().answers.empty() && parsed.back().questions.empty());

        // A small query stays one packet, and an empty one is one empty packet.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), buildQueryPackets({questions[0]}, {known[0]}).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(12), buildQueryPackets({}, {}).at(0).size());
    }

    // Found while fuzzing the mDNS parser: each question's name pointing at the previous question's
    // made question k a walk of k pointers, 1.1 million for one 9 kB packet (3 ms, ten times a normal
    // packet's cost). 127 pointers are more than any name of at most 127 labels needs.
    void refusesNamesChainedThroughTooManyPointers() {
        const auto chain = [](unsigned questions) {
            Bytes b;
            b.header(0x8400, questions, 0, 0, 0).label("a").u8(0).u16(dns_type::A).u16(1);
            std::size_t previous = 12;
            for (unsigned k = 1; k < questions; ++k) {
                const std::size_t here = b.mark();
                b.pointer(previous).u16(dns_type::A).u16(1);
                previous = here;
            }
            return b.data;
        };
        const DnsMessage fine = parseMessage(chain(128)); // the last name: 127 pointers
        CPPUNIT_ASSERT_EQUAL(std::size_t(128), fine.questions.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a"), fine.questions.back().name.text());
        const std::string tooMany = chain(1497);
        expectFormatError(tooMany, "question: more than 127 compression pointers in one name at offset 19");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsMessageTest);
