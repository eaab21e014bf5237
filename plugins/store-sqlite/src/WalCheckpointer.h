#pragma once
// SQLite's WAL checkpoints, off the writer's thread. By default the connection that commits copies
// the log back into the database itself once the log passes 1000 pages (wal_autocheckpoint), inside
// the commit the host waits for: measured, a seventh of the writer's time under OTLP load. Here the
// writer's connection does none (wal_autocheckpoint = 0); its WAL hook, run after each commit, only
// notes the log's size, and past `pages` a thread of our own checkpoints through a second connection
// (PASSIVE: it never blocks the writer or a reader; what it cannot copy yet is copied next time).
// Past kCatchUpFactor times `pages` the writer completes the copy in its commit, so the log stays bounded.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace mc::store_sqlite {

class WalCheckpointer {
public:
    static constexpr int kCatchUpFactor = 4;

    // `warn` hears a checkpoint that failed (the next one tries again).
    WalCheckpointer(std::string path, int pages, std::function<void(const std::string&)> warn);
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Turns the writer's own checkpoints off and hooks its commits. Throws std::runtime_error when the
    // second connection cannot be opened (the caller then keeps SQLite's own checkpoints).
    void attach(sqlite3* writer);
    // Joins the thread and closes its connection; the writer's connection (closed after this) does the
    // last checkpoint itself, as SQLite does on close.
    void stop();

    std::uint64_t checkpoints() const; // completed by the thread
    std::uint64_t catchUps() const;    // completed by the writer in its commit (the log had grown too long)

private:
    static int onCommit(void* self, sqlite3* db, const char* schema, int pages);
    void run();

    const std::string path_;
    const int pages_;
    std::function<void(const std::string&)> warn_;
    sqlite3* own_ = nullptr; // the checkpointing connection
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool due_ = false;
    bool stopping_ = false;
    std::uint64_t checkpoints_ = 0;
    std::uint64_t catchUps_ = 0;
    std::thread thread_;
};

} // namespace mc::store_sqlite
