#pragma once
// DNS-SD browsing over mDNS as a state machine without sockets or clocks of its own: the caller
// feeds it received messages and the time, and asks it which questions to send and what changed.
// That keeps RFC 6762/6763 behaviour (TTLs, refresh at 80% of TTL, goodbyes, cache flush, query
// backoff) testable with crafted messages and a fake clock.
//
//   browse:  PTR <type>.local                  -> instance names
//   resolve: SRV + TXT <instance>              -> host name, port, path, transport
//            A / AAAA <host>                   -> addresses
// A service is reported found once all of those are known, again when any of it changes, and lost
// when a record it needs goes away: "goodbye" (a TTL 0 record, RFC 6762 §10.1) or "ttl expired".
#include "DnsMessage.h"

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mc::mdns {

struct BrowserSettings {
    std::vector<DnsName> types;                 // e.g. _mcp._tcp.local
    std::int64_t maxQueryIntervalUs = 60'000'000; // cap of the 1 s, 2 s, 4 s ... query backoff
    // A flood from one sender cannot fill the cache: each sender (source address) holds at most
    // maxRecordsPerSender records, all together at most maxRecords; records past a cap are dropped
    // (counted), never put in the place of other senders' records.
    std::size_t maxRecordsPerSender = 256;
    std::size_t maxRecords = 10000;
};

// What the cache holds and what it refused (a state report's "counters").
struct BrowserStats {
    std::size_t cachedRecords = 0;
    std::size_t senders = 0;          // senders holding at least one record
    std::uint64_t droppedRecords = 0; // new records refused: a sender at its cap, or the cache full
    std::size_t cappedSenders = 0;    // senders at their cap now
};

// A resolved service: what a "found" event reports.
struct ServiceEndpoint {
    std::string key;       // the full instance name, e.g. "Everything._mcp._tcp.local"
    std::string name;      // the instance label, e.g. "Everything"
    std::string type;      // "_mcp._tcp"
    std::string transport; // "http" or "sse"
    std::string url;       // http://<address>:<port><path>
    std::string host;      // SRV target, e.g. "box.local"
    std::uint16_t port = 0;
    std::vector<std::string> addresses;                   // IPv4 first, each sorted
    std::vector<std::pair<std::string, std::string>> txt; // keys lower-cased, first occurrence wins
    std::uint32_t ttl = 0;                                // of the PTR record

    bool operator==(const ServiceEndpoint& o) const {
        return key == o.key && name == o.name && transport == o.transport && url == o.url && host == o.host &&
               port == o.port && addresses == o.addresses && txt == o.txt;
    }
    bool operator!=(const ServiceEndpoint& o) const { return !(*this == o); }
};

struct BrowserEvent {
    enum class Kind { Found, Lost };
    Kind kind = Kind::Found;
    ServiceEndpoint endpoint; // for Lost: the endpoint last reported
    std::string reason;       // Lost: "goodbye" or "ttl expired"
};

// What to send now: questions, with the known answers that let responders stay quiet (RFC 6762 §7.1).
struct Query {
    std::vector<DnsQuestion> questions;
    std::vector<DnsRecord> knownAnswers;
    bool browse = false; // includes the periodic PTR browse of every type
    bool empty() const { return questions.empty(); }
};

class ServiceBrowser {
public:
    explicit ServiceBrowser(BrowserSettings settings, std::uint32_t seed = std::random_device{}());

    // Takes the records of a response (answers and additionals); queries and non-zero opcodes or
    // rcodes are ignored as RFC 6762 §18 requires. `sender`: the source address, the unit of the
    // per-sender record cap (a record stays charged to the sender that first sent it).
    void handle(const DnsMessage& message, std::int64_t nowUs, const std::string& sender = "");
    // Expires records and decides what to ask. Call it after handle() and whenever nextDeadlineUs() passes.
    Query poll(std::int64_t nowUs);
    // Browses again right away and restarts the backoff at 1 s.
    void refresh(std::int64_t nowUs);

    std::vector<BrowserEvent> takeEvents();
    std::vector<std::string> takeWarnings(); // e.g. an unknown TXT transport, once per service and value
    std::int64_t nextDeadlineUs() const;
    std::size_t resolvedCount() const { return reported_.size(); }
    BrowserStats stats() const;

private:
    struct Cached {
        DnsRecord record;
        std::int64_t receivedUs = 0;
        std::int64_t expiresUs = 0;
        std::int64_t refreshAtUs = 0; // next refresh query; INT64_MAX when none is due any more
        int refreshStep = 0;          // 0..3: the 80, 85, 90, 95 % points
        bool goodbye = false;
        std::string sender;           // charged to this sender's cap
    };
    struct Backoff {
        std::int64_t nextUs = 0;
        std::int64_t intervalUs = 1'000'000;
    };

    // Every lookup is by name: the cache is indexed by name key, then by DnsRecord::dataKey().
    using RecordSet = std::map<std::string, Cached>;
    const RecordSet* recordsNamed(const std::string& nameKey) const;
    bool isKnownInstance(const std::string& key) const; // a browsed PTR points at it
    void store(const DnsRecord& record, std::int64_t nowUs, const std::string& sender);

    void scheduleRefresh(Cached& entry);
    bool expire(std::int64_t nowUs); // true when a record went
    // Resolves the services (all, or the instance keys in `only`) and records found/lost events.
    void evaluate(const std::set<std::string>* only);
    bool resolve(const Cached& ptr, ServiceEndpoint& out, std::vector<DnsQuestion>& missing);
    // Adds the question unless `asked` (the keys of what `into` holds) has it: a set lookup, as one
    // packet can name hundreds of services and a poll may ask thousands of questions.
    static void ask(std::vector<DnsQuestion>& into, std::set<std::string>& asked, const DnsName& name, std::uint16_t type);

    BrowserSettings settings_;
    std::mt19937 random_;
    std::set<std::string> typeKeys_;
    std::map<std::string, RecordSet> cache_; // name key -> its records
    std::size_t cachedCount_ = 0;
    struct SenderRecords {
        std::size_t count = 0;
        bool warned = false; // its cap was reported (a warning) since it last held no record
    };
    std::map<std::string, SenderRecords> senders_; // only senders holding records: bounded by the cache
    std::uint64_t droppedRecords_ = 0;
    std::size_t capWarnings_ = 0;
    std::map<std::string, ServiceEndpoint> reported_; // instance key -> what was reported found
    std::set<std::string> goodbyeNames_; // names whose records left by goodbye since the last evaluate()
    std::set<std::string> warned_;
    std::vector<std::string> warnings_;
    std::vector<BrowserEvent> events_;
    std::map<std::string, std::vector<DnsQuestion>> missing_; // instance key -> what it still needs
    std::map<std::string, std::set<std::string>> hostInstances_; // SRV target key -> instance keys
    std::map<std::string, Backoff> resolveBackoff_; // question key -> its schedule
    std::int64_t nextBrowseUs_ = 0;
    std::int64_t browseIntervalUs_ = 1'000'000;
};

} // namespace mc::mdns
