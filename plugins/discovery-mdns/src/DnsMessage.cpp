#include "DnsMessage.h"

#include <arpa/inet.h>

#include <cctype>
#include <map>

namespace mc::mdns {
namespace {

constexpr std::size_t kMaxNameBytes = 255; // wire length, RFC 1035 §3.1
constexpr std::size_t kMaxLabelBytes = 63;
// A name has at most 127 labels, so a legitimate one never needs more compression pointers; a
// packet of pointers chained to pointers would otherwise cost a walk the length of the packet for
// each of its names (quadratic in its size).
constexpr int kMaxPointerHops = 127;
constexpr std::uint16_t kTopBit = 0x8000;

std::string at(std::size_t offset) { return " at offset " + std::to_string(offset); }

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::size_t pos() const { return pos_; }
    std::size_t size() const { return size_; }
    void need(std::size_t bytes, const char* what) const {
        if (bytes > size_ - pos_)
            throw DnsFormatError(std::string(what) + " runs past the end of the message" + at(pos_) + " (needs " +
                                 std::to_string(bytes) + " bytes, " + std::to_string(size_ - pos_) + " left)");
    }
    std::uint8_t u8(const char* what) {
        need(1, what);
        return data_[pos_++];
    }
    std::uint16_t u16(const char* what) {
        need(2, what);
        std::uint16_t v = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32(const char* what) {
        need(4, what);
        std::uint32_t v = std::uint32_t(data_[pos_]) << 24 | std::uint32_t(data_[pos_ + 1]) << 16 |
                          std::uint32_t(data_[pos_ + 2]) << 8 | data_[pos_ + 3];
        pos_ += 4;
        return v;
    }
    std::string bytes(std::size_t n, const char* what) {
        need(n, what);
        std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n;
        return out;
    }

    // A possibly compressed name. Each pointer must point before the start of the labels read so far
    // (strictly decreasing targets), which rules out loops without counting hops.
    DnsName name(const char* what) {
        DnsName out;
        std::size_t cursor = pos_;
        std::size_t segmentStart = pos_;
        std::size_t wireLength = 1; // the root label
        bool jumped = false;
        int hops = 0;
        for (;;) {
            if (cursor >= size_)
                throw DnsFormatError(std::string(what) + ": name runs past the end of the message" + at(cursor));
            const std::uint8_t len = data_[cursor];
            if ((len & 0xC0) == 0xC0) {
                if (cursor + 1 >= size_)
                    throw DnsFormatError(std::string(what) + ": compression pointer cut off" + at(cursor));
                const std::size_t target = std::size_t(len & 0x3F) << 8 | data_[cursor + 1];
                if (target >= segmentStart)
                    throw DnsFormatError(std::string(what) + ": compression pointer" + at(cursor) + " to offset " +
                                         std::to_string(target) + " does not point backwards (a loop)");
                if (++hops > kMaxPointerHops)
                    throw DnsFormatError(std::string(what) + ": more than " + std::to_string(kMaxPointerHops) +
                                         " compression pointers in one name" + at(cursor));
                if (!jumped) pos_ = cursor + 2;
                jumped = true;
                cursor = segmentStart = target;
                continue;
            }
            if ((len & 0xC0) != 0)
                throw DnsFormatError(std::string(what) + ": reserved label type 0x" +
                                     std::string(1, "0123456789abcdef"[len >> 4]) + std::string(1, "0123456789abcdef"[len & 0xF]) +
                                     at(cursor));
            if (len == 0) {
                if (!jumped) pos_ = cursor + 1;
                return out;
            }
            if (cursor + 1 + len > size_)
                throw DnsFormatError(std::string(what) + ": label runs past the end of the message" + at(cursor));
            wireLength += 1 + len;
            if (wireLength > kMaxNameBytes)
                throw DnsFormatError(std::string(what) + ": name longer than 255 bytes" + at(cursor));
            out.labels.emplace_back(reinterpret_cast<const char*>(data_ + cursor + 1), len);
            cursor += 1 + len;
        }
    }

    void seek(std::size_t pos) { pos_ = pos; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

DnsQuestion readQuestion(Reader& in) {
    DnsQuestion q;
    q.name = in.name("question");
    q.type = in.u16("question type");
    const std::uint16_t cls = in.u16("question class");
    q.unicastResponse = (cls & kTopBit) != 0;
    q.qclass = cls & ~kTopBit;
    return q;
}

DnsRecord readRecord(Reader& in) {
    DnsRecord r;
    r.name = in.name("record");
    r.type = in.u16("record type");
    const std::uint16_t cls = in.u16("record class");
    r.cacheFlush = (cls & kTopBit) != 0;
    r.rclass = cls & ~kTopBit;
    r.ttl = in.u32("record TTL");
    const std::uint16_t length = in.u16("record data length");
    const std::size_t start = in.pos();
    in.need(length, "record data");
    const std::size_t end = start + length;
    const std::string what = typeName(r.type) + " record '" + r.name.text() + "'";
    auto expectEnd = [&] {
        if (in.pos() != end)
            throw DnsFormatError(what + ": data length " + std::to_string(length) + " does not match its content" +
                                 at(start));
    };
    switch (r.type) {
    case dns_type::PTR:
        r.ptr = in.name("PTR data");
        expectEnd();
        break;
    case dns_type::SRV:
        if (length < 7) throw DnsFormatError(what + ": SRV data of " + std::to_string(length) + " bytes" + at(start));
        r.srv.priority = in.u16("SRV priority");
        r.srv.weight = in.u16("SRV weight");
        r.srv.port = in.u16("SRV port");
        r.srv.target = in.name("SRV target");
        expectEnd();
        break;
    case dns_type::TXT:
        while (in.pos() < end) {
            const std::uint8_t n = in.u8("TXT string length");
            if (in.pos() + n > end)
                throw DnsFormatError(what + ": TXT string runs past the record data" + at(in.pos() - 1));
            r.txt.push_back(in.bytes(n, "TXT string"));
        }
        break;
    case dns_type::A:
    case dns_type::AAAA: {
        const std::size_t want = r.type == dns_type::A ? 4 : 16;
        if (length != want)
            throw DnsFormatError(what + ": address of " + std::to_string(length) + " bytes, expected " +
                                 std::to_string(want) + at(start));
        const std::string raw = in.bytes(length, "address");
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(r.type == dns_type::A ? AF_INET : AF_INET6, raw.data(), text, sizeof text);
        r.address = text;
        break;
    }
    default:
        r.rdata = in.bytes(length, "record data");
    }
    in.seek(end);
    return r;
}

class Writer {
public:
    void u8(std::uint8_t v) { out_ += static_cast<char>(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void raw(std::string_view bytes) { out_ += bytes; }

    // Writes `name`, pointing at an earlier copy of its longest known suffix.
    void name(const DnsName& name) {
        std::size_t wire = 1;
        for (const auto& label : name.labels) {
            if (label.empty() || label.size() > kMaxLabelBytes)
                throw DnsFormatError("cannot encode name '" + name.text() + "': a label must be 1 to 63 bytes");
            wire += 1 + label.size();
        }
        if (wire > kMaxNameBytes) throw DnsFormatError("cannot encode name '" + name.text() + "': longer than 255 bytes");
        for (std::size_t i = 0; i < name.labels.size(); ++i) {
            DnsName suffix{std::vector<std::string>(name.labels.begin() + static_cast<std::ptrdiff_t>(i), name.labels.end())};
            const std::string key = suffix.key();
            auto known = offsets_.find(key);
            if (known != offsets_.end()) {
                u16(static_cast<std::uint16_t>(0xC000 | known->second));
                return;
            }
            if (out_.size() < 0x3FFF && offsets_.emplace(key, out_.size()).second) added_.push_back(key);
            u8(static_cast<std::uint8_t>(name.labels[i].size()));
            raw(name.labels[i]);
        }
        u8(0);
    }

    void record(const DnsRecord& r) {
        name(r.name);
        u16(r.type);
        u16(static_cast<std::uint16_t>(r.rclass | (r.cacheFlush ? kTopBit : 0)));
        u32(r.ttl);
        const std::size_t lengthAt = out_.size();
        u16(0);
        switch (r.type) {
        case dns_type::PTR: name(r.ptr); break;
        case dns_type::SRV:
            u16(r.srv.priority);
            u16(r.srv.weight);
            u16(r.srv.port);
            name(r.srv.target);
            break;
        case dns_type::TXT:
            for (const auto& s : r.txt) {
                if (s.size() > 255) throw DnsFormatError("cannot encode a TXT string of " + std::to_string(s.size()) + " bytes");
                u8(static_cast<std::uint8_t>(s.size()));
                raw(s);
            }
            if (r.txt.empty()) u8(0); // RFC 6763 §6.1: an empty TXT record holds one empty string
            break;
        case dns_type::A:
        case dns_type::AAAA: {
            unsigned char bytes[16];
            const int family = r.type == dns_type::A ? AF_INET : AF_INET6;
            if (inet_pton(family, r.address.c_str(), bytes) != 1)
                throw DnsFormatError("cannot encode " + typeName(r.type) + " address '" + r.address + "'");
            raw(std::string_view(reinterpret_cast<const char*>(bytes), r.type == dns_type::A ? 4 : 16));
            break;
        }
        default: raw(r.rdata);
        }
        const std::size_t length = out_.size() - lengthAt - 2;
        if (length > 0xFFFF) throw DnsFormatError("record data longer than 65535 bytes");
        out_[lengthAt] = static_cast<char>(length >> 8);
        out_[lengthAt + 1] = static_cast<char>(length & 0xFF);
    }

    void question(const DnsQuestion& q) {
        name(q.name);
        u16(q.type);
        u16(static_cast<std::uint16_t>(q.qclass | (q.unicastResponse ? kTopBit : 0)));
    }
    void header(std::uint16_t id, std::uint16_t flags, std::size_t qd, std::size_t an, std::size_t ns, std::size_t ar) {
        u16(id);
        u16(flags);
        for (std::size_t count : {qd, an, ns, ar}) {
            if (count > 0xFFFF) throw DnsFormatError("more than 65535 entries in a section");
            u16(static_cast<std::uint16_t>(count));
        }
    }
    // Overwrites the 16 bits at `at` (a header field written before).
    void patch16(std::size_t at, std::uint16_t v) {
        out_[at] = static_cast<char>(v >> 8);
        out_[at + 1] = static_cast<char>(v & 0xFF);
    }

    // What was written after mark() can be taken back, compression targets included.
    std::size_t mark() {
        added_.clear();
        return out_.size();
    }
    void rollback(std::size_t mark) {
        for (const auto& key : added_) offsets_.erase(key);
        added_.clear();
        out_.resize(mark);
    }

    std::string take() { return std::move(out_); }
    std::size_t size() const { return out_.size(); }

private:
    std::string out_;
    std::map<std::string, std::size_t> offsets_; // name suffix key -> offset of its first copy
    std::vector<std::string> added_;              // offsets_ keys added since mark()
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::string typeName(std::uint16_t type) {
    switch (type) {
    case dns_type::A: return "A";
    case dns_type::PTR: return "PTR";
    case dns_type::TXT: return "TXT";
    case dns_type::AAAA: return "AAAA";
    case dns_type::SRV: return "SRV";
    case dns_type::ANY: return "ANY";
    default: return "TYPE" + std::to_string(type);
    }
}

DnsName DnsName::fromText(std::string_view text) {
    DnsName out;
    std::string label;
    bool escaped = false;
    for (char c : text) {
        if (escaped) {
            label += c;
            escaped = false;
        } else if (c == '\\') {
            escaped = true;
        } else if (c == '.') {
            if (!label.empty()) out.labels.push_back(std::move(label));
            label.clear();
        } else {
            label += c;
        }
    }
    if (!label.empty()) out.labels.push_back(std::move(label));
    return out;
}

std::string DnsName::text() const {
    std::string out;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out += '.';
        for (char c : labels[i]) {
            if (c == '.' || c == '\\') out += '\\';
            out += c;
        }
    }
    return out;
}

std::string DnsName::key() const { return lower(text()); }

std::string DnsRecord::dataKey() const {
    std::string key = name.key() + '|' + std::to_string(type) + '|';
    switch (type) {
    case dns_type::PTR: return key + ptr.key();
    case dns_type::SRV:
        return key + std::to_string(srv.priority) + ' ' + std::to_string(srv.weight) + ' ' + std::to_string(srv.port) +
               ' ' + srv.target.key();
    case dns_type::TXT:
        for (const auto& s : txt) key += std::to_string(s.size()) + ':' + s;
        return key;
    case dns_type::A:
    case dns_type::AAAA: return key + address;
    default: return key + rdata;
    }
}

DnsRecord DnsRecord::makePtr(const DnsName& name, std::uint32_t ttl, const DnsName& target) {
    DnsRecord r;
    r.name = name;
    r.type = dns_type::PTR;
    r.ttl = ttl;
    r.ptr = target;
    return r;
}

DnsRecord DnsRecord::makeSrv(const DnsName& name, std::uint32_t ttl, std::uint16_t port, const DnsName& target) {
    DnsRecord r;
    r.name = name;
    r.type = dns_type::SRV;
    r.ttl = ttl;
    r.cacheFlush = true;
    r.srv.port = port;
    r.srv.target = target;
    return r;
}

DnsRecord DnsRecord::makeTxt(const DnsName& name, std::uint32_t ttl, std::vector<std::string> strings) {
    DnsRecord r;
    r.name = name;
    r.type = dns_type::TXT;
    r.ttl = ttl;
    r.cacheFlush = true;
    r.txt = std::move(strings);
    return r;
}

DnsRecord DnsRecord::makeAddress(const DnsName& name, std::uint32_t ttl, const std::string& address) {
    DnsRecord r;
    r.name = name;
    r.type = address.find(':') == std::string::npos ? dns_type::A : dns_type::AAAA;
    r.ttl = ttl;
    r.cacheFlush = true;
    r.address = address;
    return r;
}

DnsMessage parseMessage(const std::uint8_t* data, std::size_t size) {
    if (size > kMaxMessageBytes)
        throw DnsFormatError("message of " + std::to_string(size) + " bytes is larger than " +
                             std::to_string(kMaxMessageBytes));
    Reader in(data, size);
    DnsMessage m;
    m.id = in.u16("header");
    m.flags = in.u16("header");
    const std::uint16_t qd = in.u16("header");
    const std::uint16_t an = in.u16("header");
    const std::uint16_t ns = in.u16("header");
    const std::uint16_t ar = in.u16("header");
    for (unsigned i = 0; i < qd; ++i) m.questions.push_back(readQuestion(in));
    for (unsigned i = 0; i < an; ++i) m.answers.push_back(readRecord(in));
    for (unsigned i = 0; i < ns; ++i) m.authorities.push_back(readRecord(in));
    for (unsigned i = 0; i < ar; ++i) m.additionals.push_back(readRecord(in));
    return m;
}

std::string buildMessage(const DnsMessage& m) {
    Writer out;
    out.header(m.id, m.flags, m.questions.size(), m.answers.size(), m.authorities.size(), m.additionals.size());
    for (const auto& q : m.questions) out.question(q);
    for (const auto* section : {&m.answers, &m.authorities, &m.additionals})
        for (const auto& r : *section) out.record(r);
    if (out.size() > kMaxMessageBytes)
        throw DnsFormatError("message of " + std::to_string(out.size()) + " bytes is larger than " +
                             std::to_string(kMaxMessageBytes));
    return out.take();
}

std::vector<std::string> buildQueryPackets(const std::vector<DnsQuestion>& questions,
                                           const std::vector<DnsRecord>& knownAnswers) {
    std::vector<std::string> packets;
    Writer out;
    std::size_t questionCount = 0, answerCount = 0;
    out.header(0, 0, 0, 0, 0, 0);
    const auto finish = [&](bool moreKnownAnswers) {
        out.patch16(2, moreKnownAnswers ? DnsMessage::kTruncatedFlag : std::uint16_t(0));
        out.patch16(4, static_cast<std::uint16_t>(questionCount));
        out.patch16(6, static_cast<std::uint16_t>(answerCount));
        packets.push_back(out.take());
        out = Writer();
        out.header(0, 0, 0, 0, 0, 0);
        questionCount = answerCount = 0;
    };
    // Each entry goes into the current packet, or (when that would overflow it) opens the next one;
    // an empty packet holds any single question or record (at most a few hundred bytes).
    const auto add = [&](auto&& write, std::size_t& count, bool moreKnownAnswers) {
        const std::size_t mark = out.mark();
        write();
        if (out.size() > kMaxMessageBytes || count == 0xFFFF) {
            out.rollback(mark);
            finish(moreKnownAnswers);
            write();
        }
        ++count;
    };
    for (const auto& q : questions) add([&] { out.question(q); }, questionCount, false);
    for (const auto& r : knownAnswers) add([&] { out.record(r); }, answerCount, true);
    if (questionCount + answerCount > 0 || packets.empty()) finish(false);
    return packets;
}

} // namespace mc::mdns
