#pragma once
// Typed records across the store ABI (mc_record, plugin_abi.h), both ways: the host lends its
// normalized records to write_records without a JSON round trip, and the store turns what it was
// lent into the batch its write rules apply. Parsing and validation happened once, at the edge.
#include "mc/plugin_abi.h"
#include "mc/records/BatchWrite.h"
#include "mc/records/RecordSchema.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mc::records {

// mc_record views of typed records. The strings are borrowed: valid while the records live unchanged.
struct AbiRecords {
    std::vector<mc_record> records;
    std::vector<mc_value> values;
    std::vector<std::uint8_t> present;
};
AbiRecords toAbi(const std::vector<const TypedRecord*>& records);

// The host's side of what a plugin submits (a receiver's records): the record of `i`-th place in a
// batch of `recordSize`-byte records (a shorter, older struct reads as zeros past its end), then its
// kind and values validated and normalized by the catalog's rules (normalizeInputs): a NULL value is
// an absent field. Throws std::invalid_argument with the reason (an unknown kind, a wrong number of
// values, a field's rule).
mc_record recordAt(const mc_record* records, std::size_t i, std::size_t recordSize);
TypedRecord normalizeRecord(const mc_record& record, const std::function<std::string()>& now);

// The store's side: each record checked against the catalog it was built from (a known kind, one
// value per field, each of its field's type, required fields set, an id) and copied into a batch
// entry; a record that does not fit is a per-record reject naming why. The field rules themselves
// (allowed values, timestamp syntax) were the host's: they are not run again.
ParsedBatch fromAbi(const mc_record* records, std::size_t count, std::size_t recordSize);

} // namespace mc::records
