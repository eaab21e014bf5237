// libs/records: the event model's write rules without a database (mergeThread, parseBatch,
// the result JSON). The stores' behaviour on real databases is StoreConformanceTest's.
#include "mc/records/BatchWrite.h"
#include "mc/records/JsonText.h"
#include "mc/records/RandomId.h"
#include "mc/records/RecordAbi.h"
#include "mc/records/RecordSchema.h"
#include "mc/sdk.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

namespace records = mc::records;

namespace {

const std::string kNow = "2026-05-05T05:05:05.000000Z";

records::NormalizedRecord thread(const std::string& json) {
    return records::normalize(*records::findKind("thread"), *Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>(),
                              [] { return std::string("T-generated"); }, [] { return kNow; });
}

Poco::JSON::Object::Ptr parseObject(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

// What `f` throws as std::invalid_argument ("" when it does not).
template <class F>
std::string reasonOf(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

std::string text(const records::NormalizedRecord& r, const char* field) {
    return r.text(*records::findKind("thread"), field).value_or("<unset>");
}

// Records the calls applyBatch makes; every insert succeeds, no thread is stored before the batch.
class RecordingTarget : public records::WriteTarget {
public:
    std::vector<std::string> calls;
    std::map<std::string, records::NormalizedRecord> threads;

    std::optional<records::NormalizedRecord> findThread(const std::string& id) override {
        auto it = threads.find(id);
        return it == threads.end() ? std::nullopt : std::optional<records::NormalizedRecord>(it->second);
    }
    std::optional<std::string> insertThread(const records::NormalizedRecord& t) override {
        calls.push_back("thread:" + t.id);
        threads[t.id] = t;
        return std::nullopt;
    }
    std::optional<std::string> updateThread(const records::NormalizedRecord& t) override { return insertThread(t); }
    std::vector<records::InsertResult> insertOnce(const records::KindSpec& spec,
                                                  const std::vector<const records::NormalizedRecord*>& run) override {
        std::string call = spec.kind + ":";
        for (const auto* r : run) call += (call.back() == ':' ? "" : ",") + r->id;
        calls.push_back(call);
        return std::vector<records::InsertResult>(run.size());
    }
    std::set<std::string> existing(const records::KindSpec&, const std::vector<std::string>&) override { return {}; }
    std::optional<std::string> sequenceOwner(const records::KindSpec&, const std::string&, std::int64_t) override {
        return std::nullopt;
    }
};

} // namespace

class RecordSchemaTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RecordSchemaTest);
    CPPUNIT_TEST(testNewTerminalThreadGetsEndedAt);
    CPPUNIT_TEST(testMergeKeepsAbsentFieldsAndStartedAt);
    CPPUNIT_TEST(testStartedAtOnlyMovesEarlier);
    CPPUNIT_TEST(testMergeRejectsLeavingAFinalState);
    CPPUNIT_TEST(testSameEventAgainIsUnchanged);
    CPPUNIT_TEST(testParseBatchRejectsPerRecordAndRefusesBadBodies);
    CPPUNIT_TEST(testResultJson);
    CPPUNIT_TEST(testInsertOnceKindsAreGroupedBetweenThreadEvents);
    CPPUNIT_TEST(testTimestampsStayWithinFourDigitYears);
    CPPUNIT_TEST(testTimestampGrammarIsExactlyRfc3339);
    CPPUNIT_TEST(testJsonFieldsNestAtMost64Levels);
    CPPUNIT_TEST(testTypedRecordsCrossTheStoreAbiUnchanged);
    CPPUNIT_TEST(testRecordsThatDoNotFitTheCatalogAreRejectedAlone);
    CPPUNIT_TEST(testJsonTextIsCheckedWithoutBeingParsed);
    CPPUNIT_TEST(testTypedInputFollowsTheRulesOfJsonInput);
    CPPUNIT_TEST(testPluginRecordsAreNormalizedAtTheEdge);
    CPPUNIT_TEST(testRandomIdsAreVersionFourUuidsNeverRepeated);
    CPPUNIT_TEST(testRecordIdsAreTimeOrderedVersionSevenUuids);
    CPPUNIT_TEST(testTheHostsOwnRecordsAreBuiltFieldByField);
    CPPUNIT_TEST_SUITE_END();

    const records::KindSpec& spec = *records::findKind("thread");
    std::function<std::string()> now = [] { return kNow; };

public:
    void testNewTerminalThreadGetsEndedAt() {
        auto merged = records::mergeThread(spec, std::nullopt, thread(R"({"id":"T-1","mcp_id":"m","status":"cancelled"})"), now);
        CPPUNIT_ASSERT(merged.row);
        CPPUNIT_ASSERT(!merged.unchanged);
        CPPUNIT_ASSERT_EQUAL(kNow, text(*merged.row, "ended_at"));
        merged = records::mergeThread(
            spec, std::nullopt, thread(R"({"id":"T-1","mcp_id":"m","status":"error","ended_at":"2026-01-01T00:00:00Z"})"), now);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:00.000000Z"), text(*merged.row, "ended_at"));
        merged = records::mergeThread(spec, std::nullopt, thread(R"({"id":"T-1","mcp_id":"m","status":"running"})"), now);
        CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), text(*merged.row, "ended_at"));
    }

    void testMergeKeepsAbsentFieldsAndStartedAt() {
        const auto stored = thread(R"({"id":"T-1","mcp_id":"m","status":"running","user_input":"hi","started_at":"2026-01-01T00:00:00Z"})");
        auto merged = records::mergeThread(spec, stored, thread(R"({"id":"T-1","mcp_id":"m2","status":"complete"})"), now);
        CPPUNIT_ASSERT(merged.row);
        CPPUNIT_ASSERT_EQUAL(std::string("complete"), text(*merged.row, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("m2"), text(*merged.row, "mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), text(*merged.row, "user_input"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:00.000000Z"), text(*merged.row, "started_at"));
        CPPUNIT_ASSERT_EQUAL(kNow, text(*merged.row, "ended_at"));
    }

    void testStartedAtOnlyMovesEarlier() {
        const auto stored = thread(R"({"id":"T-1","mcp_id":"m","status":"running","started_at":"2026-01-01T00:00:10Z"})");
        auto later = records::mergeThread(spec, stored, thread(R"({"id":"T-1","mcp_id":"m","status":"running","started_at":"2026-01-01T00:00:20Z"})"), now);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:10.000000Z"), text(*later.row, "started_at"));
        CPPUNIT_ASSERT(later.unchanged);
        // An offset is compared in UTC: 01:00:05+01:00 is 00:00:05Z, earlier.
        auto earlier = records::mergeThread(spec, stored, thread(R"({"id":"T-1","mcp_id":"m","status":"running","started_at":"2026-01-01T01:00:05+01:00"})"), now);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:05.000000Z"), text(*earlier.row, "started_at"));
        CPPUNIT_ASSERT(!earlier.unchanged);
    }

    void testMergeRejectsLeavingAFinalState() {
        const auto stored = thread(R"({"id":"T-1","mcp_id":"m","status":"complete"})");
        auto merged = records::mergeThread(spec, stored, thread(R"({"id":"T-1","mcp_id":"m","status":"paused"})"), now);
        CPPUNIT_ASSERT(!merged.row);
        CPPUNIT_ASSERT_EQUAL(std::string("thread 'T-1' cannot go from complete to paused (complete is final)"), merged.rejectReason);
    }

    void testSameEventAgainIsUnchanged() {
        const auto first = thread(R"({"id":"T-1","mcp_id":"m","status":"paused","started_at":"2026-01-01T00:00:00Z"})");
        const auto stored = *records::mergeThread(spec, std::nullopt, first, now).row;
        auto again = records::mergeThread(spec, stored, thread(R"({"id":"T-1","mcp_id":"m","status":"paused"})"), now);
        CPPUNIT_ASSERT(again.row);
        CPPUNIT_ASSERT(again.unchanged);
    }

    void testParseBatchRejectsPerRecordAndRefusesBadBodies() {
        auto batch = records::parseBatch("events", R"([{"type":"log","level":"info","service":"s","mcp_id":"m"},7,{"type":"x"},{"type":"step"}])", now);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), batch.entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("log"), batch.entries[0].spec->kind);
        CPPUNIT_ASSERT_EQUAL(std::string("L-"), batch.entries[0].record.id.substr(0, 2));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), batch.rejected.size());
        CPPUNIT_ASSERT_EQUAL(std::string("record is not a JSON object"), batch.rejected[0].reason);
        CPPUNIT_ASSERT_EQUAL("unknown event type 'x' (known: " + records::knownKinds() + ")", batch.rejected[1].reason);
        CPPUNIT_ASSERT_EQUAL(std::string("field 'thread_id' is required"), batch.rejected[2].reason);
        for (const auto& [kind, body] : {std::pair{"events", "{}"}, std::pair{"log", "nope"}, std::pair{"heartbeat", "[]"}}) {
            try {
                records::parseBatch(kind, body, now);
                CPPUNIT_FAIL(std::string("accepted ") + kind + " " + body);
            } catch (const mc::sdk::Error& e) {
                CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, e.status());
            }
        }
    }

    void testResultJson() {
        records::WriteResult result;
        result.accepted = 3;
        result.duplicates = 1;
        result.rejected = {{4, "bad \"x\""}};
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"accepted":3,"duplicates":1,"rejected":[{"index":4,"reason":"bad \"x\""}]})"),
                             records::toJson(result));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"a":[1,2.5],"b":{"c":null}})"), records::canonicalJsonText(R"({"b": {"c": null}, "a": [1, 2.5]})"));
    }

    void testInsertOnceKindsAreGroupedBetweenThreadEvents() {
        const std::string log = R"("level":"INFO","service":"s","mcp_id":"m")";
        auto batch = records::parseBatch(
            "events",
            R"([{"type":"log","id":"L-1",)" + log + R"(},{"type":"step","id":"S-1","thread_id":"T-0","sequence":1,"step_type":"x"},)"
            R"({"type":"log","id":"L-2",)" + log + R"(},{"type":"thread","id":"T-1","mcp_id":"m","status":"running"},)"
            R"({"type":"log","id":"L-3",)" + log + R"(},{"type":"step","id":"S-2","thread_id":"T-1","sequence":1,"step_type":"x"},)"
            R"({"type":"log","id":"L-4",)" + log + R"(}])",
            now);
        RecordingTarget target;
        const auto result = records::applyBatch(batch, target, now);
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), result.accepted);
        const std::vector<std::string> expected = {"log:L-1,L-2", "step:S-1", "thread:T-1", "log:L-3,L-4", "step:S-2"};
        CPPUNIT_ASSERT(expected == target.calls);
    }

    // Found by fuzz/ingest_body: an offset carried 0000-01-01 into year -1 ("-001-12-31T23:00:00Z"):
    // the host accepted and broadcast the event, then the store refused its own stored form.
    void testTimestampsStayWithinFourDigitYears() {
        std::string out;
        CPPUNIT_ASSERT(records::normalizeTimestamp("0000-01-01T00:00:00Z", out));
        CPPUNIT_ASSERT_EQUAL(std::string("0000-01-01T00:00:00.000000Z"), out);
        CPPUNIT_ASSERT(records::normalizeTimestamp("9999-12-31T23:59:59.999999Z", out));
        CPPUNIT_ASSERT_EQUAL(std::string("9999-12-31T23:59:59.999999Z"), out);
        CPPUNIT_ASSERT(records::normalizeTimestamp("0000-01-01T00:30:00+00:30", out));
        CPPUNIT_ASSERT_EQUAL(std::string("0000-01-01T00:00:00.000000Z"), out);
        CPPUNIT_ASSERT(!records::normalizeTimestamp("0000-01-01T00:00:00+01:00", out));
        CPPUNIT_ASSERT(!records::normalizeTimestamp("9999-12-31T23:59:59-00:01", out));
        // So an event carrying one is refused with the field's reason, not accepted then lost.
        const auto parsed = records::parseBatch(
            "log", R"([{"level":"INFO","service":"s","mcp_id":"m","timestamp":"0000-01-01T00:00:00+01:00"}])", [] { return kNow; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), parsed.rejected.size());
        CPPUNIT_ASSERT_EQUAL(std::string("field 'timestamp' must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z"),
                             parsed.rejected[0].reason);
    }

    // normalizeTimestamp reads RFC 3339 by hand (std::regex took 2.5 times the instructions, on every
    // event twice). The grammar the regex stated is the oracle: on valid timestamps and on hundreds of
    // thousands of mutations of them, both accept the same strings, and accepted ones keep their
    // instant (the fields the oracle reads give the same UTC second and microseconds).
    void testTimestampGrammarIsExactlyRfc3339() {
        static const std::regex grammar(
            R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$)");
        const std::vector<std::string> seeds = {
            "2026-01-02T03:04:05Z",         "2026-01-02t03:04:05.1z",      "2026-01-02 03:04:05.123456789+05:30",
            "2024-02-29T23:59:60-00:00",    "1970-01-01T00:00:00.000001Z", "2026-12-31T23:59:59.9999999-23:59",
            "0000-01-01T00:30:00+00:30",    "9999-12-31T23:59:59.999999Z",
        };
        const std::string alphabet = "0123456789-:.TtZz+ x9";
        std::mt19937 random(20261201);
        std::size_t accepted = 0, refused = 0;
        auto check = [&](const std::string& text) {
            std::string out;
            const bool ours = records::normalizeTimestamp(text, out);
            std::smatch m;
            if (!std::regex_match(text, m, grammar)) {
                CPPUNIT_ASSERT_MESSAGE("accepted outside the grammar: '" + text + "'", !ours);
                ++refused;
                return;
            }
            if (!ours) { // in the grammar, refused for its values (a day, an hour, a zone out of range)
                ++refused;
                return;
            }
            ++accepted;
            const std::string zone = m[8].str();
            std::string expected;
            if (zone == "Z" || zone == "z" || zone == "+00:00" || zone == "-00:00") {
                std::string fraction = m[7].matched ? m[7].str() : "";
                fraction.resize(6, '0');
                const std::string seconds = m[6].str() == "60" ? "59" : m[6].str();
                expected = m[1].str() + "-" + m[2].str() + "-" + m[3].str() + "T" + m[4].str() + ":" + m[5].str() + ":" +
                           seconds + "." + fraction + "Z";
                CPPUNIT_ASSERT_EQUAL_MESSAGE(text, expected, out);
            }
            std::string again;
            CPPUNIT_ASSERT_MESSAGE(out, records::normalizeTimestamp(out, again));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, out, again);
        };
        for (const auto& seed : seeds) {
            check(seed);
            for (int i = 0; i < 40000; ++i) {
                std::string text = seed;
                const int edits = 1 + static_cast<int>(random() % 3);
                for (int e = 0; e < edits; ++e) {
                    const std::size_t at = random() % (text.size() + 1);
                    const char c = alphabet[random() % alphabet.size()];
                    switch (random() % 3) {
                    case 0: if (at < text.size()) text[at] = c; break;
                    case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
                    default: if (at < text.size()) text.erase(at, 1); break;
                    }
                }
                check(text);
            }
        }
        // Both sides were exercised.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(accepted), accepted > 10000);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(refused), refused > 100000);
    }

    // Found by fuzz/ingest_body: an NDJSON line is an event at depth 1, so its "context" could nest
    // 127 levels and pass; the store writer's batch ([event, ...]) is one level deeper than Poco's
    // parser reads, and the store refused the whole batch, every other client's events in it too.
    void testJsonFieldsNestAtMost64Levels() {
        const auto log = [](int depth) {
            return R"({"type":"log","level":"INFO","service":"s","mcp_id":"m","context":)" + std::string(depth, '[') +
                   std::string(depth, ']') + "}";
        };
        const auto normalizeLog = [](const std::string& json) {
            return records::normalize(*records::findKind("log"), *Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>(),
                                      [] { return std::string("L-1"); }, [] { return kNow; });
        };
        // 64 levels pass, and the store reads the batch the host writes of them.
        const auto record = normalizeLog(log(64));
        const std::string canonical = records::toJson(*records::findKind("log"), record);
        const auto batch = records::parseBatch("events", R"([{"type":"log",)" + canonical.substr(1) + "]", [] { return kNow; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), batch.entries.size());
        for (int depth : {65, 127}) {
            try {
                normalizeLog(log(depth));
                CPPUNIT_FAIL("accepted a context nested " + std::to_string(depth) + " levels");
            } catch (const std::invalid_argument& e) {
                CPPUNIT_ASSERT_EQUAL(std::string("field 'context' nests deeper than 64 levels of objects and arrays"),
                                     std::string(e.what()));
            }
        }
    }

    static records::TypedRecord typed(const std::string& kind, const std::string& json) {
        const auto* spec = records::findKind(kind);
        return {spec, records::normalize(*spec, *Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>(),
                                         [spec] { return records::generateId(*spec); }, [] { return kNow; })};
    }

    // Every value type (text, timestamp, integer, real, boolean, JSON, absent) goes through
    // mc_record and comes back as the same normalized record, present flags included.
    void testTypedRecordsCrossTheStoreAbiUnchanged() {
        const std::vector<records::TypedRecord> sent = {
            typed("thread", R"({"id":"T-1","mcp_id":"m","status":"running","execution_context":{"a":[1,2]},"memory_usage":42,"cpu_usage":0.25})"),
            typed("log", R"({"level":"warn","service":"s","mcp_id":"m","message":"caf\u00e9 \"q\""})"),
            typed("permission", R"({"id":"P-1","granted":true,"resource":"r"})"),
        };
        std::vector<const records::TypedRecord*> batch;
        for (const auto& r : sent) batch.push_back(&r);
        const auto abi = records::toAbi(batch);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), abi.records.size());
        CPPUNIT_ASSERT_EQUAL(std::string("log"), std::string(abi.records[1].kind.ptr, abi.records[1].kind.len));
        const auto back = records::fromAbi(abi.records.data(), abi.records.size(), sizeof(mc_record));
        CPPUNIT_ASSERT(back.rejected.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), back.entries.size());
        for (std::size_t i = 0; i < sent.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(i, back.entries[i].index);
            CPPUNIT_ASSERT(back.entries[i].spec == sent[i].spec);
            CPPUNIT_ASSERT_EQUAL(sent[i].record.id, back.entries[i].record.id);
            CPPUNIT_ASSERT(sent[i].record.values == back.entries[i].record.values);
            CPPUNIT_ASSERT(sent[i].record.present == back.entries[i].record.present);
            // The JSON a store without write_records gets says the same.
            std::string viaAbi, direct;
            records::appendEventJson(viaAbi, {back.entries[i].spec, back.entries[i].record});
            records::appendEventJson(direct, sent[i]);
            CPPUNIT_ASSERT_EQUAL(direct, viaAbi);
        }
        std::string event;
        records::appendEventJson(event, sent[2]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"type":"permission","id":"P-1","timestamp":")") + kNow +
                                 R"(","thread_id":null,"user_id":null,"resource":"r","action":null,"granted":true,"reason":null,"mcp_id":null})",
                             event);
    }

    void testRecordsThatDoNotFitTheCatalogAreRejectedAlone() {
        const auto good = typed("log", R"({"id":"L-1","level":"INFO","service":"s","mcp_id":"m"})");
        auto abi = records::toAbi({&good, &good, &good, &good, &good, &good});
        const mc_str bogus{"bogus", 5};
        abi.records[0].kind = bogus;
        abi.records[1].value_count -= 1;
        std::vector<mc_value> wrongType(abi.values.begin(), abi.values.begin() + static_cast<long>(good.record.values.size()));
        wrongType[1] = mc_value{MC_VALUE_INT, 3, 0, {}}; // level is text
        abi.records[2].values = wrongType.data();
        std::vector<mc_value> nullRequired = wrongType;
        nullRequired[1] = mc_value{MC_VALUE_TEXT, 0, 0, {"INFO", 4}};
        nullRequired[2] = mc_value{MC_VALUE_NULL, 0, 0, {}}; // service is required
        abi.records[3].values = nullRequired.data();
        abi.records[4].id = mc_str{nullptr, 0};
        const auto batch = records::fromAbi(abi.records.data(), abi.records.size(), sizeof(mc_record));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), batch.entries.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), batch.entries[0].index);
        const std::vector<std::string> reasons = {
            "unknown event type 'bogus' (known: " + records::knownKinds() + ")",
            "log record has 7 values; the kind has 8 fields",
            "field 'level' is a text field; the value is an integer",
            "field 'service' is required",
            "log record has no id"};
        CPPUNIT_ASSERT_EQUAL(reasons.size(), batch.rejected.size());
        for (std::size_t i = 0; i < reasons.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(i, batch.rejected[i].index);
            CPPUNIT_ASSERT_EQUAL(reasons[i], batch.rejected[i].reason);
        }
        // A newer host's longer mc_record (a larger stride) is read as far as this one knows it.
        struct Longer {
            mc_record record;
            std::uint64_t appended;
        };
        const auto abiGood = records::toAbi({&good, &good}); // owns the values the records point to
        std::vector<Longer> longer;
        for (const auto& r : abiGood.records) longer.push_back({r, 0xffffffffffffffffull});
        const auto wide = records::fromAbi(&longer[0].record, longer.size(), sizeof(Longer));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), wide.entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("L-1"), wide.entries[1].record.id);
        CPPUNIT_ASSERT(records::fromAbi(nullptr, 0, sizeof(mc_record)).entries.empty()); // an empty batch
        CPPUNIT_ASSERT(records::toAbi({}).records.empty());
        // A stride smaller than the struct the host knows is refused whole.
        try {
            records::fromAbi(abi.records.data(), 1, sizeof(mc_record) - 8);
            CPPUNIT_FAIL("a short record_size was accepted");
        } catch (const mc::sdk::Error& e) {
            CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, e.status());
        }
    }

    void testJsonTextIsCheckedWithoutBeingParsed() {
        const auto ok = [](std::string_view text) { return records::jsonTextProblem(text, 64).empty(); };
        for (const char* good : {R"({"a":[1,-2.5e+3,0,true,false,null],"b":"\u00e9\n","c":{}})", " [] ", "\"x\"", "-0.5E10", "0",
                                 "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""})
            CPPUNIT_ASSERT_MESSAGE(good, ok(good));
        const std::pair<const char*, const char*> bad[] = {
            {"", "a missing value at byte 0"},
            {"{\"a\":1,}", "an object key that is not a string at byte 7"},
            {"[1 2]", "a missing ',' or ']' at byte 3"},
            {"01", "text after the value at byte 1"},
            {"1.", "a number without digits after '.' at byte 2"},
            {"\"tab\there\"", "a control character in a string at byte 4"},
            {"\"\\x\"", "an unknown escape at byte 2"},
            {"\"\\u12\"", "a \\u escape without four hex digits at byte 2"},
            {"\"\xc3(\"", "a byte that is not UTF-8 at byte 1"},
            {"\"\xed\xa0\x80\"", "a byte that is not UTF-8 at byte 1"}, // a UTF-16 surrogate
            {"\"open", "an unterminated string at byte 5"},
            {"nul", "an unknown literal at byte 0"},
            {"{} {}", "text after the value at byte 3"},
            {"[18446744073709551616]", "an integer beyond 64 bits at byte 1"}, // fuzz finding 9: JSON allows it, readers do not
            {"-9223372036854775809", "an integer beyond 64 bits at byte 1"},
            {"\"\\ude00\"", "a lone low surrogate escape at byte 2"}, // fuzz finding 9 too
            {"\"\\ud83d x\"", "a high surrogate escape without its low one at byte 2"},
            {" -1.5E+810", "a number beyond the range of a double at byte 2"},
        };
        for (const auto& [text, why] : bad) CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string(why), records::jsonTextProblem(text, 64));
        CPPUNIT_ASSERT_EQUAL(std::string("more than 2 levels of objects and arrays at byte 2"), records::jsonTextProblem("[[[1]]]", 2));
        CPPUNIT_ASSERT(records::jsonTextProblem("[[1]]", 2).empty());
        for (const char* edge : {"\"\\ud83d\\ude00\"", "18446744073709551615", "-9223372036854775808", "1e-400", "123456789012345678901234.5"})
            CPPUNIT_ASSERT_MESSAGE(edge, records::jsonTextProblem(edge, 64).empty());
    }

    void testTypedInputFollowsTheRulesOfJsonInput() {
        using K = records::FieldInput::Kind;
        const auto& spec = *records::findKind("log");
        // timestamp, level, service, thread_id, mcp_id, message, context, exception
        const auto input = [](K kind, std::string_view text = {}, std::int64_t n = 0, double d = 0) {
            records::FieldInput in;
            in.kind = kind;
            in.text = text;
            in.integer = n;
            in.real = d;
            return in;
        };
        const auto fields = [&](std::vector<records::FieldInput> in) { return in; };
        const auto refusal = [&](std::vector<records::FieldInput> in) -> std::string {
            try {
                records::normalizeInputs(spec, "L-1", in, [] { return std::string("gen"); }, [] { return std::string("now"); });
            } catch (const std::invalid_argument& e) {
                return e.what();
            }
            return "accepted";
        };
        const records::FieldInput absent;
        auto good = fields({absent, input(K::Text, "warn"), input(K::Text, "svc"), absent, input(K::Text, "m"), input(K::Text, "hi"),
                            input(K::Text, R"({"b":1,  "a":2})"), absent});
        const auto record = records::normalizeInputs(spec, "", good, [] { return std::string("L-gen"); }, [] { return std::string("2026-01-01T00:00:00.000000Z"); });
        CPPUNIT_ASSERT_EQUAL(std::string("L-gen"), record.id);
        CPPUNIT_ASSERT(record.idGenerated);
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), *record.text(spec, "level")); // upper-cased, as from JSON
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:00.000000Z"), *record.text(spec, "timestamp"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"b":1,  "a":2})"), *record.text(spec, "context")); // kept as given
        CPPUNIT_ASSERT(!record.present[0] && record.present[1]);
        // The same reasons as for JSON input.
        auto g = good;
        g[1] = input(K::Text, "LOUD");
        CPPUNIT_ASSERT_EQUAL(std::string("field 'level' must be one of DEBUG, INFO, WARN, ERROR (got 'LOUD')"), refusal(g));
        g = good;
        g[2] = absent;
        CPPUNIT_ASSERT_EQUAL(std::string("field 'service' is required"), refusal(g));
        g = good;
        g[2] = input(K::Integer, {}, 5);
        CPPUNIT_ASSERT_EQUAL(std::string("field 'service' must be a string"), refusal(g));
        g = good;
        g[0] = input(K::Text, "yesterday");
        CPPUNIT_ASSERT_EQUAL(std::string("field 'timestamp' must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z"), refusal(g));
        g = good;
        g[6] = input(K::Text, "{nope}");
        CPPUNIT_ASSERT_EQUAL(std::string("field 'context' is not JSON of at most 64 levels: an object key that is not a string at byte 1"),
                             refusal(g));
        g.pop_back();
        CPPUNIT_ASSERT_EQUAL(std::string("a 'log' record needs 8 values in the catalog's order, got 7"), refusal(g));
        // Numbers and booleans (a step's sequence and duration, a permission's granted).
        const auto& step = *records::findKind("step");
        std::vector<records::FieldInput> s(step.fields.size());
        s[0] = input(K::Text, "T-1");
        s[1] = input(K::Real, {}, 0, 3.0); // an integral real is an integer
        s[4] = input(K::Text, "tool_call");
        s[3] = input(K::Integer, {}, 12); // duration_ms: an integer is a number
        const auto st = records::normalizeInputs(step, "S-1", s, [] { return std::string(); }, [] { return std::string("2026-01-01T00:00:00.000000Z"); });
        CPPUNIT_ASSERT(std::get<std::int64_t>(st.values[1]) == 3);
        CPPUNIT_ASSERT(std::get<double>(st.values[3]) == 12.0);
        s[1] = input(K::Real, {}, 0, 3.5);
        CPPUNIT_ASSERT_THROW_MESSAGE("3.5 is no sequence", records::normalizeInputs(step, "S-1", s, [] { return std::string(); }, [] { return std::string("x"); }),
                                     std::invalid_argument);
        s[1] = input(K::Integer, {}, 1);
        s[3] = input(K::Real, {}, 0, std::numeric_limits<double>::quiet_NaN());
        try {
            records::normalizeInputs(step, "S-1", s, [] { return std::string(); }, [] { return std::string("x"); });
            CPPUNIT_FAIL("NaN accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("field 'duration_ms' must be a finite number"), std::string(e.what()));
        }
        const auto& permission = *records::findKind("permission");
        std::vector<records::FieldInput> p(permission.fields.size());
        for (std::size_t i = 0; i < permission.fields.size(); ++i)
            if (permission.fields[i].jsonName == "granted") p[i] = input(K::Integer, {}, 2);
        try {
            records::normalizeInputs(permission, "P-1", p, [] { return std::string(); }, [] { return std::string("2026-01-01T00:00:00.000000Z"); });
            CPPUNIT_FAIL("granted = 2 accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("field 'granted' must be true or false"), std::string(e.what()));
        }
    }

    void testPluginRecordsAreNormalizedAtTheEdge() {
        const auto& spec = *records::findKind("log");
        std::vector<mc_value> values(spec.fields.size(), mc_value{MC_VALUE_NULL, 0, 0, {nullptr, 0}});
        const auto text = [](const char* s) { return mc_value{MC_VALUE_TEXT, 0, 0, {s, std::strlen(s)}}; };
        values[1] = text("INFO");
        values[2] = text("svc");
        values[4] = text("m");
        std::vector<std::uint8_t> present(spec.fields.size(), 0);
        mc_record r{sizeof(mc_record), {"log", 3}, {"L-9", 3}, values.data(), present.data(), values.size()};
        const auto typed = records::normalizeRecord(r, [] { return std::string("2026-01-01T00:00:00.000000Z"); });
        CPPUNIT_ASSERT_EQUAL(std::string("log"), typed.spec->kind);
        CPPUNIT_ASSERT_EQUAL(std::string("L-9"), typed.record.id);
        CPPUNIT_ASSERT_EQUAL(std::string("svc"), *typed.record.text(spec, "service"));
        const auto refusal = [](const mc_record& record) -> std::string {
            try {
                records::normalizeRecord(record, [] { return std::string("2026-01-01T00:00:00.000000Z"); });
            } catch (const std::invalid_argument& e) {
                return e.what();
            }
            return "accepted";
        };
        mc_record unknown = r;
        unknown.kind = {"gauge", 5};
        CPPUNIT_ASSERT_EQUAL(std::string("unknown event type 'gauge' (known: thread, step, log, permission, transcript, mcp_status, audit, span, metric, protocol_message)"),
                             refusal(unknown));
        // Any integer may come across the C ABI as a type tag (written as bytes: no enum holds 9).
        const int nine = 9;
        std::memcpy(&values[5].type, &nine, sizeof values[5].type);
        CPPUNIT_ASSERT_EQUAL(std::string("field 'message' has an invalid value type 9"), refusal(r));
        values[5] = mc_value{MC_VALUE_TEXT, 0, 0, {nullptr, 3}};
        CPPUNIT_ASSERT_EQUAL(std::string("field 'message' has a NULL text pointer"), refusal(r));
        values[5] = mc_value{MC_VALUE_NULL, 0, 0, {nullptr, 0}};
        mc_record noValues = r;
        noValues.values = nullptr;
        CPPUNIT_ASSERT_EQUAL(std::string("a 'log' record has no values"), refusal(noValues));
        // A batch of a plugin's shorter (older) struct reads as zeros past its end.
        struct Old {
            std::size_t struct_size;
            mc_str kind;
        } old[2] = {{sizeof(Old), {"log", 3}}, {sizeof(Old), {"step", 4}}};
        const mc_record second = records::recordAt(reinterpret_cast<const mc_record*>(&old[0]), 1, sizeof(Old));
        CPPUNIT_ASSERT_EQUAL(std::string("step"), std::string(second.kind.ptr, second.kind.len));
        CPPUNIT_ASSERT(second.values == nullptr && second.value_count == 0 && second.id.len == 0);
    }

    // Ids come from a per-thread pool of kernel randomness: well-formed, and distinct within a thread,
    // across a pool's refills (256 ids each) and across threads (each pool is drawn on its own).
    void testRandomIdsAreVersionFourUuidsNeverRepeated() {
        const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        std::set<std::string> seen;
        std::map<char, int> variants;
        for (int i = 0; i < 2000; ++i) {
            const std::string id = records::randomUuid();
            CPPUNIT_ASSERT_MESSAGE(id, std::regex_match(id, form));
            CPPUNIT_ASSERT_MESSAGE("repeated: " + id, seen.insert(id).second);
            ++variants[id[19]];
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), variants.size()); // 8, 9, a and b all occur: the bits are random
        std::vector<std::string> fromOthers(4 * 600);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&fromOthers, t] {
                for (int i = 0; i < 600; ++i) fromOthers[t * 600 + i] = records::randomUuid();
            });
        for (auto& thread : threads) thread.join();
        for (const auto& id : fromOthers) CPPUNIT_ASSERT_MESSAGE("repeated across threads: " + id, seen.insert(id).second);
    }

    // Record ids are version-7 UUIDs: the creation time leads (milliseconds, then the microseconds
    // within in 12 bits), so ids made later sort after earlier ones and a store's id index grows at
    // its end; the last 62 bits are random, so ids made in the same microsecond differ.
    void testRecordIdsAreTimeOrderedVersionSevenUuids() {
        const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        const auto nowMs = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        };
        const long long before = nowMs();
        const std::string first = records::timeOrderedUuid();
        const long long after = nowMs();
        CPPUNIT_ASSERT_MESSAGE(first, std::regex_match(first, form));
        const long long stamped = std::stoll(first.substr(0, 8) + first.substr(9, 4), nullptr, 16);
        CPPUNIT_ASSERT(stamped >= before && stamped <= after);
        std::set<std::string> seen{first};
        std::string previous = first;
        std::map<char, int> variants;
        for (int i = 0; i < 3000; ++i) {
            const std::string id = records::timeOrderedUuid();
            CPPUNIT_ASSERT_MESSAGE(id, std::regex_match(id, form));
            CPPUNIT_ASSERT_MESSAGE("repeated: " + id, seen.insert(id).second);
            // Not before the previous one's microsecond (the clock may stand still between two).
            CPPUNIT_ASSERT_MESSAGE(previous + " then " + id, id.substr(0, 18) >= previous.substr(0, 18));
            previous = id;
            ++variants[id[19]];
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), variants.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const std::string later = records::timeOrderedUuid();
        CPPUNIT_ASSERT_MESSAGE(previous + " then " + later, later > previous);
        const std::string generated = records::generateId(*records::findKind("log"));
        CPPUNIT_ASSERT_MESSAGE(generated, std::regex_match(generated.substr(generated.size() - 36), form));
        // Not before `later`'s microsecond; within the same one the random bits decide.
        CPPUNIT_ASSERT_MESSAGE(generated, generated.substr(generated.size() - 36, 18) >= later.substr(0, 18));
    }

    // The gateway's records, built by field name: the same record as the JSON object normalizes to,
    // refused with the same reasons; a field the kind lacks is a programming error.
    void testTheHostsOwnRecordsAreBuiltFieldByField() {
        const auto& spec = *records::findKind("step");
        const auto now = [] { return std::string("2026-01-01T00:00:00.000000Z"); };
        records::RecordBuilder step(spec);
        step.id("S-1")
            .text("thread_id", "T-1")
            .integer("sequence", 3)
            .real("duration_ms", 1.5)
            .text("step_type", "tool_call")
            .json("details", R"({"outcome":"ok", "n":[1,2]})")
            .text("tool", "echo");
        const auto built = step.build(now);
        CPPUNIT_ASSERT_EQUAL(&spec, built.spec);
        const auto fromJson = records::normalize(
            spec, *parseObject(R"({"id":"S-1","thread_id":"T-1","sequence":3,"duration_ms":1.5,"step_type":"tool_call","details":{"outcome":"ok","n":[1,2]},"tool":"echo"})"),
            [] { return std::string("unused"); }, now);
        // JSON text is kept as given (checked, not re-formatted); the rest is the same record.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"outcome":"ok", "n":[1,2]})"), built.record.text(spec, "details").value_or(""));
        auto expected = records::toJson(spec, fromJson);
        const std::string formatted = R"("details":{"n":[1,2],"outcome":"ok"})";
        CPPUNIT_ASSERT(expected.find(formatted) != std::string::npos);
        expected.replace(expected.find(formatted), formatted.size(), R"("details":{"outcome":"ok", "n":[1,2]})");
        CPPUNIT_ASSERT_EQUAL(expected, records::toJson(spec, built.record));
        CPPUNIT_ASSERT(!built.record.idGenerated);

        records::RecordBuilder permission(*records::findKind("permission"));
        permission.boolean("granted", true).text("user_id", "alice");
        const auto generated = permission.build(now);
        CPPUNIT_ASSERT(generated.record.idGenerated);
        CPPUNIT_ASSERT_EQUAL(std::string("P-"), generated.record.id.substr(0, 2));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"id":")" + generated.record.id + R"(","timestamp":"2026-01-01T00:00:00.000000Z",)"
                                         R"("thread_id":null,"user_id":"alice","resource":null,"action":null,"granted":true,"reason":null,"mcp_id":null})"),
                             records::toJson(*generated.spec, generated.record));

        records::RecordBuilder missing(spec);
        missing.text("thread_id", "T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("field 'sequence' is required"), reasonOf([&] { missing.build(now); }));
        records::RecordBuilder badJson(spec);
        badJson.text("thread_id", "T-1").integer("sequence", 1).text("step_type", "x").json("details", "{");
        CPPUNIT_ASSERT(reasonOf([&] { badJson.build(now); }).rfind("field 'details' is not JSON", 0) == 0);
        CPPUNIT_ASSERT_THROW(records::RecordBuilder(spec).text("no_such_field", "x"), std::logic_error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RecordSchemaTest);
