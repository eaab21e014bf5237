#pragma once
// A DNS message codec for multicast DNS (RFC 1035 wire format with the RFC 6762 changes: the top bit
// of a question's class asks for a unicast response, the top bit of a record's class is cache-flush).
// Parsing trusts nothing: every length is checked against the message, compression pointers must
// point strictly backwards (so they cannot loop), names stay within 255 bytes. Building compresses
// names (RFC 1035 §4.1.4), including the names inside PTR and SRV data (RFC 6762 §18.14).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mc::mdns {

namespace dns_type {
constexpr std::uint16_t A = 1;
constexpr std::uint16_t PTR = 12;
constexpr std::uint16_t TXT = 16;
constexpr std::uint16_t AAAA = 28;
constexpr std::uint16_t SRV = 33;
constexpr std::uint16_t ANY = 255;
} // namespace dns_type
constexpr std::uint16_t kClassIn = 1;

// "A", "PTR", ... or "TYPE<n>" (RFC 3597 style) for the rest.
std::string typeName(std::uint16_t type);

// A domain name as its labels. A label may hold any byte, dots included (a DNS-SD instance name
// like "Build server 2.0" is one label), so text() escapes '.' and '\' as RFC 1035 presentation does.
struct DnsName {
    std::vector<std::string> labels;

    // Presentation text: labels joined by '.', "\." and "\\" for a dot or backslash inside a label.
    static DnsName fromText(std::string_view text);
    std::string text() const;
    // Case-insensitive identity (DNS compares ASCII letters without case): the lower-cased text.
    std::string key() const;
    bool empty() const { return labels.empty(); }
    bool operator==(const DnsName& other) const { return key() == other.key(); }
    bool operator!=(const DnsName& other) const { return !(*this == other); }
};

class DnsFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DnsQuestion {
    DnsName name;
    std::uint16_t type = 0;
    std::uint16_t qclass = kClassIn;
    bool unicastResponse = false; // the QU bit (RFC 6762 §5.4)
};

struct SrvData {
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    std::uint16_t port = 0;
    DnsName target;
};

struct DnsRecord {
    DnsName name;
    std::uint16_t type = 0;
    std::uint16_t rclass = kClassIn;
    bool cacheFlush = false; // RFC 6762 §10.2
    std::uint32_t ttl = 0;

    // The data, decoded for the types mDNS browsing uses; `rdata` keeps the raw bytes of other types.
    DnsName ptr;                   // PTR
    SrvData srv;                   // SRV
    std::vector<std::string> txt;  // TXT: the character-strings, in order
    std::string address;           // A / AAAA: textual address ("192.0.2.1", "fe80::1")
    std::string rdata;             // other types: raw bytes

    // Identity of the data within its RRset (for caching): name, type and decoded data.
    std::string dataKey() const;

    static DnsRecord makePtr(const DnsName& name, std::uint32_t ttl, const DnsName& target);
    static DnsRecord makeSrv(const DnsName& name, std::uint32_t ttl, std::uint16_t port, const DnsName& target);
    static DnsRecord makeTxt(const DnsName& name, std::uint32_t ttl, std::vector<std::string> strings);
    static DnsRecord makeAddress(const DnsName& name, std::uint32_t ttl, const std::string& address); // A or AAAA
};

struct DnsMessage {
    std::uint16_t id = 0;
    std::uint16_t flags = 0; // QR, opcode, AA, TC, RD, RA, Z, rcode
    std::vector<DnsQuestion> questions;
    std::vector<DnsRecord> answers;
    std::vector<DnsRecord> authorities;
    std::vector<DnsRecord> additionals;

    static constexpr std::uint16_t kResponseFlag = 0x8000;
    static constexpr std::uint16_t kAuthoritativeFlag = 0x0400;
    static constexpr std::uint16_t kTruncatedFlag = 0x0200; // TC: in a query, more known answers follow
    bool isResponse() const { return (flags & kResponseFlag) != 0; }
    unsigned opcode() const { return (flags >> 11) & 0xF; }
    unsigned rcode() const { return flags & 0xF; }
};

// The largest message accepted or built: RFC 6762 §17 allows up to 9000 bytes.
constexpr std::size_t kMaxMessageBytes = 9000;

// Throws DnsFormatError naming what is wrong and at which byte offset.
DnsMessage parseMessage(const std::uint8_t* data, std::size_t size);
inline DnsMessage parseMessage(std::string_view bytes) {
    return parseMessage(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

// Wire bytes; throws DnsFormatError for what cannot be encoded (a label over 63 bytes, a name over
// 255, an unparsable address, a message over kMaxMessageBytes).
std::string buildMessage(const DnsMessage& message);

// A multicast query (id 0) as the packets that carry it, each within kMaxMessageBytes: the questions,
// then the known answers, each packet filled before the next is begun. A packet whose known answers
// continue in the next one has the TC bit set (RFC 6762 §7.2). However many services a network
// announces, what the browser asks about them can always be sent.
std::vector<std::string> buildQueryPackets(const std::vector<DnsQuestion>& questions,
                                           const std::vector<DnsRecord>& knownAnswers);

} // namespace mc::mdns
