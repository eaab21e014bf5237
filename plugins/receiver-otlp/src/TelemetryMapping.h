#pragma once
// OTLP logs and spans -> Mission Control records (docs/otel.md, "Mapping"): agents' sessions become
// threads, their prompts and answers transcript messages, their model requests and tool calls steps,
// their permission decisions permission events and their MCP connections MCP status history; what has
// no such meaning is kept as a log record with every attribute, so nothing received is thrown away.
//
// Ids are derived from what the agent sent (session and event sequence, span id, or a hash of the
// record), so an exporter's retry writes nothing twice.
#include "mc/otlp/Otlp.h"
#include "mc/plugin_abi.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mc::receiver_otlp {

struct FieldValue {
    enum class Type { Null, Int, Real, Text } type = Type::Null;
    std::int64_t integer = 0;
    double real = 0;
    std::string text; // Text; also JSON fields' text
    static FieldValue of(std::string text) { return {Type::Text, 0, 0, std::move(text)}; }
    static FieldValue of(std::int64_t n) { return {Type::Int, n, 0, {}}; }
    static FieldValue ofReal(double d) { return {Type::Real, 0, d, {}}; }
};

// One record of the catalog, its fields by JSON name.
struct MappedRecord {
    std::string kind;
    std::string id;
    std::vector<std::pair<std::string, FieldValue>> fields;
    static constexpr std::size_t kNoItem = static_cast<std::size_t>(-1);
    std::size_t item = kNoItem; // the log record or span (in request order) it came from; kNoItem: a thread
};

struct Mapped {
    std::vector<MappedRecord> records;
    std::size_t items = 0; // log records or spans in the request
};

Mapped mapLogs(const otlp::LogsRequest& request);
Mapped mapTraces(const otlp::TracesRequest& request);

// mc_record views of mapped records, values in the catalog's field order. Borrows from `records`.
struct AbiBatch {
    std::vector<mc_record> records;
    std::vector<std::vector<mc_value>> values;
    std::vector<std::vector<std::uint8_t>> present;
};
// Throws std::logic_error for a kind or field the catalog does not have (a bug of the mapping).
AbiBatch toAbi(const std::vector<MappedRecord>& records);

} // namespace mc::receiver_otlp
