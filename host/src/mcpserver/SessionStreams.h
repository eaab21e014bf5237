#pragma once
// The server-to-client streams of MCP sessions: what the 2025 era's GET request on the endpoint
// opens (server-sent events). Each message posted to a session gets the session's next event id and
// is kept among its last kKept, so that a client reconnecting with Last-Event-ID receives what it
// missed. One stream per session at a time: a new one replaces (ends) the old, and the client's SDK
// resumes on the new one.
//
// Independent of HTTP: a stream is the two functions the web layer gives (write an event, end).
// Sending never waits (the web layer's write is non-blocking), so one slow agent delays nobody.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace mc::host {

class SessionStreams {
public:
    static constexpr std::size_t kKept = 256;

    struct Stream {
        std::function<bool(const std::string& event)> send; // one SSE event; false: the client is gone
        std::function<void()> end;
    };
    // Opens `session`'s stream: first a priming event (the last id, no data: the client can resume
    // from it), then what followed `lastEventId` ("" or an id not of this session: nothing). Returns
    // the stream's token for detach(); 0 after endAll() (the stream is not kept).
    std::uint64_t attach(const std::string& session, Stream stream, const std::string& lastEventId);
    // The client left (or fell behind and was dropped): later messages are kept for its return.
    void detach(const std::string& session, std::uint64_t token);
    // One JSON-RPC message for the session: sent at once on its open stream, kept for resumption.
    void post(const std::string& session, const std::string& message);
    // The session ended: its stream ends, its messages are dropped.
    void forget(const std::string& session);
    // Every stream ends (the host stops).
    void endAll();
    // A comment on every open stream, so that an idle one is not given up by the client or a proxy
    // between (Node's fetch gives up on a body silent for 5 minutes).
    void keepAlive();
    static constexpr const char* kKeepAliveComment = ": keep-alive\n\n";
    bool open(const std::string& session) const;
    std::size_t openCount() const;

    // One server-sent event: "id: <id>\ndata: <data>\n\n" (data is one line of JSON).
    static std::string event(std::uint64_t id, const std::string& data);

private:
    struct Entry {
        std::uint64_t nextId = 1;
        std::deque<std::pair<std::uint64_t, std::string>> kept;
        Stream stream;
        std::uint64_t token = 0; // 0: no stream open
    };
    mutable std::mutex mutex_;
    std::map<std::string, Entry> sessions_;
    std::uint64_t nextToken_ = 1;
    bool ended_ = false;
};

} // namespace mc::host
