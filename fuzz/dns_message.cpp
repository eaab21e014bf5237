// mDNS packets, the parser's half (plugins/discovery-mdns/src/DnsMessage.cpp): parseMessage on what
// any host of the local network sends to 224.0.0.251:5353. The input is one packet. (What the
// browser keeps of a packet is the target mdns_browser: heavier per input, so apart.)
//
// Checked: no crash/UB/leak/hang; a malformed packet is refused with DnsFormatError and nothing else;
// a parsed packet builds back into a packet that parses to the same message.
#include "FuzzSupport.h"

#include "DnsMessage.h"

using namespace mc::mdns;

namespace {

std::string describe(const DnsRecord& r) { return typeName(r.type) + " " + r.name.text() + " -> " + r.dataKey(); }

void checkSameRecords(const std::vector<DnsRecord>& a, const std::vector<DnsRecord>& b, const char* section) {
    MC_FUZZ_CHECK(a.size() == b.size(), std::string(section) + ": record count differs after a rebuild");
    for (std::size_t i = 0; i < a.size(); ++i) {
        DnsRecord x = a[i];
        // An empty TXT record is written as one empty string (RFC 6763 §6.1).
        if (x.type == dns_type::TXT && x.txt.empty()) x.txt.push_back("");
        MC_FUZZ_CHECK(x.dataKey() == b[i].dataKey() && x.ttl == b[i].ttl && x.rclass == b[i].rclass &&
                          x.cacheFlush == b[i].cacheFlush,
                      std::string(section) + ": " + describe(x) + " became " + describe(b[i]));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    DnsMessage message;
    try {
        message = parseMessage(data, size);
    } catch (const DnsFormatError&) {
        return 0;
    }

    std::string rebuilt;
    try {
        rebuilt = buildMessage(message);
    } catch (const DnsFormatError& e) {
        // Only the size can fail: the parsed names and data are all encodable. A packet that leaned on
        // compression the writer does not use may come out larger than the limit.
        MC_FUZZ_CHECK(std::string(e.what()).find("is larger than") != std::string::npos,
                      std::string("a parsed message cannot be rebuilt: ") + e.what());
    }
    if (!rebuilt.empty()) {
        const DnsMessage again = parseMessage(rebuilt);
        MC_FUZZ_CHECK(again.id == message.id && again.flags == message.flags, "header differs after a rebuild");
        MC_FUZZ_CHECK(again.questions.size() == message.questions.size(), "questions differ after a rebuild");
        for (std::size_t i = 0; i < again.questions.size(); ++i)
            MC_FUZZ_CHECK(again.questions[i].name == message.questions[i].name &&
                              again.questions[i].type == message.questions[i].type &&
                              again.questions[i].qclass == message.questions[i].qclass &&
                              again.questions[i].unicastResponse == message.questions[i].unicastResponse,
                          "question " + std::to_string(i) + " differs after a rebuild");
        checkSameRecords(message.answers, again.answers, "answers");
        checkSameRecords(message.authorities, again.authorities, "authorities");
        checkSameRecords(message.additionals, again.additionals, "additionals");
    }
    return 0;
}
