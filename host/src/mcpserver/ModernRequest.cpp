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
    const auto meta = params ? params->getObject("_meta") : nullptr;
    return meta && meta->has(kMetaVersion);
}

std::optional<ModernRefusal> readMeta(const Poco::JSON::Object::Ptr& params, const std::vector<std::string>& allVersions, ModernMeta& out) {
    const auto meta = params ? params->getObject("_meta") : nullptr;
    const auto version = meta && meta->has(kMetaVersion) ? meta->get(kMetaVersion) : Poco::Dynamic::Var();
    if (!version.isString())
        return badRequest(kInvalidParams, std::string("params._meta[\"") + kMetaVersion + "\"] must name the protocol version (a string)");
    out.protocolVersion = version.extract<std::string>();
    if (std::find(versions().begin(), versions().end(), out.protocolVersion) == versions().end()) {
        std::string supported;
        for (const auto& v : allVersions) supported += (supported.empty() ? "" : ",") + json::quote(v);
        return badRequest(kUnsupportedVersion, "Unsupported protocol version " + quoted(out.protocolVersion) + ": this server speaks " + kVersion +
                                                   " without a session, and the 2025 versions after initialize",
                          "{\"supported\":[" + supported + "],\"requested\":" + quoted(out.protocolVersion) + "}");
    }
    const char* capabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
    if (!meta->has(capabilitiesKey) || meta->get(capabilitiesKey).type() != typeid(Poco::JSON::Object::Ptr))
        return badRequest(kInvalidParams, std::string("params._meta[\"") + capabilitiesKey +
                                              "\"] is required in " + kVersion + " (an object; {} declares none)");
    const auto capabilities = meta->getObject(capabilitiesKey);
    out.sampling = capabilities->has("sampling");
    out.elicitation = capabilities->has("elicitation");
    out.roots = capabilities->has("roots");
    if (const auto client = meta->getObject("io.modelcontextprotocol/clientInfo")) {
        out.clientName = json::stringMember(client, "name");
        out.clientVersion = json::stringMember(client, "version");
    }
    if (meta->has("io.modelcontextprotocol/logLevel")) {
        const auto level = meta->get("io.modelcontextprotocol/logLevel");
        static const std::vector<std::string> levels = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
        if (!level.isString() || std::find(levels.begin(), levels.end(), level.extract<std::string>()) == levels.end())
            return badRequest(kInvalidParams, "params._meta[\"io.modelcontextprotocol/logLevel\"] must be one of debug, info, notice, "
                                              "warning, error, critical, alert, emergency; got " +
                                                  json::stringify(level).substr(0, 100));
        out.logLevel = level.extract<std::string>();
    }
    out.traceparent = json::stringMember(meta, "traceparent");
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
