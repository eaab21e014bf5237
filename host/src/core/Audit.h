#pragma once
// Admin actions as `audit` records (persisted and broadcast on the `audit` channel): who did what to
// what. Actors: the JWT subject, "anonymous" when auth is off, "host" for the host itself.
#include "core/EventRouter.h"

#include <string>

namespace mc::host {

// `detailsJson`: a JSON object text ("{}" when there is nothing). Failures are logged, not thrown.
void recordAudit(EventRouter& events, const std::string& actor, const std::string& action, const std::string& target,
                 const std::string& outcome, const std::string& detailsJson = "{}");

} // namespace mc::host
