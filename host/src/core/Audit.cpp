#include "core/Audit.h"

#include "log/Logging.h"
#include "util/Json.h"

namespace mc::host {

void recordAudit(EventRouter& events, const std::string& actor, const std::string& action, const std::string& target,
                 const std::string& outcome, const std::string& detailsJson) {
    const std::string payload = "{\"actor\":" + json::quote(actor) + ",\"action\":" + json::quote(action) +
                                ",\"target\":" + json::quote(target) + ",\"outcome\":" + json::quote(outcome) +
                                ",\"details\":" + (detailsJson.empty() ? std::string("{}") : detailsJson) + "}";
    std::string error;
    if (events.route("host", "audit", payload, &error) != MC_OK)
        logging::get("host")->warn("audit record '{}' refused: {}", action, error);
}

} // namespace mc::host
