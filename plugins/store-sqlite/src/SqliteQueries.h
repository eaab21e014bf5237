#pragma once
// The query catalog (mc/records/QueryCatalog.h) in SQLite: keyset-paginated lists, thread detail,
// the execution graph, FTS5 search and the log export. The connection's mutex is held per page only,
// so a slow reader of a long export never holds writers up for more than one page.
#include "mc/records/QueryCatalog.h"
#include "mc/sdk.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

struct sqlite3;

namespace mc::store_sqlite {

class SqliteQueries : public mc::records::CatalogBackend {
public:
    using Handle = std::function<sqlite3*()>; // the open connection; throws MC_ERR_UNAVAILABLE when closed
    SqliteQueries(std::mutex& mutex, Handle handle) : mutex_(mutex), handle_(std::move(handle)) {}

    // Throws mc::sdk::Error: MC_ERR_INVALID_ARGUMENT (bad parameter or cursor), MC_ERR_NOT_FOUND (the
    // thread), MC_ERR_UNSUPPORTED (unknown query name).
    void run(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows);

    std::optional<mc::records::Cursor> readPage(const mc::records::ParsedList& list, std::int64_t limit, bool checkScope,
                                                std::vector<std::string>& rows) override;
    void threadDetail(const std::string& threadId, mc::sdk::Sink& rows) override;
    void graph(const mc::records::GraphRequest& request, mc::sdk::Sink& rows) override;
    void usage(const mc::records::UsageRequest& request, mc::sdk::Sink& rows) override;
    void tools(const mc::records::ToolsRequest& request, mc::sdk::Sink& rows) override;
    void search(const mc::records::SearchRequest& request, mc::sdk::Sink& rows) override;

private:

    std::mutex& mutex_;
    Handle handle_;
};

} // namespace mc::store_sqlite
