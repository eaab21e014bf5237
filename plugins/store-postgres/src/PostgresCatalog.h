#pragma once
// The query catalog (mc/records/QueryCatalog.h) in PostgreSQL: keyset-paginated lists, thread detail,
// the execution graph, tsvector search and the log export, answering exactly as store-sqlite does.
// Each page runs on one pooled connection; the export takes a connection per page, so a slow reader
// of a long export holds none while the sink writes.
#include "PgPool.h"

#include "mc/records/QueryCatalog.h"
#include "mc/sdk.hpp"

#include <string_view>

namespace mc::store_postgres {

class PostgresCatalog : public mc::records::CatalogBackend {
public:
    explicit PostgresCatalog(PgPool& pool) : pool_(pool) {}

    // Throws mc::sdk::Error: MC_ERR_INVALID_ARGUMENT (bad parameter or cursor), MC_ERR_NOT_FOUND (the
    // thread), MC_ERR_UNSUPPORTED (not a catalog query), MC_ERR_UNAVAILABLE (server down).
    void run(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows);

    std::optional<mc::records::Cursor> readPage(const mc::records::ParsedList& list, std::int64_t limit, bool checkScope,
                                                std::vector<std::string>& rows) override;
    void threadDetail(const std::string& threadId, mc::sdk::Sink& rows) override;
    void graph(const mc::records::GraphRequest& request, mc::sdk::Sink& rows) override;
    void search(const mc::records::SearchRequest& request, mc::sdk::Sink& rows) override;
    void usage(const mc::records::UsageRequest& request, mc::sdk::Sink& rows) override;
    void tools(const mc::records::ToolsRequest& request, mc::sdk::Sink& rows) override;

private:

    PgPool& pool_;
};

} // namespace mc::store_postgres
