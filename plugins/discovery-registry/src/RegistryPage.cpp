#include "RegistryPage.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace mc::discovery_registry {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* kOfficialMeta = "io.modelcontextprotocol.registry/official";

std::string stringify(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out);
    return out.str();
}

std::string text(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key)) return {};
    const auto v = o->get(key);
    return v.isString() ? v.extract<std::string>() : std::string();
}

// An Input's value: its fixed value, else its default; empty when neither.
std::string inputValue(const Object::Ptr& input) {
    std::string value = text(input, "value");
    return value.empty() ? text(input, "default") : value;
}

// Replaces {name} in `url` from the remote's variables (value/default), then the configured ones.
// Returns the names left unresolved.
std::vector<std::string> substitute(std::string& url, const Object::Ptr& variables,
                                    const std::map<std::string, std::string>& configured) {
    std::vector<std::string> missing;
    std::string out;
    std::size_t pos = 0;
    while (pos < url.size()) {
        const auto open = url.find('{', pos);
        const auto close = open == std::string::npos ? std::string::npos : url.find('}', open);
        if (close == std::string::npos) {
            out += url.substr(pos);
            break;
        }
        out += url.substr(pos, open - pos);
        const std::string name = url.substr(open + 1, close - open - 1);
        std::string value = variables && variables->has(name) ? inputValue(variables->getObject(name)) : std::string();
        if (auto c = configured.find(name); c != configured.end() && value.empty()) value = c->second;
        if (value.empty()) {
            missing.push_back(name);
            out += url.substr(open, close - open + 1);
        } else {
            out += value;
        }
        pos = close + 1;
    }
    url = out;
    return missing;
}

// The found report of a server with remotes: the first streamable-http remote, else the first sse.
bool describeRemote(const Array::Ptr& remotes, const std::map<std::string, std::string>& configured, Object& report) {
    Object::Ptr chosen;
    for (std::size_t i = 0; remotes && i < remotes->size(); ++i) {
        auto remote = remotes->getObject(static_cast<unsigned>(i));
        const std::string type = text(remote, "type");
        if (type == "streamable-http") {
            chosen = remote;
            break;
        }
        if (type == "sse" && !chosen) chosen = remote;
    }
    if (!chosen) return false;
    const std::string type = text(chosen, "type");
    std::string url = text(chosen, "url");
    report.set("transport", type == "sse" ? "sse" : "http");
    std::vector<std::string> unresolved = substitute(url, chosen->getObject("variables"), configured);
    report.set("url", url);
    Object::Ptr headers = new Object;
    std::vector<std::string> missingHeaders;
    if (auto list = chosen->getArray("headers")) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto header = list->getObject(static_cast<unsigned>(i));
            const std::string name = text(header, "name");
            const std::string value = inputValue(header);
            if (name.empty()) continue;
            if (!value.empty()) headers->set(name, value);
            else if (header->optValue<bool>("isRequired", false)) missingHeaders.push_back(name);
        }
    }
    report.set("headers", headers);
    std::string reason;
    for (const auto& v : unresolved) reason += (reason.empty() ? "" : "; ") + std::string("URL variable {") + v + "} has no value (no default, not in discovery.registry.variables)";
    for (const auto& h : missingHeaders) reason += (reason.empty() ? "" : "; ") + std::string("required header '") + h + "' has no value";
    if (!reason.empty()) {
        report.set("connectable", false);
        report.set("reason", reason);
    }
    return true;
}

// The found report of a package-only server: how it would be started (stdio). The host starts it
// only when the package is allowlisted.
bool describePackage(const Array::Ptr& packages, Object& report, Object& details) {
    for (std::size_t i = 0; packages && i < packages->size(); ++i) {
        auto package = packages->getObject(static_cast<unsigned>(i));
        if (!package) continue; // not an object: nothing to start
        const std::string registryType = text(package, "registryType");
        const std::string identifier = text(package, "identifier");
        const std::string version = text(package, "version");
        auto transport = package->getObject("transport");
        if (identifier.empty() || (transport && text(transport, "type") != "stdio")) continue;
        Array::Ptr args = new Array;
        std::string command;
        if (registryType == "npm") {
            command = "npx";
            args->add("-y");
            args->add(version.empty() ? identifier : identifier + "@" + version);
        } else if (registryType == "pypi") {
            command = "uvx";
            args->add(version.empty() ? identifier : identifier + "==" + version);
        } else if (registryType == "oci") {
            command = "docker";
            for (const char* a : {"run", "-i", "--rm"}) args->add(a);
            args->add(version.empty() ? identifier : identifier + ":" + version);
        } else {
            continue;
        }
        report.set("transport", "stdio");
        report.set("command", command);
        report.set("args", args);
        report.set("env", Object::Ptr(new Object));
        Object::Ptr described = new Object;
        described->set("registryType", registryType);
        described->set("identifier", identifier);
        described->set("version", version);
        details.set("package", described);
        return true;
    }
    return false;
}

} // namespace

RegistryPage parseRegistryPage(const std::string& body, const std::map<std::string, std::string>& variables) {
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(body);
    } catch (const Poco::Exception& e) {
        throw MalformedPage("not valid JSON: " + e.displayText());
    }
    if (parsed.type() != typeid(Object::Ptr)) throw MalformedPage("the answer is not a JSON object");
    auto root = parsed.extract<Object::Ptr>();
    if (!root->has("servers") || root->get("servers").type() != typeid(Array::Ptr))
        throw MalformedPage("the answer has no \"servers\" array");
    RegistryPage page;
    if (auto metadata = root->getObject("metadata")) page.nextCursor = text(metadata, "nextCursor");
    auto servers = root->getArray("servers");
    for (std::size_t i = 0; i < servers->size(); ++i) {
        auto item = servers->getObject(static_cast<unsigned>(i));
        if (!item) throw MalformedPage("servers[" + std::to_string(i) + "] is not an object");
        // ServerResponse {server, _meta}; older registries put the server at the top level.
        Object::Ptr server = item->has("server") ? item->getObject("server") : item;
        if (!server) throw MalformedPage("servers[" + std::to_string(i) + "].server is not an object");
        RegistryServer out;
        out.name = text(server, "name");
        if (out.name.empty()) throw MalformedPage("servers[" + std::to_string(i) + "] has no \"name\"");
        out.version = text(server, "version");
        Object::Ptr official;
        if (auto meta = item->getObject("_meta")) official = meta->getObject(kOfficialMeta);
        const std::string status = official ? text(official, "status") : text(server, "status");
        out.deleted = status == "deleted";
        if (official && official->has("isLatest") && official->get("isLatest").isBoolean())
            out.latest = official->get("isLatest").convert<bool>();

        Object report;
        report.set("action", "found");
        report.set("key", out.name);
        const std::string title = text(server, "title");
        report.set("name", title.empty() ? out.name : title);
        Object::Ptr details = new Object;
        details->set("registry_name", out.name);
        details->set("version", out.version);
        details->set("description", text(server, "description"));
        details->set("status", status.empty() ? std::string("active") : status);
        if (!describeRemote(server->getArray("remotes"), variables, report) &&
            !describePackage(server->getArray("packages"), report, *details)) {
            report.set("transport", "");
            report.set("connectable", false);
            report.set("reason", "the registry lists no streamable-http/sse remote and no npm/pypi/oci stdio package");
        }
        report.set("details", details);
        out.foundJson = stringify(report);
        page.servers.push_back(std::move(out));
    }
    return page;
}

} // namespace mc::discovery_registry
