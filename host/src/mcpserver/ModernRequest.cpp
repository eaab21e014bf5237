#include "mcpserver/ModernRequest.h"

#include "util/Json.h"
#include "util/JsonObject.h"

#include <algorithm>

namespace mc::host::modern {
namespace {

constexpr int kInvalidParams = -32602;

ModernRefusal badRequest(int code, std::string message, std::string dataJson = {}) {
    return ModernRefusal{ModernRefusal::Kind::BadRequest, code, std::move(message), std::move(dataJson)};
}

std::string quoted(const std::string& text) { return json::quote(text.substr(0, 200)); }

} // namespace

const std::vector<std::string>& versions() {
    static const std::vector<std::string> all = {kVersion};
    return all;
}

bool isModern(const std::string& method, const Poco::JSON::Object::Ptr& params) {
    if (method == "server/discover") return true;
    static const std::string metaKey = "_meta", versionKey = kMetaVersion; // Poco looks up by std::string: made once
    const auto meta = params ? params->getObject(metaKey) : nullptr;
    return meta && meta->has(versionKey);
}

std::optional<ModernRefusal> readMeta(const Poco::JSON::Object::Ptr& params, const std::vector<std::string>& allVersions, ModernMeta& out) {
    const auto meta = params ? params->getObject("_meta") : nullptr;
    // One pass over _meta's members (each lookup by name would build its long key again), then the
    // checks in the order their errors are given.
    const Poco::Dynamic::Var *version = nullptr, *capabilities = nullptr, *client = nullptr, *logLevel = nullptr;
    if (meta) {
        const std::size_t prefix = std::char_traits<char>::length(mc::mcp::modern::kMetaPrefix);
        for (const auto& [name, value] : *meta) {
            if (name == "traceparent" && value.isString()) out.traceparent = value.extract<std::string>();
            if (name.compare(0, prefix, mc::mcp::modern::kMetaPrefix) != 0) continue;
            if (name == kMetaVersion) version = &value;
            else if (name == mc::mcp::modern::kMetaClientCapabilities) capabilities = &value;
            else if (name == mc::mcp::modern::kMetaClientInfo) client = &value;
            else if (name == mc::mcp::modern::kMetaLogLevel) logLevel = &value;
        }
    }
    if (!version || !version->isString())
        return badRequest(kInvalidParams, std::string("params._meta[\"") + kMetaVersion + "\"] must name the protocol version (a string)");
    out.protocolVersion = version->extract<std::string>();
    if (std::find(versions().begin(), versions().end(), out.protocolVersion) == versions().end()) {
        std::string supported;
        for (const auto& v : allVersions) supported += (supported.empty() ? "" : ",") + json::quote(v);
        return badRequest(kUnsupportedVersion, "Unsupported protocol version " + quoted(out.protocolVersion) + ": this server speaks " + kVersion +
                                                   " without a session, and the 2025 versions after initialize",
                          "{\"supported\":[" + supported + "],\"requested\":" + quoted(out.protocolVersion) + "}");
    }
    if (!capabilities || capabilities->type() != typeid(Poco::JSON::Object::Ptr))
        return badRequest(kInvalidParams, std::string("params._meta[\"") + mc::mcp::modern::kMetaClientCapabilities +
                                              "\"] is required in " + kVersion + " (an object; {} declares none)");
    const auto& declared = capabilities->extract<Poco::JSON::Object::Ptr>();
    out.sampling = declared->has("sampling");
    out.elicitation = declared->has("elicitation");
    out.roots = declared->has("roots");
    if (client && client->type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto& info = client->extract<Poco::JSON::Object::Ptr>();
        out.clientName = json::stringMember(info, "name");
        out.clientVersion = json::stringMember(info, "version");
    }
    if (logLevel) {
        static const std::vector<std::string> levels = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
        if (!logLevel->isString() || std::find(levels.begin(), levels.end(), logLevel->extract<std::string>()) == levels.end())
            return badRequest(kInvalidParams, std::string("params._meta[\"") + mc::mcp::modern::kMetaLogLevel +
                                                  "\"] must be one of debug, info, notice, warning, error, critical, alert, emergency; got " +
                                                  json::stringify(*logLevel).substr(0, 100));
        out.logLevel = logLevel->extract<std::string>();
    }
    return std::nullopt;
}

std::optional<ModernRefusal> headersAgree(const ModernHeaders& headers, const std::string& method, const Poco::JSON::Object::Ptr& params,
                                          const std::string& version) {
    auto mismatch = [](const std::string& what) { return badRequest(kHeaderMismatch, "Header mismatch: " + what); };
    if (!headers.protocolVersion) return mismatch("the MCP-Protocol-Version header is required (" + std::string(kVersion) + ")");
    if (*headers.protocolVersion != version)
        return mismatch("MCP-Protocol-Version header " + quoted(*headers.protocolVersion) + " does not match the body's " + quoted(version));
    if (!headers.method) return mismatch("the Mcp-Method header is required (" + quoted(method) + ")");
    if (*headers.method != method) return mismatch("Mcp-Method header " + quoted(*headers.method) + " does not match the body's " + quoted(method));
    const char* nameMember = mc::mcp::modern::nameMember(method);
    if (!nameMember) return std::nullopt;
    const std::string body = json::stringMember(params, nameMember);
    if (!headers.name) return mismatch("the Mcp-Name header is required for " + method + " (params." + nameMember + ")");
    const auto decoded = decodeHeaderValue(*headers.name);
    if (!decoded) return mismatch("Mcp-Name header " + quoted(*headers.name) + " is not valid =?base64?…?= encoding");
    if (*decoded != body) return mismatch("Mcp-Name header value " + quoted(*decoded) + " does not match the body's " + quoted(body));
    return std::nullopt;
}

} // namespace mc::host::modern
