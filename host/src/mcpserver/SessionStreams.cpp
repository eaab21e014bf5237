#include "mcpserver/SessionStreams.h"

#include <charconv>
#include <optional>
#include <vector>

namespace mc::host {
namespace {

std::optional<std::uint64_t> eventIdOf(const std::string& text) {
    std::uint64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return id;
}

} // namespace

std::string SessionStreams::event(std::uint64_t id, const std::string& data) {
    return "id: " + std::to_string(id) + "\ndata: " + data + "\n\n";
}

std::uint64_t SessionStreams::attach(const std::string& session, Stream stream, const std::string& lastEventId) {
    Stream replaced;
    std::vector<std::string> events;
    std::uint64_t token = 0;
    {
        std::lock_guard lock(mutex_);
        if (ended_) return 0;
        auto& entry = sessions_[session];
        replaced = std::move(entry.stream);
        if (!replaced.end) replaced = {};
        entry.stream = stream;
        token = entry.token = nextToken_++;
        events.push_back(event(entry.nextId - 1, ""));
        if (const auto last = eventIdOf(lastEventId); last && *last < entry.nextId)
            for (const auto& [id, message] : entry.kept)
                if (id > *last) events.push_back(event(id, message));
    }
    if (replaced.end) replaced.end();
    // Sent outside the lock: a message posted meanwhile may come before the replay (its id tells).
    for (const auto& e : events)
        if (!stream.send(e)) break;
    return token;
}

void SessionStreams::detach(const std::string& session, std::uint64_t token) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session);
    if (it == sessions_.end() || it->second.token != token) return;
    it->second.token = 0;
    it->second.stream = {};
}

void SessionStreams::post(const std::string& session, const std::string& message) {
    Stream stream;
    std::string text;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(session);
        if (it == sessions_.end()) return; // nobody ever listened: nothing to keep
        auto& entry = it->second;
        const std::uint64_t id = entry.nextId++;
        entry.kept.emplace_back(id, message);
        if (entry.kept.size() > kKept) entry.kept.pop_front();
        if (entry.token == 0) return;
        stream = entry.stream;
        text = event(id, message);
    }
    stream.send(text); // a stream that fails is detached when the web layer hears the client went
}

void SessionStreams::forget(const std::string& session) {
    Stream stream;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(session);
        if (it == sessions_.end()) return;
        stream = std::move(it->second.stream);
        sessions_.erase(it);
    }
    if (stream.end) stream.end();
}

void SessionStreams::endAll() {
    std::vector<Stream> streams;
    {
        std::lock_guard lock(mutex_);
        for (auto& [session, entry] : sessions_)
            if (entry.token) streams.push_back(std::move(entry.stream));
        sessions_.clear();
        ended_ = true;
    }
    for (auto& s : streams)
        if (s.end) s.end();
}

std::size_t SessionStreams::openCount() const {
    std::lock_guard lock(mutex_);
    std::size_t open = 0;
    for (const auto& [session, entry] : sessions_) open += entry.token != 0;
    return open;
}

void SessionStreams::keepAlive() {
    std::vector<Stream> streams;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [session, entry] : sessions_)
            if (entry.token) streams.push_back(entry.stream);
    }
    for (const auto& s : streams) s.send(kKeepAliveComment);
}

bool SessionStreams::open(const std::string& session) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session);
    return it != sessions_.end() && it->second.token != 0;
}

} // namespace mc::host
