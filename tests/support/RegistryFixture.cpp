#include "RegistryFixture.h"

#include "mc/json_text.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <chrono>
#include <thread>

namespace mc::test {

class RegistryFixture::Handler : public Poco::Net::HTTPRequestHandler, public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(state_);
    }
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        Poco::URI uri(request.getURI());
        std::map<std::string, std::string> query;
        for (const auto& [k, v] : uri.getQueryParameters()) query[k] = v;
        int delayMs = 0;
        {
            std::lock_guard lock(state_->mutex);
            state_->requests.push_back(request.getMethod() + " " + request.getURI());
            delayMs = state_->delayMs;
        }
        if (delayMs) std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
        int status = 200;
        bool chunked = false;
        const std::string body = state_->answer(uri.getPath(), query, status, chunked);
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
        response.setContentType("application/json");
        if (chunked) response.setChunkedTransferEncoding(true);
        else response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }

private:
    std::shared_ptr<State> state_;
};

namespace {
long long nowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
} // namespace

RegistryFixture::RegistryFixture() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Handler(state_), socket, params);
    server_->start();
}

RegistryFixture::~RegistryFixture() { server_->stopAll(true); }

unsigned short RegistryFixture::port() const { return server_->port(); }

void RegistryFixture::put(const std::string& name, const std::string& serverJson, const std::string& status) {
    std::lock_guard lock(state_->mutex);
    const long long at = nowUs();
    for (auto& s : state_->servers)
        if (s.name == name) {
            s = Server{name, serverJson, status, at, ""};
            return;
        }
    state_->servers.push_back(Server{name, serverJson, status, at, ""});
}

void RegistryFixture::putRaw(const std::string& label, const std::string& entryJson) {
    std::lock_guard lock(state_->mutex);
    const long long at = nowUs();
    for (auto& s : state_->servers)
        if (s.name == label) {
            s = Server{label, "", "active", at, entryJson};
            return;
        }
    state_->servers.push_back(Server{label, "", "active", at, entryJson});
}

void RegistryFixture::setPaddingBytes(std::size_t n) { std::lock_guard lock(state_->mutex); state_->paddingBytes = n; }
void RegistryFixture::setChunked(bool v) { std::lock_guard lock(state_->mutex); state_->chunked = v; }
void RegistryFixture::setLegacyOnly(bool v) { std::lock_guard lock(state_->mutex); state_->legacyOnly = v; }
void RegistryFixture::setMalformedPage(int page) { std::lock_guard lock(state_->mutex); state_->malformedPage = page; }
void RegistryFixture::setDown(bool v) { std::lock_guard lock(state_->mutex); state_->down = v; }
void RegistryFixture::setDelayMs(int ms) { std::lock_guard lock(state_->mutex); state_->delayMs = ms; }
std::vector<std::string> RegistryFixture::requests() const { std::lock_guard lock(state_->mutex); return state_->requests; }
void RegistryFixture::clearRequests() { std::lock_guard lock(state_->mutex); state_->requests.clear(); }

std::string RegistryFixture::remote(const std::string& type, const std::string& url, const std::string& extra) {
    return "{\"type\":" + sdk::json::quote(type) + ",\"url\":" + sdk::json::quote(url) + (extra.empty() ? "" : "," + extra) + "}";
}

std::string RegistryFixture::npmPackage(const std::string& identifier, const std::string& version) {
    return "{\"registryType\":\"npm\",\"identifier\":" + sdk::json::quote(identifier) + ",\"version\":" +
           sdk::json::quote(version) + ",\"transport\":{\"type\":\"stdio\"}}";
}

std::string RegistryFixture::State::answer(const std::string& path, const std::map<std::string, std::string>& query,
                                           int& status, bool& chunkedAnswer) {
    std::lock_guard lock(mutex);
    chunkedAnswer = chunked;
    if (down) {
        status = 503;
        return "{\"error\":\"registry is down for maintenance\"}";
    }
    const bool served = path == (legacyOnly ? "/v0/servers" : "/v0.1/servers");
    if (!served) {
        status = 404;
        return "{\"error\":\"Not Found\"}";
    }
    // updated_since: only servers changed since then, deleted ones included (as the API documents).
    long long since = 0;
    if (auto it = query.find("updated_since"); it != query.end()) {
        int tz = 0;
        Poco::DateTime parsed;
        if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, it->second, parsed, tz)) {
            status = 400;
            return "{\"error\":\"invalid updated_since\"}";
        }
        since = parsed.timestamp().epochMicroseconds();
    }
    std::vector<const Server*> visible;
    for (const auto& s : servers) {
        if (since && s.updatedUs < since) continue;
        if (!since && s.status == "deleted" && !query.count("include_deleted")) continue;
        if (auto search = query.find("search"); search != query.end() && s.name.find(search->second) == std::string::npos)
            continue;
        visible.push_back(&s);
    }
    std::size_t limit = 30;
    if (auto it = query.find("limit"); it != query.end()) limit = std::stoul(it->second);
    std::size_t start = 0;
    if (auto it = query.find("cursor"); it != query.end()) start = std::stoul(it->second.substr(1)); // "c<index>"
    const int pageNumber = static_cast<int>(start / (limit ? limit : 1)) + 1;
    if (malformedPage == pageNumber) return "{\"servers\": [ {\"server\": {\"name\": \"broken\", ";
    std::string out = "{\"servers\":[";
    std::size_t end = std::min(visible.size(), start + limit);
    for (std::size_t i = start; i < end; ++i) {
        const Server& s = *visible[i];
        out += (i > start ? "," : "");
        if (!s.rawEntry.empty()) {
            out += s.rawEntry;
            continue;
        }
        std::string detail = s.serverJson;
        detail.insert(1, "\"name\":" + sdk::json::quote(s.name) + ",\"version\":\"1.0.0\",\"description\":\"test server\"" +
                             (detail.size() > 2 ? "," : ""));
        out += "{\"server\":" + detail + ",\"_meta\":{\"io.modelcontextprotocol.registry/official\":{\"status\":" +
               sdk::json::quote(s.status) + ",\"updatedAt\":" + sdk::json::quote(sdk::json::isoTimestamp(s.updatedUs)) +
               ",\"isLatest\":true}}}";
    }
    out += "]";
    if (paddingBytes) out += ",\"padding\":\"" + std::string(paddingBytes, 'x') + "\"";
    out += ",\"metadata\":{\"count\":" + std::to_string(end - start);
    if (end < visible.size()) out += ",\"nextCursor\":\"c" + std::to_string(end) + "\"";
    return out + "}}";
}

} // namespace mc::test
