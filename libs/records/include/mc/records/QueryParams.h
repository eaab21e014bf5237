#pragma once
// Query parameters as every store reads them: a JSON object of known names, typed accessors that
// throw mc::sdk::Error(MC_ERR_INVALID_ARGUMENT) naming the query and the parameter.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mc::records {

constexpr std::int64_t kMaxListLimit = 1000;
constexpr std::int64_t kDefaultListLimit = 100;

// Empty text -> an empty object; unknown names are refused with the known ones listed.
Poco::JSON::Object::Ptr parseQueryParams(const std::string& json, const std::string& queryName,
                                         const std::set<std::string>& allowed);
std::optional<std::string> stringParam(const Poco::JSON::Object& params, const std::string& queryName,
                                       const std::string& name);
// A required, non-empty string parameter.
std::string requiredStringParam(const Poco::JSON::Object& params, const std::string& queryName, const std::string& name);
// An integer in [1, max]; `fallback` when absent.
std::int64_t limitParam(const Poco::JSON::Object& params, const std::string& queryName, const std::string& name,
                        std::int64_t fallback, std::int64_t max);
// A required, non-empty array of non-empty strings of at most `maxItems` entries.
std::vector<std::string> stringListParam(const Poco::JSON::Object& params, const std::string& queryName,
                                         const std::string& name, std::size_t maxItems);

// The named queries themselves (their parameters, lists, dispatch) are mc/records/QueryCatalog.h.

// threads.state, the same in both dialects: id, status, parent_id, max step sequence, max transcript
// sequence (NULL when the thread has none) of the threads matching the WHERE clause a store appends.
inline constexpr const char* kThreadStateSql =
    "SELECT t.id, t.status, t.parent_id,"
    " (SELECT MAX(s.sequence) FROM execution_steps s WHERE s.thread_id = t.id),"
    " (SELECT MAX(m.sequence) FROM transcripts m WHERE m.thread_id = t.id)"
    " FROM threads t";
// One threads.state item: {"id","status","parent_id","max_step_sequence","max_transcript_sequence"}.
void appendThreadState(std::string& out, const std::string& id, const std::string& status,
                       const std::optional<std::string>& parentId, std::optional<std::int64_t> maxStepSequence,
                       std::optional<std::int64_t> maxTranscriptSequence);

} // namespace mc::records
