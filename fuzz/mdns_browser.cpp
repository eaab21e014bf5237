// mDNS packets, the browser's half (plugins/discovery-mdns/src/ServiceBrowser.cpp): what it keeps of
// a packet any host of the local network sends to 224.0.0.251:5353. The input is one packet; one
// that parseMessage refuses stops here (the parser has its own target, dns_message).
//
// Checked: no crash/UB/leak/hang; the browser, fed the packet (and the same under other instance
// names, as a second host would announce) twice and polled over the records' lifetime, reports
// well-formed endpoints, loses only what it found, and the queries it asks can always be sent, in
// packets that carry all of them.
#include "FuzzSupport.h"

#include "DnsMessage.h"
#include "ServiceBrowser.h"

#include <set>

using namespace mc::mdns;

namespace {

// What MdnsDiscovery::send does with a query: packets that each fit and together carry all of it.
void checkQueryCanBeSent(const Query& query) {
    std::vector<std::string> packets;
    try {
        packets = buildQueryPackets(query.questions, query.knownAnswers);
    } catch (const DnsFormatError& e) {
        MC_FUZZ_CHECK(false, std::string("the browser's query cannot be sent: ") + e.what() + " (" +
                                 std::to_string(query.questions.size()) + " questions)");
    }
    std::size_t questions = 0, answers = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        MC_FUZZ_CHECK(packets[i].size() <= kMaxMessageBytes, "a query packet over the limit");
        const DnsMessage back = parseMessage(packets[i]);
        questions += back.questions.size();
        answers += back.answers.size();
        const bool truncated = back.flags & DnsMessage::kTruncatedFlag;
        MC_FUZZ_CHECK(truncated == (answers < query.knownAnswers.size() && i + 1 < packets.size() &&
                                    questions == query.questions.size()),
                      "TC set where no known answers follow, or missing where they do");
    }
    MC_FUZZ_CHECK(questions == query.questions.size() && answers == query.knownAnswers.size(),
                  "the query packets do not carry the whole query");
}

// The same announcements under other instance names: what a second host answering alike adds.
// (The first byte of the instance label changes; the lengths stay, so every name stays encodable.)
DnsMessage renamed(DnsMessage message) {
    const auto rename = [](DnsName& name) {
        if (!name.labels.empty()) name.labels.front()[0] = name.labels.front()[0] == '~' ? '^' : '~';
    };
    for (auto* section : {&message.answers, &message.additionals})
        for (auto& r : *section) {
            if (r.type == dns_type::PTR) rename(r.ptr);
            if (r.type == dns_type::SRV || r.type == dns_type::TXT) rename(r.name);
        }
    return message;
}

// `found` holds the instance keys (names compare without case, as the browser's cache does).
void checkEvents(const std::vector<BrowserEvent>& events, std::set<std::string>& found) {
    for (const auto& e : events) {
        const ServiceEndpoint& p = e.endpoint;
        const std::string key = DnsName::fromText(p.key).key();
        if (e.kind == BrowserEvent::Kind::Found) {
            MC_FUZZ_CHECK(!p.key.empty(), "found without a key");
            MC_FUZZ_CHECK(p.transport == "http" || p.transport == "sse", "transport " + p.transport);
            MC_FUZZ_CHECK(p.url.rfind("http://", 0) == 0, "url " + mc::fuzz::shown(p.url));
            MC_FUZZ_CHECK(!p.addresses.empty(), "found without an address");
            found.insert(key);
        } else {
            MC_FUZZ_CHECK(found.erase(key) == 1, "lost what was not found: " + mc::fuzz::shown(p.key));
            MC_FUZZ_CHECK(e.reason == "goodbye" || e.reason == "ttl expired", "lost reason " + e.reason);
        }
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


    // The browser: browse _mcp._tcp.local (the plugin's default) and the type the packet's first PTR names.
    BrowserSettings settings;
    settings.types.push_back(DnsName::fromText("_mcp._tcp.local"));
    for (const auto& r : message.answers)
        if (r.type == dns_type::PTR) {
            settings.types.push_back(r.name);
            break;
        }
    ServiceBrowser browser(settings, 1);
    std::set<std::string> found;
    const std::int64_t start = 1'000'000'000;
    const DnsMessage second = renamed(message);
    for (std::int64_t now : {start, start + 500'000}) {
        browser.handle(message, now);
        browser.handle(second, now);
        checkQueryCanBeSent(browser.poll(now));
        checkEvents(browser.takeEvents(), found);
        browser.takeWarnings();
    }
    // Through refreshes to expiry (the longest TTL is 2^32 - 1 seconds).
    for (std::int64_t later : {std::int64_t(2'000'000), std::int64_t(60'000'000), std::int64_t(3'600'000'000),
                               std::int64_t(5'000'000'000'000'000)}) {
        checkQueryCanBeSent(browser.poll(start + later));
        checkEvents(browser.takeEvents(), found);
    }
    MC_FUZZ_CHECK(browser.resolvedCount() == 0 && found.empty(), "services outlive every record");
    return 0;
}
