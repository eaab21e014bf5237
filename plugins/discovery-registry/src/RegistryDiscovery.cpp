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

bool same(const mc::sdk::FoundServer& a, const mc::sdk::FoundServer& b) {
    return a.key == b.key && a.name == b.name && a.serverJson == b.serverJson && a.detailsJson == b.detailsJson &&
           a.connectable == b.connectable && a.reason == b.reason;
}

constexpr int kMaxPages = 10000;
constexpr std::size_t kMaxListedSkips = 50; // skipped entries logged one by one (all are counted)
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

RegistryDiscovery::RegistryDiscovery(mc::sdk::Host host, const Settings& settings, mc::sdk::Discovered out)
    : DiscoveryPlugin(host, out),
      baseUrl_(settings.url),
      interval_(std::chrono::seconds(settings.intervalSeconds)),
      pageLimit_(static_cast<int>(settings.pageLimit)),
      search_(settings.search),
      timeout_(settings.timeoutMs),
      maxPageBytes_(settings.maxPageBytes),
      retry_(kFirstRetry) {
    while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
    if (baseUrl_.empty())
        throw Error(MC_ERR_CONFIG, "url = '': expected the registry's base URL, e.g. http://127.0.0.1:9000");
    try {
        Poco::URI uri(baseUrl_);
        if (uri.getScheme() != "http" && uri.getScheme() != "https") throw Poco::SyntaxException("scheme is not http or https");
    } catch (const Poco::Exception& e) {
        throw Error(MC_ERR_CONFIG, "url = '" + baseUrl_ + "' is not an http(s) URL: " + e.displayText());
    }
    if (!settings.variables.empty()) {
        try {
            Poco::JSON::Parser parser;
            auto object = parser.parse(settings.variables).extract<Poco::JSON::Object::Ptr>();
            if (!object) throw Poco::DataFormatException("not an object");
            for (const auto& [name, value] : *object) variables_[name] = value.convert<std::string>();
        } catch (const Poco::Exception& e) {
            throw Error(MC_ERR_CONFIG, "variables is not a JSON object of strings: " + e.displayText());
        }
    }
}

RegistryDiscovery::~RegistryDiscovery() { stop(); }

void RegistryDiscovery::start() {
    host().reportStatus(MC_COMPONENT_STARTING, "listing " + baseUrl_);
    worker_.start([this](bool) { return step(); }, "registry-poll");
}

void RegistryDiscovery::stop() { worker_.stop(); }

void RegistryDiscovery::refresh() { worker_.wake(); }

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
        host().reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, message);
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
    std::map<std::string, mc::sdk::FoundServer> found; // this run's servers (latest version of each)
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
                found[server.name] = std::move(server.found);
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
        host().debug("lost '" + name + "': removed from registry");
        discovered().lost(name);
    }
    for (auto& [name, server] : found) {
        auto it = known_.find(name);
        // A full listing reports every server again: its scan_complete drops what it did not report.
        if (!full && it != known_.end() && same(it->second, server)) continue;
        known_[name] = server;
        discovered().found(server);
    }
    // The host's last_scan is the last complete listing (an incremental run lists only changes).
    if (full) discovered().scanComplete(startedUs);
    lastSuccessIso_ = isoMillis(startedUs);
    // A bad entry costs only itself: it is logged (the first kMaxListedSkips one by one) and counted
    // in the status message; the rest is used.
    for (std::size_t i = 0; i < skipped.size() && i < kMaxListedSkips; ++i)
        host().warn("registry " + baseUrl_ + apiPath_ + ": " + skipped[i]);
    if (skipped.size() > kMaxListedSkips)
        host().warn("registry " + baseUrl_ + apiPath_ + ": " + std::to_string(skipped.size() - kMaxListedSkips) +
                    " more entries skipped (not logged one by one)");
    host().reportStatus(MC_COMPONENT_OK,
                        std::string(full ? "full listing" : "changes since last run") + ": " + std::to_string(pages) +
                            " page(s), " + std::to_string(found.size()) + " server(s) listed, " +
                            std::to_string(lost.size()) + " lost" +
                            (skipped.empty() ? std::string() : ", " + std::to_string(skipped.size()) + " entries skipped") +
                            "; " + std::to_string(known_.size()) + " server(s) known");
}

} // namespace mc::discovery_registry
