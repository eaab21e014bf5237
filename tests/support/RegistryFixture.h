#pragma once
// A local MCP Registry for tests: Poco HTTPServer on 127.0.0.1 serving GET /v0.1/servers in the
// registry's published ServerList shape (servers[] of {server, _meta}, metadata.nextCursor/count),
// with cursor + limit pagination, updated_since, a switch to answer only /v0/servers (404 on v0.1),
// `search` (substring of the name), a page that can be made malformed, an outage switch and a delay
// before answering. Every request is recorded.
#include <Poco/Net/HTTPServer.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mc::test {

class RegistryFixture {
public:
    struct Server {
        std::string name;        // io.example/weather
        std::string serverJson;  // the ServerDetail object without name/version (remotes, packages, title...)
        std::string status = "active";
        long long updatedUs = 0; // set by put(): when it last changed
        std::string rawEntry;    // putRaw(): this exact element of "servers" instead of {server, _meta}
    };

    RegistryFixture();
    ~RegistryFixture();
    RegistryFixture(const RegistryFixture&) = delete;
    RegistryFixture& operator=(const RegistryFixture&) = delete;

    unsigned short port() const;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

    // Adds or replaces a server (order of first put is list order); stamps updatedUs = now.
    void put(const std::string& name, const std::string& serverJson, const std::string& status = "active");
    // Adds or replaces an element of "servers" sent exactly as given (e.g. a string, an object
    // without a name); `label` identifies it for replacement and `search`.
    void putRaw(const std::string& label, const std::string& entryJson);
    void setLegacyOnly(bool v);       // 404 on /v0.1/servers, serve /v0/servers
    void setPaddingBytes(std::size_t n); // every page carries this many more bytes (an oversized registry)
    void setChunked(bool v);          // answer without Content-Length (chunked transfer encoding)
    void setMalformedPage(int page);  // 1-based page number answered with broken JSON; 0: none
    void setDown(bool v);             // 503 for everything
    void setDelayMs(int ms);          // wait this long before answering (a slow registry)
    std::vector<std::string> requests() const; // "GET /v0.1/servers?limit=2&cursor=..." in order
    void clearRequests();

    // "{...}" ServerDetail helpers.
    static std::string remote(const std::string& type, const std::string& url, const std::string& extra = "");
    static std::string npmPackage(const std::string& identifier, const std::string& version);

private:
    class Handler;
    // Everything a request reads, shared with the handlers: a handler still running when the fixture
    // is destroyed (one sleeping out setDelayMs after its client timed out) must not touch freed memory.
    struct State {
        mutable std::mutex mutex;
        std::vector<Server> servers;
        bool legacyOnly = false;
        int malformedPage = 0;
        bool down = false;
        int delayMs = 0;
        std::size_t paddingBytes = 0;
        bool chunked = false;
        std::vector<std::string> requests;
        std::string answer(const std::string& path, const std::map<std::string, std::string>& query, int& status, bool& chunked);
    };

    std::shared_ptr<State> state_ = std::make_shared<State>();
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

} // namespace mc::test
