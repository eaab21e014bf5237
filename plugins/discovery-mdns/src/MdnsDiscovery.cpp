#include "MdnsDiscovery.h"

#include "mc/json_text.hpp"
#include "mc/thread_name.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <chrono>

namespace mc::mdns {
namespace {

constexpr std::uint16_t kMdnsPort = 5353;
const char* const kMdnsGroup = "224.0.0.251";
constexpr std::int64_t kMaxWaitUs = 200'000;         // how long stop() may wait for the worker to notice
constexpr std::int64_t kReopenIntervalUs = 5'000'000; // retry of a socket that could not be opened

using sdk::json::quote;

// Network text is not trusted to be UTF-8: invalid bytes become U+FFFD so the event stays valid JSON.
std::string utf8(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (ok && n > 1) { // reject overlong forms and surrogates
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            ok = !(n == 2 && c < 0xC2) && !(n == 3 && c == 0xE0 && c1 < 0xA0) && !(n == 3 && c == 0xED && c1 >= 0xA0) &&
                 !(n == 4 && c == 0xF0 && c1 < 0x90) && !(n == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)));
        }
        if (ok) {
            out.append(s, i, n);
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

std::string text(const std::string& s) { return quote(utf8(s)); }

sdk::FoundServer foundServer(const ServiceEndpoint& e) {
    sdk::FoundServer out;
    out.key = utf8(e.key);
    out.name = utf8(e.name);
    out.serverJson = "{\"transport\":" + quote(e.transport) + ",\"url\":" + text(e.url) + ",\"headers\":{}}";
    std::string details = "{\"service\":" + text(e.key) + ",\"type\":" + text(e.type) + ",\"host\":" + text(e.host) +
                          ",\"port\":" + std::to_string(e.port) + ",\"addresses\":[";
    for (std::size_t i = 0; i < e.addresses.size(); ++i) details += (i ? "," : "") + quote(e.addresses[i]);
    details += "],\"txt\":{";
    for (std::size_t i = 0; i < e.txt.size(); ++i)
        details += (i ? "," : "") + text(e.txt[i].first) + ":" + text(e.txt[i].second);
    details += "},\"ttl\":" + std::to_string(e.ttl) + "}";
    out.detailsJson = std::move(details);
    return out;
}

std::string typesText(const std::vector<DnsName>& types) {
    std::string out;
    for (const auto& t : types) out += (out.empty() ? "" : ", ") + t.text();
    return out;
}

} // namespace

MdnsDiscovery::MdnsDiscovery(sdk::Host host, const Settings& settings, sdk::Discovered out)
    : DiscoveryPlugin(host, out), settings_(readMdnsSettings(settings)),
      browser_(BrowserSettings{settings_.types, settings_.maxQueryIntervalMs * 1000,
                               static_cast<std::size_t>(settings_.maxRecordsPerSender)}) {}

MdnsDiscovery::~MdnsDiscovery() { stop(); }

void MdnsDiscovery::start() {
    if (worker_.joinable()) return;
    if (!settings_.interface.empty()) {
        try {
            chooseInterfaces(settings_.interface);
        } catch (const std::exception& e) {
            throw sdk::Error(MC_ERR_CONFIG, std::string("configuration key 'interface': ") + e.what());
        }
    }
    stopping_ = false;
    host().reportStatus(MC_COMPONENT_STARTING, "browsing " + typesText(settings_.types));
    worker_ = std::thread([this] {
        mc::sdk::nameThisThread("mdns-browse");
        run();
    });
}

void MdnsDiscovery::stop() {
    stopping_ = true;
    if (worker_.joinable()) worker_.join();
    closeSocket();
}

void MdnsDiscovery::refresh() { refreshRequested_ = true; }

bool MdnsDiscovery::openSocket(std::string& error) {
    try {
        interfaces_ = chooseInterfaces(settings_.interface);
        auto socket = std::make_unique<Poco::Net::MulticastSocket>(Poco::Net::SocketAddress::IPv4);
        // Shared with any other responder or browser on this machine (avahi, another host instance).
        socket->bind(Poco::Net::SocketAddress(Poco::Net::IPAddress(), kMdnsPort), true, true);
        socket->setTimeToLive(255); // RFC 6762 §11
        socket->setLoopback(true);  // a responder on this machine must hear our questions
        const Poco::Net::IPAddress group(kMdnsGroup);
        for (const auto& nic : interfaces_) socket->joinGroup(group, nic);
        socket_ = std::move(socket);
        host().info("browsing " + typesText(settings_.types) + " on " + describeInterfaces(interfaces_));
        return true;
    } catch (const Poco::Exception& e) {
        error = "cannot open the mDNS socket on port 5353: " + e.displayText();
    } catch (const std::exception& e) {
        error = std::string("cannot open the mDNS socket: ") + e.what();
    }
    socket_.reset();
    return false;
}

void MdnsDiscovery::closeSocket() {
    if (!socket_) return;
    try {
        socket_->close();
    } catch (...) {
    }
    socket_.reset();
}

void MdnsDiscovery::send(const Query& query) {
    // As many packets as the questions and known answers need (a busy network can ask more than fits in one).
    const std::vector<std::string> packets = buildQueryPackets(query.questions, query.knownAnswers);
    const Poco::Net::SocketAddress to(kMdnsGroup, kMdnsPort);
    for (const auto& nic : interfaces_) {
        socket_->setInterface(nic);
        for (const auto& bytes : packets) socket_->sendTo(bytes.data(), static_cast<int>(bytes.size()), to);
    }
}

void MdnsDiscovery::receive(std::int64_t nowUs) {
    char buffer[kMaxMessageBytes + 1];
    Poco::Net::SocketAddress sender;
    const int n = socket_->receiveFrom(buffer, sizeof buffer, sender);
    if (n <= 0) return;
    // RFC 6762 §6: a multicast response must come from port 5353; others (legacy unicast) are not ours.
    if (sender.port() != kMdnsPort) return;
    try {
        browser_.handle(parseMessage(reinterpret_cast<const std::uint8_t*>(buffer), static_cast<std::size_t>(n)), nowUs,
                        sender.host().toString());
    } catch (const DnsFormatError& e) {
        const std::string from = sender.host().toString();
        const std::string line = "dropped a malformed mDNS packet of " + std::to_string(n) + " bytes from " + from + ": " + e.what();
        if (warnedSenders_.size() < 256 && warnedSenders_.insert(from).second)
            host().warn(line + " (further ones from this address are logged at debug level)");
        else
            host().debug(line);
    }
}

void MdnsDiscovery::publish() {
    for (const auto& event : browser_.takeEvents()) {
        if (event.kind == BrowserEvent::Kind::Found) {
            host().info("found '" + event.endpoint.key + "' at " + event.endpoint.url + " (" + event.endpoint.transport + ")");
            discovered().found(foundServer(event.endpoint));
        } else {
            host().info("lost '" + event.endpoint.key + "': " + event.reason);
            discovered().lost(utf8(event.endpoint.key));
        }
    }
    for (const auto& warning : browser_.takeWarnings()) host().warn(warning);
}

void MdnsDiscovery::reportState(mc_component_status status, const std::string& message) {
    host().reportStatus(status, utf8(message));
}

void MdnsDiscovery::run() {
    std::int64_t reopenAtUs = 0;
    std::string lastError;
    while (!stopping_) {
        std::int64_t now = host().monotonicUs();
        if (!socket_) {
            if (now < reopenAtUs) {
                std::this_thread::sleep_for(std::chrono::microseconds(std::min(kMaxWaitUs, reopenAtUs - now)));
                continue;
            }
            std::string error;
            if (!openSocket(error)) {
                if (error != lastError) host().error(error + "; retrying every 5 s");
                lastError = error;
                reportState(MC_COMPONENT_RECOVERABLE_ERROR, error);
                reopenAtUs = now + kReopenIntervalUs;
                continue;
            }
            lastError.clear();
            browser_.refresh(now);
        }
        try {
            if (refreshRequested_.exchange(false)) browser_.refresh(now);
            const Query query = browser_.poll(now);
            if (!query.empty()) send(query);
            publish();
            if (query.browse) {
                const BrowserStats stats = browser_.stats();
                // The counters the 1.x state report carried (cached_records, senders, dropped_records,
                // capped_senders) are in the message now.
                reportState(MC_COMPONENT_OK,
                            "browsed " + typesText(settings_.types) + " on " + describeInterfaces(interfaces_) + "; " +
                                std::to_string(browser_.resolvedCount()) + " service(s) resolved" +
                                (stats.droppedRecords ? "; " + std::to_string(stats.droppedRecords) +
                                                            " record(s) dropped by the per-sender cap or a full cache (" +
                                                            std::to_string(stats.cappedSenders) + " sender(s) capped)"
                                                      : std::string()) +
                                "; " + std::to_string(stats.cachedRecords) + " record(s) cached from " +
                                std::to_string(stats.senders) + " sender(s)");
            }
            const std::int64_t wait = std::clamp<std::int64_t>(browser_.nextDeadlineUs() - now, 0, kMaxWaitUs);
            if (socket_->poll(Poco::Timespan(wait), Poco::Net::Socket::SELECT_READ)) {
                receive(host().monotonicUs());
                publish();
            }
        } catch (const Poco::Exception& e) {
            const std::string error = "mDNS socket failed: " + e.displayText() + "; reopening in 5 s";
            host().error(error);
            reportState(MC_COMPONENT_RECOVERABLE_ERROR, error);
            closeSocket();
            reopenAtUs = host().monotonicUs() + kReopenIntervalUs;
        }
    }
}

} // namespace mc::mdns
