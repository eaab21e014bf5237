// mDNS benchmark: the discovery-mdns codec and browser on their own (no sockets), the work one
// received packet costs the plugin's thread.
//   1. parse: a typical announcement (PTR + SRV + TXT + A, compressed) parsed N times.
//   2. browse: a browser that knows S services takes R rounds of re-announcements of all of them
//      (steady state: every packet renews four records and changes nothing), then a poll.
//
//   mc-bench-mdns [--parse N] [--services S] [--rounds R]
#include "DnsMessage.h"
#include "ServiceBrowser.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace mc::mdns;
using Clock = std::chrono::steady_clock;

namespace {

const DnsName kType = DnsName::fromText("_mcp._tcp.local");

// Each service's host, which is also the sender of its announcements (the per-sender cap counts them).
std::string hostAddress(int i) { return "10.0." + std::to_string(i / 250 % 256) + "." + std::to_string(i % 250 + 1); }

std::string announcement(int i) {
    const DnsName instance = DnsName::fromText("Server " + std::to_string(i) + "._mcp._tcp.local");
    const DnsName host = DnsName::fromText("host-" + std::to_string(i) + ".local");
    DnsMessage m;
    m.flags = DnsMessage::kResponseFlag | DnsMessage::kAuthoritativeFlag;
    m.answers.push_back(DnsRecord::makePtr(kType, 4500, instance));
    m.additionals.push_back(DnsRecord::makeSrv(instance, 120, static_cast<std::uint16_t>(3000 + i % 1000), host));
    m.additionals.push_back(DnsRecord::makeTxt(instance, 4500, {"path=/mcp", "transport=streamable-http", "version=1.2.3"}));
    m.additionals.push_back(DnsRecord::makeAddress(host, 120, hostAddress(i)));
    return buildMessage(m);
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

} // namespace

int main(int argc, char** argv) {
    long parses = 200000;
    int services = 200;
    int rounds = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--parse")) parses = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--services")) services = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: mc-bench-mdns [--parse N] [--services S] [--rounds R]\n");
            return 2;
        }
    }

    const std::string packet = announcement(7);
    std::size_t records = 0;
    auto start = Clock::now();
    for (long i = 0; i < parses; ++i) records += parseMessage(packet).additionals.size();
    const double parseSeconds = seconds(Clock::now() - start);
    std::printf("parse:  %ld packets of %zu bytes in %.3f s: %.0f packets/s, %.1f MB/s (%zu records)\n", parses,
                packet.size(), parseSeconds, parses / parseSeconds, parses * packet.size() / parseSeconds / 1e6, records);

    std::vector<DnsMessage> messages;
    for (int i = 0; i < services; ++i) messages.push_back(parseMessage(announcement(i)));
    ServiceBrowser browser(BrowserSettings{{kType}, 60'000'000}, 1);
    std::int64_t now = 0;
    for (int i = 0; i < services; ++i) browser.handle(messages[i], now, hostAddress(i));
    const std::size_t found = browser.takeEvents().size();
    start = Clock::now();
    for (int r = 0; r < rounds; ++r) {
        now += 1'000'000;
        for (int i = 0; i < services; ++i) browser.handle(messages[i], now, hostAddress(i));
        browser.poll(now);
    }
    const double browseSeconds = seconds(Clock::now() - start);
    const long handled = static_cast<long>(rounds) * services;
    std::printf("browse: %d services (%zu found), %ld re-announcements in %.3f s: %.0f packets/s, %.1f us per packet\n",
                services, found, handled, browseSeconds, handled / browseSeconds, browseSeconds / handled * 1e6);
    if (found != static_cast<std::size_t>(services) || !browser.takeEvents().empty()) {
        std::fprintf(stderr, "unexpected events: the browser did not resolve every service exactly once\n");
        return 1;
    }
    return 0;
}
