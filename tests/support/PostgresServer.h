#pragma once
// A private PostgreSQL server for tests: initdb into a temp directory, listening on 127.0.0.1 at a
// free port (its unix socket inside the temp directory), trust authentication, superuser "mc".
// stop()/start() keep the data directory and port, for down/up tests. Everything is removed when the
// object goes. As root, the server binaries run as the Debian package's `postgres` user (initdb
// refuses root). Throws std::runtime_error with the tool's output when a step fails.
#include <memory>
#include <string>

namespace mc::test {

class PostgresServer {
public:
    PostgresServer();
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // The server of this test program, started on first use.
    static PostgresServer& shared();

    void start(); // pg_ctl start -w
    void stop();  // pg_ctl stop -m fast -w
    bool running() const { return running_; }
    unsigned short port() const { return port_; }

    // A new empty database with a unique name; returns that name.
    std::string createDatabase(const std::string& prefix = "mc_test");
    // "host=127.0.0.1 port=<port> dbname=<database> user=mc"
    std::string conninfo(const std::string& database) const;
    // Runs SQL through psql; the rows' first columns, one line each (-At).
    std::string psql(const std::string& database, const std::string& sql) const;

private:
    std::string run(const std::string& what, const std::string& command) const; // throws with the output
    std::string asServerUser(const std::string& command) const;

    std::string root_;    // temp directory: data/, socket/, server.log
    std::string binDir_;  // /usr/lib/postgresql/<ver>/bin
    unsigned short port_ = 0;
    bool running_ = false;
    int databases_ = 0;
};

} // namespace mc::test
