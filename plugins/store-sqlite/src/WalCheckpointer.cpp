#include "WalCheckpointer.h"
#include "mc/thread_name.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace mc::store_sqlite {

WalCheckpointer::WalCheckpointer(std::string path, int pages, std::function<void(const std::string&)> warn)
    : path_(std::move(path)), pages_(pages), warn_(std::move(warn)) {}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::attach(sqlite3* writer) {
    if (sqlite3_open_v2(path_.c_str(), &own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        const std::string why = own_ ? sqlite3_errmsg(own_) : "out of memory";
        sqlite3_close(own_);
        own_ = nullptr;
        throw std::runtime_error("cannot open a checkpoint connection: " + why);
    }
    sqlite3_busy_timeout(own_, 1000);
    // A connection opens its WAL at its first read; until then a checkpoint finds no WAL to copy.
    char* error = nullptr;
    if (sqlite3_exec(own_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string why = error ? error : "unknown error";
        sqlite3_free(error);
        sqlite3_close(own_);
        own_ = nullptr;
        throw std::runtime_error("cannot read through the checkpoint connection: " + why);
    }
    sqlite3_wal_autocheckpoint(writer, 0); // also removes SQLite's own hook: the one below replaces it
    sqlite3_wal_hook(writer, &WalCheckpointer::onCommit, this);
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("sqlite-ckpt");
        run();
    });
}

// On the writer's thread, inside its commit: note and return, unless the log has grown past
// kCatchUpFactor times the threshold. A checkpoint beside a writer that never pauses rarely copies the
// whole log, and only a whole copy lets the next transaction start the log over: so then the writer
// finishes the copy itself (most of it is done already), and the log is bounded.
int WalCheckpointer::onCommit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* c = static_cast<WalCheckpointer*>(self);
    if (pages < c->pages_) return SQLITE_OK;
    if (pages >= c->pages_ * kCatchUpFactor) {
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        std::lock_guard lock(c->mutex_);
        ++c->catchUps_;
        return SQLITE_OK;
    }
    {
        std::lock_guard lock(c->mutex_);
        c->due_ = true;
    }
    c->wake_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return due_ || stopping_; });
            if (stopping_) return;
            due_ = false;
        }
        int logged = 0, copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied);
        if (rc == SQLITE_OK && logged >= 0) {
            std::lock_guard lock(mutex_);
            ++checkpoints_;
        } else if (rc == SQLITE_OK) {
            warn_("WAL checkpoint found no WAL to copy (the database is not in WAL mode)");
        } else if (rc != SQLITE_BUSY) {
            warn_("WAL checkpoint failed (the next commit past the threshold tries again): " + std::string(sqlite3_errmsg(own_)));
        }
    }
}

void WalCheckpointer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    if (own_) {
        sqlite3_close(own_);
        own_ = nullptr;
    }
}

std::uint64_t WalCheckpointer::checkpoints() const {
    std::lock_guard lock(mutex_);
    return checkpoints_;
}

std::uint64_t WalCheckpointer::catchUps() const {
    std::lock_guard lock(mutex_);
    return catchUps_;
}

} // namespace mc::store_sqlite
