#include "PostgresServer.h"

#include "TestHttp.h"

#include <boost/filesystem.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace mc::test {
namespace {

std::string shellQuoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// The newest /usr/lib/postgresql/<ver>/bin with initdb in it.
std::string findBinDir() {
    namespace fs = boost::filesystem;
    const fs::path base("/usr/lib/postgresql");
    std::string best;
    int bestVersion = -1;
    boost::system::error_code ec;
    if (fs::is_directory(base, ec))
        for (const auto& entry : fs::directory_iterator(base)) {
            const std::string name = entry.path().filename().string();
            const int version = std::atoi(name.c_str());
            if (version > bestVersion && fs::exists(entry.path() / "bin" / "initdb")) {
                bestVersion = version;
                best = (entry.path() / "bin").string();
            }
        }
    if (best.empty())
        throw std::runtime_error("PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin "
                                 "(install the 'postgresql' package: scripts/deps.sh test)");
    return best;
}

} // namespace

PostgresServer::PostgresServer() : binDir_(findBinDir()) {
    char pattern[] = "/tmp/mc-postgres-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("cannot create a temp directory for PostgreSQL");
    root_ = pattern;
    port_ = freePort();
    if (geteuid() == 0) run("chown the data directory", "chown postgres:postgres " + shellQuoted(root_));
    run("mkdir", asServerUser("mkdir -p " + shellQuoted(root_ + "/socket")));
    run("initdb", asServerUser(shellQuoted(binDir_ + "/initdb") + " -D " + shellQuoted(root_ + "/data") +
                               " -U mc --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync"));
    start();
}

PostgresServer::~PostgresServer() {
    try {
        if (running_) stop();
    } catch (...) {
    }
    boost::system::error_code ec;
    boost::filesystem::remove_all(root_, ec);
}

PostgresServer& PostgresServer::shared() {
    static PostgresServer server;
    return server;
}

std::string PostgresServer::asServerUser(const std::string& command) const {
    if (geteuid() != 0) return command;
    return "runuser -u postgres -- sh -c " + shellQuoted(command);
}

std::string PostgresServer::run(const std::string& what, const std::string& command) const {
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run " + what);
    std::string output;
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    const int status = pclose(pipe);
    if (status != 0) throw std::runtime_error("PostgreSQL test server: " + what + " failed:\n" + command + "\n" + output);
    return output;
}

void PostgresServer::start() {
    const std::string options = "-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" +
                                root_ + "/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    try {
        run("pg_ctl start", asServerUser(shellQuoted(binDir_ + "/pg_ctl") + " start -w -t 60 -D " +
                                         shellQuoted(root_ + "/data") + " -l " + shellQuoted(root_ + "/server.log") +
                                         " -o " + shellQuoted(options)));
    } catch (const std::runtime_error& e) {
        std::string log;
        try {
            log = run("read the server log", "tail -n 30 " + shellQuoted(root_ + "/server.log"));
        } catch (...) {
        }
        throw std::runtime_error(std::string(e.what()) + "\nserver.log:\n" + log);
    }
    running_ = true;
}

void PostgresServer::stop() {
    run("pg_ctl stop", asServerUser(shellQuoted(binDir_ + "/pg_ctl") + " stop -m fast -w -t 60 -D " +
                                    shellQuoted(root_ + "/data")));
    running_ = false;
}

std::string PostgresServer::createDatabase(const std::string& prefix) {
    const std::string name = prefix + "_" + std::to_string(++databases_);
    run("createdb " + name, shellQuoted(binDir_ + "/createdb") + " -h 127.0.0.1 -p " + std::to_string(port_) +
                                " -U mc " + shellQuoted(name));
    return name;
}

std::string PostgresServer::conninfo(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database + " user=mc";
}

std::string PostgresServer::psql(const std::string& database, const std::string& sql) const {
    std::string out = run("psql", shellQuoted(binDir_ + "/psql") + " -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
                                      std::to_string(port_) + " -U mc -d " + shellQuoted(database) + " -c " + shellQuoted(sql));
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

} // namespace mc::test
