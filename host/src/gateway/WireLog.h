#pragma once
// The protocol inspector's memory of one MCP server: every JSON-RPC message the gateway sent it and
// got from it, in order, in a bounded ring (the oldest go first), each response paired with its
// request (the method it answers, how long it took), and over HTTP the exchanges that carried them
// (status, headers with secrets redacted, sizes). What MCP Inspector's Protocol and Network views show
// for one session, kept for every server the gateway speaks to. Thread-safe; recording takes one short lock.
// Recording is on a call's way (a request is recorded before it is sent, a response before it is
// answered), so it only copies: an entry is made once and shared by the ring and the caller, and an
// exchange keeps its header lines as they came; JSON (with secrets redacted) is made when an entry
// is read, published or stored, which every way out does through toJson or toCaptureJson.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

class WireLog {
public:
    enum class Direction { Out, In }; // to the server, from the server
    enum class Kind { Request, Response, Error, Notification, Http };
    struct Entry {
        std::uint64_t seq = 0; // per server, from 1; the cursor of the list
        long long unixMicros = 0;
        Direction direction = Direction::Out;
        Kind kind = Kind::Notification;
        std::string method;       // a response's is the method of the request it answers ("" when unknown)
        std::string idJson;       // "" for notifications
        long long durationMicros = -1; // a response: since its request (-1: not paired)
        std::size_t bytes = 0;    // the whole message
        bool truncated = false;
        std::string json;         // the message, its first max_message_bytes ("" for Http)
        int httpStatus = 0;       // Http: the response's status (0: none came)
        struct Http {             // Http: the exchange as the transport reported it, secrets included
            std::string method, target, requestHeaders, responseHeaders, error;
            std::uint64_t requestBytes = 0;
            long long responseBytes = -1;
        } http;
    };
    using EntryPtr = std::shared_ptr<const Entry>;
    // One HTTP exchange as the transport reported it (mc_http_exchange), borrowed.
    struct Exchange {
        std::string_view method, target;
        int status = 0;
        std::string_view requestHeaders, responseHeaders; // "Name: value\r\n" lines
        std::uint64_t requestBytes = 0;
        long long responseBytes = -1;
        long long durationMicros = 0;
        std::string_view jsonrpcId, error;
    };
    // What a message the gateway sends is (it built it: nothing to parse).
    struct Label {
        Kind kind = Kind::Notification;
        std::string method;
        std::string idJson;
    };
    struct Query {
        std::optional<Direction> direction;
        std::string method;       // "" for all
        std::uint64_t before = 0; // only entries with seq below it (0: from the newest)
        std::size_t limit = 100;
    };

    WireLog(std::size_t capacity, std::size_t maxMessageBytes) : capacity_(capacity), maxBytes_(maxMessageBytes) {}
    bool enabled() const { return capacity_ > 0; }

    // Records one message; null when the inspector keeps nothing (capacity 0).
    EntryPtr record(Direction direction, Kind kind, const std::string& method, const std::string& idJson, std::string_view json);
    // Records an exchange (direction out: the gateway asked); its method is that of the JSON-RPC
    // request it carried, when the ring knows it.
    EntryPtr recordExchange(const Exchange& exchange);
    // The newest request `direction`-ward with this id recorded before seq `before`, if the ring holds it.
    EntryPtr findRequest(Direction direction, const std::string& idJson, std::uint64_t before) const;
    // What gateway.capture = errors stores: an error response, a tool result with isError, an HTTP
    // exchange with no response or a 4xx/5xx status.
    static bool isFailure(const Entry& entry);
    // The entry as a protocol_message record (RecordSchema) with this id.
    static std::string toCaptureJson(const Entry& entry, const std::string& mcpId, const std::string& id);
    // Newest first, at most `limit`.
    std::vector<Entry> query(const Query& query) const;
    std::uint64_t recorded() const; // every message ever recorded (what the ring lost included)

    static const char* name(Direction direction);
    static const char* name(Kind kind);
    static std::optional<Direction> parseDirection(const std::string& text);
    // Header lines as a JSON object, the values of secret-bearing headers (Authorization, cookies,
    // API keys, tokens, passwords) replaced by "[redacted]"; repeated names joined by ", ".
    static std::string headersJson(std::string_view lines);
    // An Http entry's {"method","target","status","request_headers",...}, its secrets redacted.
    static std::string httpJson(const Entry& entry);
    static bool isSecretHeader(std::string_view name);
    // {"seq","timestamp","mcp_id","direction","kind","method","id","duration_ms","bytes","truncated","message"}:
    // the message as JSON when it was kept whole, else as text; an exchange has "http" and a null message.
    static std::string toJson(const Entry& entry, const std::string& mcpId);

private:
    EntryPtr keepLocked(EntryPtr entry); // into the ring (mutex_ held)
    struct Asked {
        long long unixMicros;
        std::string method;
    };
    const std::size_t capacity_;
    const std::size_t maxBytes_;
    mutable std::mutex mutex_;
    std::deque<EntryPtr> ring_;
    std::uint64_t nextSeq_ = 1;
    // Requests waiting for their response, by direction and id: pairing (bounded like the ring).
    std::map<std::pair<Direction, std::string>, Asked> asked_;
};

} // namespace mc::host
