// The stores' named queries (libs/records QueryCatalog.cpp, QueryParams.cpp): the params object every
// store parses for a query (a store is reachable by callers other than the host's router), with
// cursors. Byte 0 picks the query; the rest is the params JSON.
//
// Checked: no crash/UB/leak; bad params are refused with MC_ERR_INVALID_ARGUMENT (or
// MC_ERR_UNSUPPORTED for no query) and nothing else; a cursor that passes is one a store can use
// (an integer key in range, a timestamp key in the stored form); the cursor of a page resumes the
// same list at the same key and id.
#include "FuzzSupport.h"

#include "mc/records/JsonText.h"
#include "mc/records/QueryCatalog.h"
#include "mc/sdk.hpp"

#include <charconv>
#include <sstream>

using namespace mc::records;

namespace {

const std::vector<std::string>& names() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> out;
        for (const auto& q : listQueries()) out.push_back(q.name);
        for (const char* other : {"threads.get", "graph", "search", "no.such.query"}) out.push_back(other);
        return out;
    }();
    return all;
}

// A reader that takes every chunk (an export runs to its last page).
mc_status takeAll(void*, mc_str) { return MC_OK; }

void checkCursorKey(const ParsedList& list) {
    if (!list.after) return;
    const std::string& key = list.after->key;
    MC_FUZZ_CHECK(!list.after->id.empty(), "a cursor without an id");
    if (list.spec->sortIsInteger) {
        std::int64_t n = 0;
        const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), n);
        MC_FUZZ_CHECK(error == std::errc() && end == key.data() + key.size(),
                      "an integer cursor key a store cannot read: " + mc::fuzz::shown(key));
    } else {
        std::string normalized;
        MC_FUZZ_CHECK(normalizeTimestamp(key, normalized) && normalized == key,
                      "a timestamp cursor key not in the stored form: " + mc::fuzz::shown(key));
    }
}

// A store: checks the list it is asked for, answers one row and a next page at a fixed key.
class Backend : public CatalogBackend {
public:
    std::optional<Cursor> readPage(const ParsedList& list, std::int64_t limit, bool, std::vector<std::string>& rows) override {
        checkCursorKey(list);
        MC_FUZZ_CHECK(limit >= 1 && limit <= std::max<std::int64_t>(kMaxListLimit, kExportPageSize), "limit");
        rows.assign(1, "{\"id\":\"row\"}");
        if (!list.spec->paginated && pages_++ > 0) return std::nullopt;
        lastList_ = list;
        return Cursor{list.spec->sortIsInteger ? "-42" : "2026-01-02T03:04:05.000006Z", "next-id"};
    }
    void threadDetail(const std::string& id, mc::sdk::Sink&) override { MC_FUZZ_CHECK(!id.empty(), "empty thread id"); }
    void graph(const GraphRequest& r, mc::sdk::Sink&) override { MC_FUZZ_CHECK(r.limit >= 1 && r.limit <= 5000, "graph limit"); }
    void search(const SearchRequest& r, mc::sdk::Sink&) override {
        MC_FUZZ_CHECK(!r.terms.empty() && r.terms.size() <= 16, "search terms");
        MC_FUZZ_CHECK(!r.kinds.empty(), "search kinds");
    }
    void usage(const UsageRequest& r, mc::sdk::Sink&) override {
        MC_FUZZ_CHECK(r.limit >= 1 && r.limit <= 1000, "usage limit");
        MC_FUZZ_CHECK(!r.from || !r.to || *r.from <= *r.to, "usage range");
    }
    void tools(const ToolsRequest& r, mc::sdk::Sink&) override {
        MC_FUZZ_CHECK(r.limit >= 1 && r.limit <= 1000, "tools limit");
        MC_FUZZ_CHECK(r.buckets >= 0 && r.buckets <= 500, "tools buckets");
        MC_FUZZ_CHECK(!r.from || !r.to || *r.from <= *r.to, "tools range");
    }
    std::optional<ParsedList> lastList_;

private:
    int pages_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string& name = names()[data[0] % names().size()];
    const std::string params(reinterpret_cast<const char*>(data + 1), size - 1);
    Backend backend;
    mc_sink reader{nullptr, takeAll};
    mc::sdk::Sink sink(&reader);
    try {
        runCatalogQuery(backend, name, params, sink);
    } catch (const mc::sdk::Error& e) {
        MC_FUZZ_CHECK(e.status() == MC_ERR_INVALID_ARGUMENT || (e.status() == MC_ERR_UNSUPPORTED && name == "no.such.query"),
                      "status " + std::to_string(e.status()) + " for " + e.what());
        return 0;
    }
    MC_FUZZ_CHECK(name != "no.such.query", "an unknown query was answered");

    // The next page: the cursor the page handed out resumes the same list after (key, id).
    if (backend.lastList_ && backend.lastList_->spec->paginated) {
        const ParsedList& first = *backend.lastList_;
        const std::string key = first.spec->sortIsInteger ? "-42" : "2026-01-02T03:04:05.000006Z";
        const std::string cursor = encodeCursor(first, key, "next-id");
        // The same params with the cursor replaced: the list's own parameters, re-serialized.
        Poco::JSON::Object::Ptr object = parseParams(first.spec->name, params, queryParameters(first.spec->name));
        object->set("cursor", cursor);
        std::ostringstream text;
        object->stringify(text);
        ParsedList next;
        try {
            next = parseList(*first.spec, text.str());
        } catch (const std::exception& e) {
            MC_FUZZ_CHECK(false, std::string("the next page's cursor is refused: ") + e.what());
        }
        MC_FUZZ_CHECK(next.after && next.after->key == key && next.after->id == "next-id", "the cursor resumes elsewhere");
        MC_FUZZ_CHECK(next.descending == first.descending && next.limit == first.limit, "the next page is another list");
    }
    return 0;
}
