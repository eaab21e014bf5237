#include "RegistryDiscovery.h"

#include "mc/json_text.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <algorithm>
#include <memory>
#include <set>

namespace mc::discovery_registry {
namespace {

using mc::sdk::Error;
using mc::sdk::json::quote;

constexpr int kMaxPages = 10000;
constexpr std::size_t kMaxListedSkips = 50; // skipped entries named in one state report (all are counted)
const std::chrono::milliseconds kFirstRetry{1000};

std::string withParam(std::string query, const std::string& name, const std::string& value) {
    if (value.empty()) return query;
    std::string encoded;
    Poco::URI::encode(value, "&=+?#/", encoded);
    return query + (query.empty() ? "?" : "&") + name + "=" + encoded;
}

// RFC 3339 with milliseconds, what the registry's updated_since example looks like.
std::string isoMillis(long long unixUs) {
    std::string micro = mc::sdk::json::isoTimestamp(unixUs); // ...ss.uuuuuuZ
    return micro.substr(0, micro.size() - 4) + "Z";
}

} // namespace

RegistryDiscovery::RegistryDiscovery(mc::sdk::Host host, std::string_view configJson)
    : DiscoveryPlugin(host, configJson),
      baseUrl_(host.configString("url")),
      interval_(std::chrono::seconds(host.configInt("interval", 300))),
      pageLimit_(static_cast<int>(host.configInt("page_limit", 100))),
      search_(host.configString("search")),
      timeout_(host.configInt("timeout_ms", 10000)),
      maxPageBytes_(host.configInt("max_page_bytes", 8 << 20)),
      retry_(kFirstRetry) {
    while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
    if (baseUrl_.empty())
        throw Error(MC_ERR_CONFIG, "discovery.registry.url is not set: the registry's base URL, e.g. http://127.0.0.1:9000");
    try {
        Poco::URI uri(baseUrl_);
        if (uri.getScheme() != "http" && uri.getScheme() != "https") throw Poco::SyntaxException("scheme is not http or https");
    } catch (const Poco::Exception& e) {
        throw Error(MC_ERR_CONFIG, "discovery.registry.url = '" + baseUrl_ + "' is not an http(s) URL: " + e.displayText());
    }
    if (interval_.count() < 1000) throw Error(MC_ERR_CONFIG, "discovery.registry.interval must be at least 1 (seconds)");
    if (pageLimit_ < 1 || pageLimit_ > 1000) throw Error(MC_ERR_CONFIG, "discovery.registry.page_limit must be in 1..1000");
    if (timeout_.count() < 1) throw Error(MC_ERR_CONFIG, "discovery.registry.timeout_ms must be positive");
    if (maxPageBytes_ < 1024 || maxPageBytes_ > (1LL << 30))
        throw Error(MC_ERR_CONFIG, "discovery.registry.max_page_bytes = " + std::to_string(maxPageBytes_) +
                                       ": must be between 1024 and 1073741824 (bytes)");
    const std::string variables = host.configString("variables");
    if (!variables.empty()) {
        try {
            Poco::JSON::Parser parser;
            auto object = parser.parse(variables).extract<Poco::JSON::Object::Ptr>();
            for (const auto& [name, value] : *object) variables_[name] = value.convert<std::string>();
        } catch (const Poco::Exception& e) {
            throw Error(MC_ERR_CONFIG, "discovery.registry.variables is not a JSON object of strings: " + e.displayText());
        }
    }
}

RegistryDiscovery::~RegistryDiscovery() { stop(); }

void RegistryDiscovery::start() {
    emitState("starting", "listing " + baseUrl_);
    worker_.start([this](bool) { return step(); });
}

void RegistryDiscovery::stop() { worker_.stop(); }

void RegistryDiscovery::refresh() { worker_.wake(); }

void RegistryDiscovery::emitState(const std::string& state, const std::string& message, const std::string& extraFields) {
    host().emit("discovery", "{\"action\":\"state\",\"state\":" + quote(state) + ",\"message\":" + quote(message) +
                                 ",\"found\":" + std::to_string(known_.size()) +
                                 (extraFields.empty() ? std::string() : "," + extraFields) + "}");
}

std::chrono::milliseconds RegistryDiscovery::step() {
    try {
        run(full_);
        full_ = false;
        retry_ = kFirstRetry;
        return interval_;
    } catch (const std::exception& e) {
        const std::string message = std::string(e.what()) + "; keeping the last good list (" +
                                    std::to_string(known_.size()) + " servers), retrying in " +
                                    std::to_string(retry_.count()) + " ms";
        host().warn("registry " + baseUrl_ + ": " + message);
        emitState("error", message);
        full_ = true;
        const auto wait = std::min(retry_, interval_);
        retry_ = std::min(retry_ * 2, interval_);
        return wait;
    }
}

std::string RegistryDiscovery::fetch(const std::string& pathAndQuery, int& status) {
    const Poco::URI base(baseUrl_);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (base.getScheme() == "https")
        session = std::make_unique<Poco::Net::HTTPSClientSession>(base.getHost(), base.getPort());
    else
        session = std::make_unique<Poco::Net::HTTPClientSession>(base.getHost(), base.getPort());
    session->setTimeout(Poco::Timespan(static_cast<long>(timeout_.count() / 1000), static_cast<long>(timeout_.count() % 1000) * 1000));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, base.getPath() + pathAndQuery,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    try {
        session->sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        status = response.getStatus();
        return readCapped(in, response, baseUrl_ + base.getPath() + pathAndQuery);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("GET " + baseUrl_ + base.getPath() + pathAndQuery + " failed: " + e.displayText());
    }
}

std::string RegistryDiscovery::readCapped(std::istream& in, const Poco::Net::HTTPResponse& response,
                                          const std::string& url) const {
    const auto cap = static_cast<std::size_t>(maxPageBytes_);
    const std::string tooLarge = "GET " + url + ": the answer is larger than discovery.registry.max_page_bytes (" +
                                 std::to_string(cap) + " bytes)";
    if (response.hasContentLength() && response.getContentLength64() > static_cast<Poco::Int64>(cap))
        throw std::runtime_error(tooLarge + ": Content-Length " + std::to_string(response.getContentLength64()));
    // Read in chunks and stop one byte past the cap: an answer without Content-Length (chunked, or
    // up to the end of the connection) costs at most the cap.
    std::string body;
    char buffer[16384];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > cap) throw std::runtime_error(tooLarge + "; stopped reading");
    }
    return body;
}

void RegistryDiscovery::run(bool full) {
    const long long startedUs = host().nowUnixUs();
    std::map<std::string, std::string> found; // this run's servers (latest version of each)
    std::set<std::string> deleted;
    std::vector<std::string> skipped; // "page 2 servers[3]: <why>"
    std::string cursor;
    int pages = 0;
    for (;;) {
        std::string query = withParam("", "limit", std::to_string(pageLimit_));
        query = withParam(query, "cursor", cursor);
        query = withParam(query, "search", search_);
        query = withParam(query, "version", "latest");
        if (!full) query = withParam(query, "updated_since", lastSuccessIso_);
        int status = 0;
        std::string body = fetch(apiPath_ + query, status);
        if (status == 404 && apiPath_ == "/v0.1/servers" && pages == 0) {
            host().info("registry " + baseUrl_ + " has no /v0.1/servers (404): using /v0/servers");
            apiPath_ = "/v0/servers";
            continue;
        }
        if (status != 200)
            throw std::runtime_error("GET " + baseUrl_ + apiPath_ + query + " answered HTTP " + std::to_string(status) +
                                     ": " + body.substr(0, 200));
        RegistryPage page;
        try {
            page = parseRegistryPage(body, variables_);
        } catch (const MalformedPage& e) {
            throw std::runtime_error("page " + std::to_string(pages + 1) + " of " + baseUrl_ + apiPath_ +
                                     " is malformed: " + e.what());
        }
        for (const auto& why : page.skipped) skipped.push_back("page " + std::to_string(pages + 1) + " " + why);
        for (auto& server : page.servers) {
            if (!server.latest) continue;
            if (server.deleted) {
                deleted.insert(server.name);
                found.erase(server.name);
            } else {
                found[server.name] = std::move(server.foundJson);
                deleted.erase(server.name);
            }
        }
        ++pages;
        if (page.nextCursor.empty()) break;
        if (page.nextCursor == cursor || pages >= kMaxPages)
            throw std::runtime_error("the registry's pagination does not end (cursor '" + page.nextCursor + "' after " +
                                     std::to_string(pages) + " pages)");
        cursor = page.nextCursor;
    }

    // Every page arrived: only now does the list change (a failed run changes nothing).
    std::vector<std::string> lost;
    for (const auto& [name, report] : known_)
        if (deleted.count(name) || (full && !found.count(name))) lost.push_back(name);
    for (const auto& name : lost) {
        known_.erase(name);
        host().emit("discovery", "{\"action\":\"lost\",\"key\":" + quote(name) + ",\"reason\":\"removed from registry\"}");
    }
    for (auto& [name, report] : found) {
        auto it = known_.find(name);
        if (it != known_.end() && it->second == report) continue;
        known_[name] = report;
        host().emit("discovery", report);
    }
    lastSuccessIso_ = isoMillis(startedUs);
    // A bad entry costs only itself: it is logged and named in the state report; the rest is used.
    std::string problems;
    for (std::size_t i = 0; i < skipped.size(); ++i) {
        if (i < kMaxListedSkips) host().warn("registry " + baseUrl_ + apiPath_ + ": " + skipped[i]);
        if (i < kMaxListedSkips) problems += (problems.empty() ? "" : ",") + quote(skipped[i]);
    }
    if (skipped.size() > kMaxListedSkips)
        host().warn("registry " + baseUrl_ + apiPath_ + ": " + std::to_string(skipped.size() - kMaxListedSkips) +
                    " more entries skipped (not logged one by one)");
    emitState("ok", std::string(full ? "full listing" : "changes since last run") + ": " + std::to_string(pages) +
                        " page(s), " + std::to_string(found.size()) + " server(s) listed, " +
                        std::to_string(lost.size()) + " lost" +
                        (skipped.empty() ? std::string() : ", " + std::to_string(skipped.size()) + " entries skipped"),
              "\"problems\":[" + problems + "],\"counters\":{\"skipped_entries\":" + std::to_string(skipped.size()) + "}");
}

} // namespace mc::discovery_registry
