#include "ServiceBrowser.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <limits>

namespace mc::mdns {
namespace {

constexpr std::int64_t kSecondUs = 1'000'000;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxCapWarnings = 64; // senders warned about by name; the rest are counted only

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string questionKey(const DnsName& name, std::uint16_t type) { return name.key() + '|' + std::to_string(type); }

// DnsRecord::dataKey() of the PTR record <type> -> <instance> (both name keys).
std::string ptrDataKey(const std::string& type, const std::string& instance) {
    return type + '|' + std::to_string(dns_type::PTR) + '|' + instance;
}

bool isLinkLocalV6(const std::string& address) { return lower(address).rfind("fe80:", 0) == 0; }

// RFC 6763 §6.3-6.5: "key=value" or a bare "key"; keys compare without case, the first one wins,
// a string without a key is ignored.
std::vector<std::pair<std::string, std::string>> parseTxt(const std::vector<std::string>& strings) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& s : strings) {
        const auto eq = s.find('=');
        std::string key = lower(s.substr(0, eq));
        if (key.empty()) continue;
        const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& kv) { return kv.first == key; });
        if (!seen) out.emplace_back(std::move(key), eq == std::string::npos ? std::string() : s.substr(eq + 1));
    }
    return out;
}

const std::string* txtValue(const std::vector<std::pair<std::string, std::string>>& txt, const std::string& key) {
    for (const auto& kv : txt)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

} // namespace

ServiceBrowser::ServiceBrowser(BrowserSettings settings, std::uint32_t seed)
    : settings_(std::move(settings)), random_(seed) {
    for (const auto& type : settings_.types) typeKeys_.insert(type.key());
}

const ServiceBrowser::RecordSet* ServiceBrowser::recordsNamed(const std::string& nameKey) const {
    auto found = cache_.find(nameKey);
    return found == cache_.end() ? nullptr : &found->second;
}

void ServiceBrowser::handle(const DnsMessage& message, std::int64_t nowUs, const std::string& sender) {
    if (!message.isResponse() || message.opcode() != 0 || message.rcode() != 0) return;
    std::vector<std::pair<std::string, const DnsRecord*>> records; // name key, record
    for (const auto* section : {&message.answers, &message.additionals})
        for (const auto& r : *section)
            if (r.rclass == kClassIn) records.emplace_back(r.name.key(), &r);
    // In dependency order, so a response carrying PTR, SRV, TXT and A together resolves at once; only
    // records a browsed PTR leads to are kept. Only the services they touch are looked at again.
    std::set<std::string> touched;
    for (const auto& [key, r] : records)
        if (r->type == dns_type::PTR && typeKeys_.count(key)) {
            store(*r, nowUs, sender);
            touched.insert(r->ptr.key());
        }
    for (const auto& [key, r] : records)
        if ((r->type == dns_type::SRV || r->type == dns_type::TXT) && isKnownInstance(key)) {
            store(*r, nowUs, sender);
            touched.insert(key);
            if (r->type == dns_type::SRV) hostInstances_[r->srv.target.key()].insert(key);
        }
    for (const auto& [key, r] : records) {
        if (r->type != dns_type::A && r->type != dns_type::AAAA) continue;
        auto users = hostInstances_.find(key);
        if (users == hostInstances_.end()) continue;
        store(*r, nowUs, sender);
        touched.insert(users->second.begin(), users->second.end());
    }
    evaluate(&touched);
}

bool ServiceBrowser::isKnownInstance(const std::string& key) const {
    for (const auto& type : typeKeys_) {
        const RecordSet* ptrs = recordsNamed(type);
        if (ptrs && ptrs->count(ptrDataKey(type, key))) return true;
    }
    return false;
}

void ServiceBrowser::store(const DnsRecord& record, std::int64_t nowUs, const std::string& sender) {
    const std::string key = record.dataKey();
    RecordSet& rrs = cache_[record.name.key()];
    auto found = rrs.find(key);
    if (record.ttl == 0) {
        // Goodbye: keep the record one more second (RFC 6762 §10.1), then it is gone.
        if (found != rrs.end() && !found->second.goodbye) {
            found->second.goodbye = true;
            found->second.expiresUs = nowUs + kSecondUs;
            found->second.refreshAtUs = kNever;
        }
        return;
    }
    if (record.cacheFlush) {
        // RFC 6762 §10.2: other data of this RRset older than a second is replaced; keep it one second.
        for (auto& [k, e] : rrs)
            if (k != key && e.record.type == record.type && e.receivedUs < nowUs - kSecondUs) {
                e.expiresUs = std::min(e.expiresUs, nowUs + kSecondUs);
                e.refreshAtUs = kNever;
            }
    }
    if (found == rrs.end()) {
        // Checked before a record is added, so a sender at its cap never displaces anyone else's.
        auto mine = senders_.find(sender);
        if (mine != senders_.end() && mine->second.count >= settings_.maxRecordsPerSender) {
            ++droppedRecords_;
            if (!mine->second.warned && capWarnings_ < kMaxCapWarnings) {
                ++capWarnings_;
                warnings_.push_back("mDNS sender " + (sender.empty() ? std::string("(unknown)") : sender) + " holds " +
                                    std::to_string(mine->second.count) + " records, its cap (max_records_per_sender): "
                                    "its new records are dropped while that lasts, first " + typeName(record.type) +
                                    " '" + record.name.text() + "' (counted in dropped_records)");
            }
            mine->second.warned = true;
            return;
        }
        if (cachedCount_ >= settings_.maxRecords) {
            ++droppedRecords_;
            if (warned_.insert("cache-full").second)
                warnings_.push_back("record cache full (" + std::to_string(settings_.maxRecords) + " records): dropping " +
                                    typeName(record.type) + " '" + record.name.text() +
                                    "' and further new records (counted in dropped_records)");
            return;
        }
        found = rrs.emplace(key, Cached{}).first;
        found->second.sender = sender;
        ++senders_[sender].count;
        ++cachedCount_;
    }
    Cached& entry = found->second;
    entry.record = record;
    entry.receivedUs = nowUs;
    entry.expiresUs = nowUs + std::int64_t(record.ttl) * kSecondUs;
    entry.goodbye = false;
    entry.refreshStep = 0;
    scheduleRefresh(entry);
}

BrowserStats ServiceBrowser::stats() const {
    std::size_t capped = 0;
    for (const auto& [_, s] : senders_) capped += s.count >= settings_.maxRecordsPerSender;
    return BrowserStats{cachedCount_, senders_.size(), droppedRecords_, capped};
}

// RFC 6762 §5.2: re-query at 80, 85, 90 and 95 % of the TTL, each with up to 2 % random variance.
void ServiceBrowser::scheduleRefresh(Cached& entry) {
    if (entry.refreshStep >= 4 || entry.goodbye) {
        entry.refreshAtUs = kNever;
        return;
    }
    const double percent = 80.0 + 5.0 * entry.refreshStep + std::uniform_real_distribution<double>(0.0, 2.0)(random_);
    entry.refreshAtUs = entry.receivedUs + static_cast<std::int64_t>(double(entry.record.ttl) * kSecondUs * percent / 100.0);
}

bool ServiceBrowser::expire(std::int64_t nowUs) {
    const std::size_t before = cachedCount_;
    for (auto named = cache_.begin(); named != cache_.end();) {
        RecordSet& rrs = named->second;
        for (auto it = rrs.begin(); it != rrs.end();) {
            if (it->second.expiresUs > nowUs) {
                ++it;
                continue;
            }
            if (it->second.goodbye) {
                goodbyeNames_.insert(named->first);
                if (it->second.record.type == dns_type::PTR) goodbyeNames_.insert(it->second.record.ptr.key());
            }
            if (auto owner = senders_.find(it->second.sender); owner != senders_.end() && --owner->second.count == 0)
                senders_.erase(owner);
            it = rrs.erase(it);
            --cachedCount_;
        }
        named = rrs.empty() ? cache_.erase(named) : std::next(named);
    }
    return cachedCount_ != before;
}

bool ServiceBrowser::resolve(const Cached& ptrEntry, ServiceEndpoint& out, std::vector<DnsQuestion>& missing) {
    const DnsName& instance = ptrEntry.record.ptr;
    const std::string instanceKey = instance.key();
    const DnsRecord* srv = nullptr;
    const DnsRecord* txt = nullptr; // the newest one: a replaced TXT lingers for a second (cache flush)
    std::int64_t txtReceivedUs = -1;
    static const RecordSet kNone;
    const RecordSet* named = recordsNamed(instanceKey);
    for (const auto& [_, e] : named ? *named : kNone) {
        const DnsRecord& r = e.record;
        if (r.type == dns_type::SRV &&
            (!srv || r.srv.priority < srv->srv.priority || (r.srv.priority == srv->srv.priority && r.srv.weight > srv->srv.weight)))
            srv = &r;
        if (r.type == dns_type::TXT && e.receivedUs > txtReceivedUs) {
            txt = &r;
            txtReceivedUs = e.receivedUs;
        }
    }
    if (!srv) missing.push_back(DnsQuestion{instance, dns_type::SRV});
    if (!txt) missing.push_back(DnsQuestion{instance, dns_type::TXT});
    if (!srv) return false;
    hostInstances_[srv->srv.target.key()].insert(instanceKey);
    std::vector<std::string> v4, v6;
    const RecordSet* hostRecords = recordsNamed(srv->srv.target.key());
    for (const auto& [_, e] : hostRecords ? *hostRecords : kNone) {
        if (e.record.type == dns_type::A) v4.push_back(e.record.address);
        if (e.record.type == dns_type::AAAA) v6.push_back(e.record.address);
    }
    if (v4.empty() && v6.empty()) {
        missing.push_back(DnsQuestion{srv->srv.target, dns_type::A});
        missing.push_back(DnsQuestion{srv->srv.target, dns_type::AAAA});
        return false;
    }
    if (!txt) return false;

    out = ServiceEndpoint{};
    out.key = instance.text();
    out.name = instance.labels.empty() ? std::string() : instance.labels.front();
    DnsName type = ptrEntry.record.name;
    if (!type.labels.empty()) type.labels.pop_back(); // the domain, "local"
    out.type = type.text();
    out.host = srv->srv.target.text();
    out.port = srv->srv.port;
    out.ttl = ptrEntry.record.ttl;
    out.txt = parseTxt(txt->txt);
    std::sort(v4.begin(), v4.end());
    std::sort(v6.begin(), v6.end());
    out.addresses = v4;
    out.addresses.insert(out.addresses.end(), v6.begin(), v6.end());

    const std::string* transport = txtValue(out.txt, "transport");
    const std::string wanted = transport ? lower(*transport) : std::string("streamable-http");
    if (wanted == "streamable-http" || wanted == "http") {
        out.transport = "http";
    } else if (wanted == "sse") {
        out.transport = "sse";
    } else {
        if (warned_.insert(out.key + "|transport|" + wanted).second)
            warnings_.push_back("service '" + out.key + "' announces transport '" + *transport +
                                "' in its TXT record; only 'streamable-http' and 'sse' are supported, so it is not reported");
        return false;
    }
    std::string address;
    if (!v4.empty()) {
        address = v4.front();
    } else {
        for (const auto& a : v6)
            if (!isLinkLocalV6(a)) {
                address = "[" + a + "]";
                break;
            }
    }
    if (address.empty()) {
        if (warned_.insert(out.key + "|address").second)
            warnings_.push_back("service '" + out.key + "' has only link-local IPv6 addresses; a URL needs a zone, so it is not reported");
        return false;
    }
    const std::string* path = txtValue(out.txt, "path");
    std::string urlPath = path && !path->empty() ? *path : std::string("/mcp");
    if (urlPath.front() != '/') urlPath.insert(urlPath.begin(), '/');
    out.url = "http://" + address + ":" + std::to_string(out.port) + urlPath;
    return true;
}

void ServiceBrowser::evaluate(const std::set<std::string>* only) {
    if (!only) {
        missing_.clear();
        hostInstances_.clear(); // rebuilt below from the SRV records still cached
    }
    std::map<std::string, ServiceEndpoint> current; // instance key -> endpoint
    auto consider = [&](const Cached& ptr, const std::string& instance) {
        ServiceEndpoint endpoint;
        std::vector<DnsQuestion> missing;
        if (resolve(ptr, endpoint, missing)) current.emplace(instance, std::move(endpoint));
        if (missing.empty()) missing_.erase(instance);
        else missing_[instance] = std::move(missing);
    };
    for (const auto& type : typeKeys_) {
        const RecordSet* ptrs = recordsNamed(type);
        if (!ptrs) continue;
        if (only) { // by key: a packet costs the services it names, not all of them
            for (const auto& instance : *only) {
                auto ptr = ptrs->find(ptrDataKey(type, instance));
                if (ptr != ptrs->end()) consider(ptr->second, instance);
            }
            continue;
        }
        for (const auto& [_, e] : *ptrs)
            if (e.record.type == dns_type::PTR) consider(e, e.record.ptr.key());
    }
    for (auto it = reported_.begin(); it != reported_.end();) {
        if ((only && !only->count(it->first)) || current.count(it->first)) {
            ++it;
            continue;
        }
        const ServiceEndpoint& endpoint = it->second;
        const bool goodbye = goodbyeNames_.count(it->first) || goodbyeNames_.count(DnsName::fromText(endpoint.host).key());
        events_.push_back(BrowserEvent{BrowserEvent::Kind::Lost, endpoint, goodbye ? "goodbye" : "ttl expired"});
        it = reported_.erase(it);
    }
    for (auto& [instance, endpoint] : current) {
        auto before = reported_.find(instance);
        if (before != reported_.end() && before->second == endpoint) continue;
        events_.push_back(BrowserEvent{BrowserEvent::Kind::Found, endpoint, {}});
        reported_[instance] = std::move(endpoint);
    }
    goodbyeNames_.clear();
}

void ServiceBrowser::ask(std::vector<DnsQuestion>& into, std::set<std::string>& asked, const DnsName& name,
                         std::uint16_t type) {
    if (asked.insert(questionKey(name, type)).second) into.push_back(DnsQuestion{name, type});
}

Query ServiceBrowser::poll(std::int64_t nowUs) {
    if (expire(nowUs)) evaluate(nullptr); // anything may depend on what went
    Query query;
    std::set<std::string> asked;
    if (nowUs >= nextBrowseUs_) {
        query.browse = true;
        for (const auto& type : settings_.types) {
            ask(query.questions, asked, type, dns_type::PTR);
            const RecordSet* ptrs = recordsNamed(type.key());
            if (!ptrs) continue;
            for (const auto& [_, e] : *ptrs) {
                // Known answers with more than half their TTL left (RFC 6762 §7.1).
                const std::int64_t remaining = e.expiresUs - nowUs;
                if (e.record.type != dns_type::PTR || e.goodbye ||
                    remaining * 2 <= std::int64_t(e.record.ttl) * kSecondUs)
                    continue;
                DnsRecord known = e.record;
                known.ttl = static_cast<std::uint32_t>(remaining / kSecondUs);
                query.knownAnswers.push_back(std::move(known));
            }
        }
        nextBrowseUs_ = nowUs + browseIntervalUs_;
        browseIntervalUs_ = std::min(browseIntervalUs_ * 2, std::max<std::int64_t>(settings_.maxQueryIntervalUs, kSecondUs));
    }
    for (auto& [_, rrs] : cache_)
        for (auto& [__, e] : rrs) {
            if (e.refreshAtUs > nowUs) continue;
            ask(query.questions, asked, e.record.name, e.record.type);
            while (e.refreshAtUs <= nowUs) { // one question even when several points passed unnoticed
                ++e.refreshStep;
                scheduleRefresh(e);
            }
        }
    std::map<std::string, Backoff> stillMissing;
    for (const auto& [_, questions] : missing_)
        for (const auto& q : questions) {
            const std::string key = questionKey(q.name, q.type);
            auto known = resolveBackoff_.find(key);
            Backoff backoff = known == resolveBackoff_.end() ? Backoff{nowUs, kSecondUs} : known->second;
            if (nowUs >= backoff.nextUs) {
                ask(query.questions, asked, q.name, q.type);
                backoff.nextUs = nowUs + backoff.intervalUs;
                backoff.intervalUs = std::min(backoff.intervalUs * 2, std::max<std::int64_t>(settings_.maxQueryIntervalUs, kSecondUs));
            }
            stillMissing[key] = backoff;
        }
    resolveBackoff_ = std::move(stillMissing);
    return query;
}

void ServiceBrowser::refresh(std::int64_t nowUs) {
    nextBrowseUs_ = nowUs;
    browseIntervalUs_ = kSecondUs;
}

std::vector<BrowserEvent> ServiceBrowser::takeEvents() { return std::exchange(events_, {}); }
std::vector<std::string> ServiceBrowser::takeWarnings() { return std::exchange(warnings_, {}); }

std::int64_t ServiceBrowser::nextDeadlineUs() const {
    std::int64_t next = nextBrowseUs_;
    for (const auto& [_, rrs] : cache_)
        for (const auto& [__, e] : rrs) next = std::min({next, e.expiresUs, e.refreshAtUs});
    for (const auto& [_, b] : resolveBackoff_) next = std::min(next, b.nextUs);
    return next;
}

} // namespace mc::mdns
