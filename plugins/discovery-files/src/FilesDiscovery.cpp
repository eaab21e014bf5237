#include "FilesDiscovery.h"

#include "JsonScan.h"
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
using mc::sdk::json::quote;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* kInputReference = "${input:";

std::string toJson(const Object& report) {
    std::ostringstream out;
    report.stringify(out);
    return out.str();
}

// "line L, column C: <what>" for a text the strict scanner refuses; "" when it accepts it.
std::string syntaxErrorPosition(const std::string& content) {
    const auto scan = mc::mcp_stdio::scanJson(content);
    if (scan.ok) return {};
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < scan.offset && i < content.size(); ++i) {
        if (content[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + scan.error;
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

std::string formatOf(const std::string& path) {
    return path.find("claude_desktop_config") != std::string::npos ? "claude-desktop" : "mcp.json";
}

} // namespace

std::map<std::string, std::string> parseConfigFile(const std::string& path, const std::string& content) {
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
    std::map<std::string, std::string> out;
    if (!root->has(listName)) return out; // e.g. a Claude Desktop config with other settings only
    auto servers = root->getObject(listName);
    if (!servers) throw std::runtime_error(path + ": \"" + std::string(listName) + "\" is not an object");
    for (const auto& [name, value] : *servers) {
        Object report;
        report.set("action", "found");
        report.set("key", path + "#" + name);
        report.set("name", name);
        Object::Ptr details = new Object;
        details->set("file", path);
        details->set("format", formatOf(path));
        details->set("entry", name);
        report.set("details", details);
        if (value.type() != typeid(Object::Ptr)) {
            report.set("transport", "");
            report.set("connectable", false);
            report.set("reason", "\"" + std::string(listName) + "\"." + name + " is not an object");
            out[path + "#" + name] = toJson(report);
            continue;
        }
        auto entry = value.extract<Object::Ptr>();
        if (entry->has("disabled") && entry->get("disabled").isBoolean() && entry->get("disabled").convert<bool>())
            continue; // Cursor's switch: the user turned it off
        const std::string type = entry->optValue<std::string>("type", "");
        std::string reason;
        if (entry->has("command")) {
            report.set("transport", "stdio");
            for (const char* f : {"command", "args", "env"})
                if (entry->has(f)) report.set(f, entry->get(f));
            if (!type.empty() && type != "stdio") reason = "\"type\" is '" + type + "' but the entry has a \"command\"";
        } else if (entry->has("url")) {
            report.set("transport", type == "sse" ? "sse" : "http");
            for (const char* f : {"url", "headers"})
                if (entry->has(f)) report.set(f, entry->get(f));
            if (!type.empty() && type != "http" && type != "sse" && type != "streamable-http" && type != "streamableHttp")
                reason = "unknown \"type\" '" + type + "' (expected stdio, http or sse)";
        } else {
            report.set("transport", type);
            reason = "the entry has neither \"command\" nor \"url\"";
        }
        if (reason.empty()) {
            if (auto ref = inputReference(value); !ref.empty())
                reason = "uses " + ref + ", a VS Code input only VS Code can prompt for; left unresolved";
        }
        if (!reason.empty()) {
            report.set("connectable", false);
            report.set("reason", reason);
        }
        out[path + "#" + name] = toJson(report);
    }
    return out;
}

FilesDiscovery::FilesDiscovery(mc::sdk::Host host, std::string_view configJson)
    : DiscoveryPlugin(host, configJson), pollInterval_(host.configInt("poll_interval_ms", 2000)) {
    Poco::StringTokenizer paths(host.configString("paths"), ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& p : paths) {
        WatchedFile file;
        file.path = p;
        files_.push_back(std::move(file));
    }
    if (files_.empty())
        throw Error(MC_ERR_CONFIG, "discovery.files.paths is empty: name the config files to read, e.g. "
                                   "~/.config/Claude/claude_desktop_config.json, .vscode/mcp.json");
    if (pollInterval_.count() < 10) throw Error(MC_ERR_CONFIG, "discovery.files.poll_interval_ms must be at least 10");
}

FilesDiscovery::~FilesDiscovery() { stop(); }

void FilesDiscovery::start() {
    bool first = true; // the first pass, and a refresh, re-read every file
    worker_.start([this, first](bool woken) mutable {
        step(first || woken);
        first = false;
        return pollInterval_;
    });
}

void FilesDiscovery::stop() { worker_.stop(); }

void FilesDiscovery::refresh() { worker_.wake(); }

void FilesDiscovery::step(bool force) {
    bool changed = false;
    for (auto& file : files_) changed = scan(file, force) || changed;
    if (changed || force) emitState();
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

void FilesDiscovery::replaceEntries(WatchedFile& file, std::map<std::string, std::string> entries) {
    for (const auto& [key, report] : file.entries)
        if (!entries.count(key))
            host().emit("discovery", "{\"action\":\"lost\",\"key\":" + quote(key) + ",\"reason\":\"removed from file\"}");
    for (const auto& [key, report] : entries) {
        auto it = file.entries.find(key);
        if (it == file.entries.end() || it->second != report) host().emit("discovery", report);
    }
    file.entries = std::move(entries);
}

void FilesDiscovery::emitState() {
    std::size_t found = 0;
    std::string errors;
    std::string missing;
    for (const auto& f : files_) {
        found += f.entries.size();
        if (!f.error.empty()) errors += (errors.empty() ? "" : "; ") + f.error;
        if (f.size < 0) missing += (missing.empty() ? "" : ", ") + f.path;
    }
    std::string message = errors.empty() ? std::to_string(files_.size()) + " file(s) read, " + std::to_string(found) + " server(s)"
                                         : errors + " (last good lists kept)";
    if (!missing.empty()) message += "; not found: " + missing;
    host().emit("discovery", "{\"action\":\"state\",\"state\":" + quote(errors.empty() ? "ok" : "error") +
                                 ",\"message\":" + quote(message) + ",\"found\":" + std::to_string(found) + "}");
}

} // namespace mc::discovery_files
