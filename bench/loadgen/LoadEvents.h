#pragma once
// What mc-loadgen sends and recognises. Every event is a `log` the seed's StructuredLog and the
// host's record model both accept; its sequence number and send time (steady clock, ns) travel in
// `message` as "lg#<seq>@<ns>" because every server passes that text through unchanged, whatever
// it does with the other fields and however it spaces its JSON.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::loadgen {

using SteadyClock = std::chrono::steady_clock;

inline std::int64_t steadyNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

// `{"events":[...]}` with `count` events from `firstSeq`, all stamped `sentNs`; ids are unique per run.
inline void appendBatchBody(std::string& body, const std::string& runId, std::uint64_t firstSeq, std::size_t count,
                            std::int64_t sentNs) {
    body.assign("{\"events\":[");
    const std::string stamp = std::to_string(sentNs);
    for (std::size_t i = 0; i < count; ++i) {
        const std::string seq = std::to_string(firstSeq + i);
        if (i) body += ',';
        body += "{\"type\":\"log\",\"id\":\"lg-";
        body += runId;
        body += '-';
        body += seq;
        body += "\",\"level\":\"INFO\",\"service\":\"mc-loadgen\",\"mcp_id\":\"loadgen\",\"message\":\"lg#";
        body += seq;
        body += '@';
        body += stamp;
        body += "\",\"context\":{}}";
    }
    body += "]}";
}

struct Stamp {
    std::uint64_t seq;
    std::int64_t sentNs;
};

// The stamp in a received message, or nullopt for anything else (welcome, subscribed, pongs, ...).
inline std::optional<Stamp> findStamp(std::string_view text) {
    const auto at = text.find("lg#");
    if (at == std::string_view::npos) return std::nullopt;
    const char* p = text.data() + at + 3;
    const char* end = text.data() + text.size();
    char* after = nullptr;
    const std::uint64_t seq = std::strtoull(p, &after, 10);
    if (after == p || after >= end || *after != '@') return std::nullopt;
    p = after + 1;
    const std::int64_t sent = std::strtoll(p, &after, 10);
    if (after == p) return std::nullopt;
    return Stamp{seq, sent};
}

// A growable set of sequence numbers (who received or acknowledged what).
class SeqBitmap {
public:
    // True when `seq` was not in the set yet.
    bool insert(std::uint64_t seq) {
        const std::size_t word = static_cast<std::size_t>(seq >> 6);
        if (word >= words_.size()) words_.resize(std::max(word + 1, words_.size() * 2), 0);
        const std::uint64_t bit = std::uint64_t{1} << (seq & 63);
        if (words_[word] & bit) return false;
        words_[word] |= bit;
        return true;
    }
    bool contains(std::uint64_t seq) const {
        const std::size_t word = static_cast<std::size_t>(seq >> 6);
        return word < words_.size() && (words_[word] >> (seq & 63)) & 1;
    }
    template <typename F> void forEach(F&& f) const {
        for (std::size_t w = 0; w < words_.size(); ++w)
            for (std::uint64_t bits = words_[w]; bits; bits &= bits - 1)
                f(static_cast<std::uint64_t>(w) * 64 + static_cast<unsigned>(__builtin_ctzll(bits)));
    }

private:
    std::vector<std::uint64_t> words_;
};

} // namespace mc::loadgen
