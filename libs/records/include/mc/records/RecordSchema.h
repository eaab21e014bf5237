#pragma once
// The record kinds Mission Control ingests, persists and serves (the seed's models plus transcripts,
// MCP status history and the audit trail) as data: one table per kind, one FieldSpec per column.
//
// This is the one definition of the event model. The host validates and normalizes every event with
// it before broadcasting; each store plugin validates again with it before writing (a store is also
// reachable by other callers) and maps FieldSpec -> column. Adding a kind or a field is an edit of the
// tables in RecordSchema.cpp (plus a migration per dialect), not of any write path.
//
// Compiled into the host and into each store plugin (a static library): nothing here crosses the
// plugin ABI; records travel as JSON text.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mc::records {

enum class FieldType { Text, Timestamp, Integer, Real, Boolean, Json };

struct FieldSpec {
    std::string jsonName;            // as it travels in a record ("step_type")
    std::string column;              // as it is stored ("type")
    FieldType type = FieldType::Text;
    bool required = false;
    bool defaultsToNow = false;       // Timestamp fields: absent -> the time of the write
    std::vector<std::string> allowed; // Text fields: the only accepted values (empty: any)
    bool upperCase = false;           // Text fields: normalized to upper case before the check
};

// How a store treats a record whose id already exists.
enum class WriteMode {
    InsertOnce, // the first write wins; a re-sent id is an accepted no-op (retries never duplicate)
    Lifecycle   // threads: merged into the stored row, status changes checked by transitionError()
};

struct KindSpec {
    std::string kind;     // "thread", "step", ...
    std::string table;
    std::string idPrefix; // generated ids: prefix + UUID
    std::vector<FieldSpec> fields; // "id" is implicit and first
    WriteMode mode = WriteMode::InsertOnce;
    // Non-empty for kinds ordered within a thread (step, transcript): (thread_id, sequence) is unique;
    // the same id again is a no-op, another id at a taken sequence is rejected (sequenceConflict()).
    bool sequenced = false;
    // Written only by the host itself (audit trail, permission decisions, MCP status history): the
    // ingest API, WebSocket publish and plugin emits refuse them, so nobody outside can forge them.
    bool hostOwned = false;
};

using ColumnValue = std::variant<std::monostate, std::int64_t, double, std::string>;

struct NormalizedRecord {
    std::string id;
    std::vector<ColumnValue> values; // parallel to KindSpec::fields
    std::vector<bool> present;       // parallel: the record carried the field (defaults are not "present")
    bool idGenerated = false;        // no client id: one was generated

    // The value of a field by its JSON name, or monostate when unknown/absent.
    const ColumnValue& value(const KindSpec& spec, std::string_view jsonName) const;
    std::optional<std::string> text(const KindSpec& spec, std::string_view jsonName) const;
};

// A normalized record and its kind: what travels from the edge (ingest, emits, the gateway) through
// the store writer to the store, parsed once.
struct TypedRecord {
    const KindSpec* spec = nullptr;
    NormalizedRecord record;
    // Roughly the memory it holds, for queue bounds: the id, every text value, 16 bytes per value.
    std::size_t sizeBytes() const;
};

// {"type":"<kind>", then the fields of toJson}: one element of a write("events") body.
void appendEventJson(std::string& out, const TypedRecord& record);

// Kinds, in the order a store should create their tables:
//   thread (T-), step (S-), log (L-), permission (P-), transcript (M-), mcp_status (MS-), audit (A-),
//   span (SP-), metric (MP-)
const std::vector<KindSpec>& allKinds();
const KindSpec* findKind(std::string_view kind);
// The time field retention deletes `spec`'s records by (their first time field that defaults to now:
// timestamp, a span's start_time), or nullptr for a kind never expired one by one: threads and what
// belongs to them (steps, transcripts), which go with their thread.
const FieldSpec* retentionField(const KindSpec& spec);
std::string knownKinds(); // "thread, step, log, permission, transcript, mcp_status, audit"
// "event type 'audit' is recorded by the host itself and cannot be submitted": why a submitter may
// not send a hostOwned kind.
std::string hostOwnedReason(std::string_view kind);

// Throws std::invalid_argument with the reason ("field 'mcp_id' is required") when invalid.
// `newId` is called when the record carries no id; `now` for absent defaultsToNow timestamps.
NormalizedRecord normalize(const KindSpec& spec, const Poco::JSON::Object& record,
                           const std::function<std::string()>& newId, const std::function<std::string()>& now);

// One field of a record that arrives typed (a plugin's mc_record) rather than as JSON.
struct FieldInput {
    enum class Kind { Absent, Integer, Real, Text } kind = Kind::Absent;
    std::int64_t integer = 0;
    double real = 0;
    std::string_view text; // Text; JSON fields' JSON text
};
// normalize() for typed input, by the same rules and with the same reasons: `inputs` parallel to
// spec.fields, `id` empty for a generated one. A JSON field's text is checked (one value, at most 64
// levels) and kept as it is, not re-formatted. Throws std::invalid_argument.
NormalizedRecord normalizeInputs(const KindSpec& spec, std::string_view id, const std::vector<FieldInput>& inputs,
                                 const std::function<std::string()>& newId, const std::function<std::string()>& now);

// Why a Json field would refuse `jsonText` ("" when it takes it): not one JSON value, or nested deeper
// than the 64 levels every envelope a record travels in can carry.
std::string jsonFieldProblem(std::string_view jsonText);

// A record the host builds itself (the gateway's steps, threads, permission decisions and server
// logs), field by field: the values go to normalizeInputs as they are, with no JSON object to build
// and read back. A field the kind does not have is a programming error: std::logic_error.
class RecordBuilder {
public:
    explicit RecordBuilder(const KindSpec& spec);
    RecordBuilder& text(std::string_view field, std::string value);   // Text and Timestamp fields
    RecordBuilder& integer(std::string_view field, std::int64_t value);
    RecordBuilder& real(std::string_view field, double value);
    RecordBuilder& boolean(std::string_view field, bool value);
    RecordBuilder& json(std::string_view field, std::string jsonText); // Json fields: their JSON text
    RecordBuilder& id(std::string value);                              // absent: one is generated
    // Normalized by the catalog's rules (std::invalid_argument with normalize's reasons); absent
    // timestamps that default to now take `now`.
    TypedRecord build(const std::function<std::string()>& now) const;
    const KindSpec& spec() const { return *spec_; }

private:
    std::size_t at(std::string_view field) const;
    const KindSpec* spec_;
    std::string id_;
    std::vector<FieldInput> inputs_; // parallel to spec_->fields; Text ones point into texts_ at build()
    std::vector<std::string> texts_;
};

// The canonical JSON object of a normalized record: {"id":..., every field by JSON name (null when
// absent)}. What the host broadcasts and what it hands to the store; stable field order.
std::string toJson(const KindSpec& spec, const NormalizedRecord& record);
void appendJson(std::string& out, const KindSpec& spec, const NormalizedRecord& record);

// A generated id: spec.idPrefix + a random UUID.
std::string generateId(const KindSpec& spec);

// ---- Thread lifecycle --------------------------------------------------------------------------
// running <-> paused; running|paused -> complete|error|cancelled; terminal states are final.
// The same status again is always allowed (a repeated event is idempotent).
bool isTerminalStatus(std::string_view status);
// nullopt when `from` -> `to` is allowed, else the reason:
// "thread 'T-1' cannot go from complete to running (complete is final)".
std::optional<std::string> transitionError(std::string_view threadId, std::string_view from, std::string_view to);

// ---- Reasons shared by every store, so both backends reject with the same words ---------------------
std::string missingThreadReason(std::string_view threadId);   // thread_id 'T-x' does not exist (write the thread first)
std::string missingParentReason(std::string_view parentId);   // parent_id 'T-x' does not exist (write the parent first)
std::string sequenceConflictReason(std::string_view kind, std::string_view threadId, std::int64_t sequence,
                                   std::string_view existingId); // step sequence 3 of thread 'T-1' is already taken by 'S-a'

} // namespace mc::records
