#include "FilesDiscovery.h"

#include "mc/json/Scan.h"
#include "mc/json_text.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/StringTokenizer.h>

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <sstream>

namespace mc::discovery_files {
namespace {

using mc::sdk::Error;
using mc::sdk::FoundServer;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* kInputReference = "${input:";

std::string toJson(const Object& o) {
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

// "line L, column C: <what>" for a text the strict scanner refuses; "" when it accepts it.
std::string syntaxErrorPosition(const std::string& content) {
    const auto scan = mc::json::scan(content);
    if (scan.ok()) return {};
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < scan.offset && i < content.size(); ++i) {
        if (content[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + scan.problem;
}

// The first VS Code ${input:...} reference anywhere in `v`, or "".
std::string inputReference(const Poco::Dynamic::Var& v) {
    if (v.isString()) {
        const std::string s = v.extract<std::string>();
        const auto at = s.find(kInputReference);
        if (at == std::string::npos) return {};
        const auto end = s.find('}', at);
        return s.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
    }
    if (v.type() == typeid(Object::Ptr)) {
        for (const auto& [k, child] : *v.extract<Object::Ptr>())
            if (auto r = inputReference(child); !r.empty()) return r;
    } else if (v.type() == typeid(Array::Ptr)) {
        for (const auto& child : *v.extract<Array::Ptr>())
            if (auto r = inputReference(child); !r.empty()) return r;
    }
    return {};
}

bool same(const FoundServer& a, const FoundServer& b) {
    return a.key == b.key && a.name == b.name && a.serverJson == b.serverJson && a.detailsJson == b.detailsJson &&
           a.connectable == b.connectable && a.reason == b.reason;
}

std::string formatOf(const std::string& path) {
    return path.find("claude_desktop_config") != std::string::npos ? "claude-desktop" : "mcp.json";
}

} // namespace

std::map<std::string, FoundServer> parseConfigFile(const std::string& path, const std::string& content) {
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(content);
    } catch (const Poco::Exception& e) {
        const std::string where = syntaxErrorPosition(content);
        throw std::runtime_error(path + ": invalid JSON at " + (where.empty() ? e.displayText() : where));
    }
    if (parsed.type() != typeid(Object::Ptr)) throw std::runtime_error(path + ": the file is not a JSON object");
    auto root = parsed.extract<Object::Ptr>();
    const char* listName = root->has("mcpServers") ? "mcpServers" : "servers";
    std::map<std::string, FoundServer> out;
    if (!root->has(listName)) return out; // e.g. a Claude Desktop config with other settings only
    auto servers = root->getObject(listName);
    if (!servers) throw std::runtime_error(path + ": \"" + std::string(listName) + "\" is not an object");
    for (const auto& [name, value] : *servers) {
        FoundServer found;
        found.key = path + "#" + name;
        found.name = name;
        Object details;
        details.set("file", path);
        details.set("format", formatOf(path));
        details.set("entry", name);
        found.detailsJson = toJson(details);
        Object server;
        if (value.type() != typeid(Object::Ptr)) {
            server.set("transport", "");
            found.serverJson = toJson(server);
            found.connectable = false;
            found.reason = "\"" + std::string(listName) + "\"." + name + " is not an object";
            out[found.key] = std::move(found);
            continue;
        }
        auto entry = value.extract<Object::Ptr>();
        if (entry->has("disabled") && entry->get("disabled").isBoolean() && entry->get("disabled").convert<bool>())
            continue; // Cursor's switch: the user turned it off
        const std::string type = entry->optValue<std::string>("type", "");
        std::string reason;
        if (entry->has("command")) {
            server.set("transport", "stdio");
            for (const char* f : {"command", "args", "env"})
                if (entry->has(f)) server.set(f, entry->get(f));
            if (!type.empty() && type != "stdio") reason = "\"type\" is '" + type + "' but the entry has a \"command\"";
        } else if (entry->has("url")) {
            server.set("transport", type == "sse" ? "sse" : "http");
            for (const char* f : {"url", "headers"})
                if (entry->has(f)) server.set(f, entry->get(f));
            if (!type.empty() && type != "http" && type != "sse" && type != "streamable-http" && type != "streamableHttp")
                reason = "unknown \"type\" '" + type + "' (expected stdio, http or sse)";
        } else {
            server.set("transport", type);
            reason = "the entry has neither \"command\" nor \"url\"";
        }
        if (reason.empty()) {
            if (auto ref = inputReference(value); !ref.empty())
                reason = "uses " + ref + ", a VS Code input only VS Code can prompt for; left unresolved";
        }
        found.serverJson = toJson(server);
        if (!reason.empty()) {
            found.connectable = false;
            found.reason = reason;
        }
        out[found.key] = std::move(found);
    }
    return out;
}

FilesDiscovery::FilesDiscovery(mc::sdk::Host host, const Settings& settings, mc::sdk::Discovered out)
    : DiscoveryPlugin(host, out), pollInterval_(settings.pollIntervalMs) {
    for (const auto& p : settings.paths) {
        WatchedFile file;
        file.path = p;
        files_.push_back(std::move(file));
    }
    if (files_.empty())
        throw Error(MC_ERR_CONFIG, "paths is empty: name the config files to read, e.g. "
                                   "~/.config/Claude/claude_desktop_config.json, .vscode/mcp.json");
}

FilesDiscovery::~FilesDiscovery() { stop(); }

void FilesDiscovery::start() {
    // The first pass runs here (local files, quick), so the first status is the files' state; the
    // worker then polls (a refresh re-reads every file).
    step(true);
    bool first = true;
    worker_.start([this, first](bool woken) mutable {
        if (!first || woken) step(woken);
        first = false;
        return pollInterval_;
    }, "files-watch");
}

void FilesDiscovery::stop() { worker_.stop(); }

void FilesDiscovery::refresh() { worker_.wake(); }

void FilesDiscovery::step(bool force) {
    bool changed = false;
    for (auto& file : files_) changed = scan(file, force) || changed;
    if (changed || force) reportState();
}

bool FilesDiscovery::scan(WatchedFile& file, bool force) {
    struct stat st {};
    if (::stat(file.path.c_str(), &st) != 0) {
        const bool wasThere = file.size >= 0 || !file.seen;
        file.seen = true;
        file.mtimeNs = -1;
        file.size = -1;
        file.hash = 0;
        file.error.clear();
        if (!wasThere && !force) return false;
        replaceEntries(file, {}); // a deleted file lists nothing
        return true;
    }
    file.seen = true;
    const long long mtimeNs = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    if (!force && mtimeNs == file.mtimeNs && static_cast<long long>(st.st_size) == file.size) return false;
    file.mtimeNs = mtimeNs;
    file.size = static_cast<long long>(st.st_size);
    std::ifstream in(file.path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const std::string text = content.str();
    const std::size_t hash = std::hash<std::string>{}(text);
    if (!force && hash == file.hash && file.error.empty()) return false; // touched, not changed
    file.hash = hash;
    try {
        auto entries = parseConfigFile(file.path, text);
        file.error.clear();
        replaceEntries(file, std::move(entries));
    } catch (const std::exception& e) {
        file.error = e.what();
        host().warn(file.error + " (keeping its last good list of " + std::to_string(file.entries.size()) + " servers)");
    }
    return true;
}

void FilesDiscovery::replaceEntries(WatchedFile& file, std::map<std::string, FoundServer> entries) {
    for (const auto& [key, server] : file.entries)
        if (!entries.count(key)) {
            host().debug("lost '" + key + "': removed from file");
            discovered().lost(key);
        }
    for (const auto& [key, server] : entries) {
        auto it = file.entries.find(key);
        if (it == file.entries.end() || !same(it->second, server)) discovered().found(server);
    }
    file.entries = std::move(entries);
}

// OK with "<n> file(s) read, <m> server(s)[; not found: <paths>]"; RECOVERABLE_ERROR with the files'
// errors (their last good lists are kept; a fixed file is read at the next poll).
void FilesDiscovery::reportState() {
    std::size_t found = 0;
    std::string errors;
    std::string missing;
    for (const auto& f : files_) {
        found += f.entries.size();
        if (!f.error.empty()) errors += (errors.empty() ? "" : "; ") + f.error;
        if (f.size < 0) missing += (missing.empty() ? "" : ", ") + f.path;
    }
    std::string message = errors.empty() ? std::to_string(files_.size()) + " file(s) read, " + std::to_string(found) + " server(s)"
                                         : errors + " (last good lists kept, " + std::to_string(found) + " server(s))";
    if (!missing.empty()) message += "; not found: " + missing;
    host().reportStatus(errors.empty() ? MC_COMPONENT_OK : MC_COMPONENT_RECOVERABLE_ERROR, message);
}

} // namespace mc::discovery_files
