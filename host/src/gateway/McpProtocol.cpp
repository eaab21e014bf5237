#include "gateway/McpProtocol.h"

#include "util/Json.h"

#include <array>

namespace mc::host::mcp {
namespace modern = mc::mcp::modern;
namespace {
const std::array<const char*, 8> kLevels = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
}

const std::vector<ProtocolRevision>& supportedRevisions() {
    static const std::vector<ProtocolRevision> revisions = {
        {mc::mcp::modern::kVersion, false}, {"2025-11-25", true}, {"2025-06-18", true}, {"2025-03-26", true}, {"2024-11-05", true}};
    return revisions;
}

const ProtocolRevision* findRevision(const std::string& version) {
    for (const auto& r : supportedRevisions())
        if (version == r.version) return &r;
    return nullptr;
}

std::string supportedVersionList() {
    std::string out;
    for (const auto& r : supportedRevisions()) out += (out.empty() ? "" : ", ") + std::string(r.version);
    return out;
}

std::string clientInfoJson() {
    return "{\"name\":\"mission-control\",\"title\":\"Mission Control\",\"version\":" + json::quote(MC_VERSION) + "}";
}

std::string modernMetaMembers(const std::string& capabilitiesJson, const std::string& logLevel) {
    std::string out = json::quote(modern::kMetaVersion) + ":" + json::quote(modern::kVersion) + "," + json::quote(modern::kMetaClientInfo) +
                      ":" + clientInfoJson() + "," + json::quote(modern::kMetaClientCapabilities) + ":" + capabilitiesJson;
    if (!logLevel.empty()) out += "," + json::quote(modern::kMetaLogLevel) + ":" + json::quote(logLevel);
    return out;
}

bool isProtocolChoice(const std::string& choice) {
    return choice == kProtocolAuto || choice == modern::kVersion || choice == kOfferedProtocolVersion;
}

std::string protocolChoiceList() { return std::string(kProtocolAuto) + ", " + modern::kVersion + ", " + kOfferedProtocolVersion; }

bool isLoggingLevel(const std::string& level) {
    for (const char* l : kLevels)
        if (level == l) return true;
    return false;
}

std::string loggingLevelList() {
    std::string out;
    for (const char* l : kLevels) out += (out.empty() ? "" : ", ") + std::string(l);
    return out;
}

const char* structuredLevelFor(const std::string& mcpLevel) {
    if (mcpLevel == "debug") return "DEBUG";
    if (mcpLevel == "info" || mcpLevel == "notice") return "INFO";
    if (mcpLevel == "warning") return "WARN";
    if (mcpLevel == "error" || mcpLevel == "critical" || mcpLevel == "alert" || mcpLevel == "emergency") return "ERROR";
    return "INFO";
}

const char* structuredLevelFor(mc_log_level level) {
    switch (level) {
    case MC_LOG_TRACE:
    case MC_LOG_DEBUG: return "DEBUG";
    case MC_LOG_WARN: return "WARN";
    case MC_LOG_ERROR: return "ERROR";
    default: return "INFO";
    }
}

} // namespace mc::host::mcp
