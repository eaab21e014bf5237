#include "RegistryPage.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "mc/package_spec.hpp"

#include <optional>
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

Object::Ptr packageObject(const sdk::package::PackageSpec& spec) {
    Object::Ptr out = new Object;
    out->set("registryType", spec.registryType);
    out->set("identifier", spec.identifier);
    out->set("version", spec.version);
    return out;
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

// Elements of `list` that are objects; each other one is named in `skipped` ("<where>[2] is not an
// object: skipped") so one bad entry costs only itself.
std::vector<Object::Ptr> objectsOf(const Array::Ptr& list, const std::string& where, std::vector<std::string>& skipped) {
    std::vector<Object::Ptr> out;
    for (std::size_t i = 0; list && i < list->size(); ++i) {
        const Poco::Dynamic::Var v = list->get(static_cast<unsigned>(i));
        if (v.type() == typeid(Object::Ptr)) out.push_back(v.extract<Object::Ptr>());
        else skipped.push_back(where + "[" + std::to_string(i) + "] is not an object: skipped");
    }
    return out;
}

bool flag(const Object::Ptr& o, const std::string& key) {
    return o && o->has(key) && o->get(key).isBoolean() && o->get(key).convert<bool>();
}

// The found report of a server with remotes: the first streamable-http remote, else the first sse.
bool describeRemote(const Array::Ptr& remotes, const std::map<std::string, std::string>& configured, Object& report,
                    const std::string& where, std::vector<std::string>& skipped) {
    Object::Ptr chosen;
    for (const auto& remote : objectsOf(remotes, where + ".remotes", skipped)) {
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
    for (const auto& header : objectsOf(chosen->getArray("headers"), where + ".remotes[].headers", skipped)) {
        const std::string name = text(header, "name");
        const std::string value = inputValue(header);
        if (name.empty()) continue;
        if (!value.empty()) headers->set(name, value);
        else if (flag(header, "isRequired")) missingHeaders.push_back(name);
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

// The found report of a package-only server: the first stdio package that can be run safely
// (mc/package_spec.hpp) with the one command line it runs as. The host starts it only when
// discovery.registry.allow_packages pins exactly this package. When no stdio package can be run
// safely, the first one is reported not connectable with the reason (a version such as "npm:other"
// or a URL, an unknown registry type, an identifier that is not a plain name).
bool describePackage(const Array::Ptr& packages, Object& report, Object& details, const std::string& where,
                     std::vector<std::string>& skipped) {
    std::optional<sdk::package::PackageSpec> refused;
    std::string refusal;
    for (const auto& package : objectsOf(packages, where + ".packages", skipped)) {
        auto transport = package->getObject("transport");
        if (transport && text(transport, "type") != "stdio") continue;
        const sdk::package::PackageSpec spec{text(package, "registryType"), text(package, "identifier"), text(package, "version")};
        if (spec.identifier.empty()) continue;
        if (std::string why = sdk::package::problem(spec); !why.empty()) {
            if (!refused) {
                refused = spec;
                refusal = why;
            }
            continue;
        }
        const auto argv = sdk::package::commandLine(spec);
        Array::Ptr args = new Array;
        for (std::size_t i = 1; i < argv.size(); ++i) args->add(argv[i]);
        report.set("transport", "stdio");
        report.set("command", argv.front());
        report.set("args", args);
        report.set("env", Object::Ptr(new Object));
        details.set("package", packageObject(spec));
        return true;
    }
    if (!refused) return false;
    report.set("transport", "stdio");
    report.set("connectable", false);
    report.set("reason", "package " + refused->registryType + " '" + refused->identifier +
                             "' cannot be run safely: " + refusal + "; it is listed, never started");
    details.set("package", packageObject(*refused));
    return true;
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
        std::string where = "servers[" + std::to_string(i) + "]";
        const Poco::Dynamic::Var entry = servers->get(static_cast<unsigned>(i));
        if (entry.type() != typeid(Object::Ptr)) {
            page.skipped.push_back(where + " is not an object: skipped");
            continue;
        }
        auto item = entry.extract<Object::Ptr>();
        // ServerResponse {server, _meta}; older registries put the server at the top level.
        Object::Ptr server = item->has("server") ? item->getObject("server") : item;
        if (!server) {
            page.skipped.push_back(where + ".server is not an object: skipped");
            continue;
        }
        RegistryServer out;
        out.name = text(server, "name");
        if (out.name.empty()) {
            page.skipped.push_back(where + " has no \"name\": skipped");
            continue;
        }
        where += " (" + out.name + ")";
        out.version = text(server, "version");
        Object::Ptr official;
        if (auto meta = item->getObject("_meta")) official = meta->getObject(kOfficialMeta);
        const std::string status = official ? text(official, "status") : text(server, "status");
        out.deleted = status == "deleted";
        if (official && official->has("isLatest") && official->get("isLatest").isBoolean())
            out.latest = official->get("isLatest").convert<bool>();

        Object report; // the server definition, and "connectable"/"reason" until they move to `found`
        out.found.key = out.name;
        const std::string title = text(server, "title");
        out.found.name = title.empty() ? out.name : title;
        Object::Ptr details = new Object;
        details->set("registry_name", out.name);
        details->set("version", out.version);
        details->set("description", text(server, "description"));
        details->set("status", status.empty() ? std::string("active") : status);
        if (!describeRemote(server->getArray("remotes"), variables, report, where, page.skipped) &&
            !describePackage(server->getArray("packages"), report, *details, where, page.skipped)) {
            report.set("transport", "");
            report.set("connectable", false);
            report.set("reason", "the registry lists no streamable-http/sse remote and no stdio package");
        }
        out.found.detailsJson = stringify(Poco::Dynamic::Var(details));
        if (report.has("connectable")) {
            out.found.connectable = report.getValue<bool>("connectable");
            out.found.reason = report.optValue<std::string>("reason", "");
            report.remove("connectable");
            report.remove("reason");
        }
        out.found.serverJson = stringify(report);
        page.servers.push_back(std::move(out));
    }
    return page;
}

} // namespace mc::discovery_registry
