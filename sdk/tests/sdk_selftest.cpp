// The SDK's self-test: one plugin of each kind, written with mc/sdk.hpp, driven through the C ABI by
// the fake host of mc/sdk_test.hpp. Standard library only; from the repository root:
//
//   nice -n 19 g++ -std=c++17 -O0 -Wall -Wextra -Isdk/include sdk/tests/sdk_selftest.cpp -o /tmp/sdk_selftest -pthread
//   /tmp/sdk_selftest
//
// (or the CMake target mc-sdk-selftest, see sdk/CMakeLists.txt). Prints each failed check and exits 1.
#include "mc/periodic_worker.hpp"
#include "mc/sdk.hpp"
#include "mc/sdk_test.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

using mc::sdk::Error;
using mc::sdk::key;

// ================================================================================================
// A store: keeps row counts in memory.

struct StoreSettings {
    std::string path;
    std::int64_t maxRows;
    std::string durability;
    std::string password;
};

constexpr mc::sdk::Key<StoreSettings> kStoreSettings[] = {
    key("path", &StoreSettings::path).byDefault("memory").help("Where the rows live (\"locked\" fails start)"),
    key("max_rows", &StoreSettings::maxRows).byDefault("100").range(1, 1000).help("Rows kept before writes are refused"),
    key("durability", &StoreSettings::durability).choices("full,normal,off").byDefault("full").help("How hard a write tries"),
    key("password", &StoreSettings::password).secret().help("Database password"),
};

class MemoryStore final : public mc::sdk::StorePlugin {
public:
    MemoryStore(mc::sdk::Host host, const StoreSettings& settings) : StorePlugin(host), settings_(settings) {
        if (settings_.path.empty()) throw Error(MC_ERR_CONFIG, "path = '': expected a non-empty name");
    }
    void start() override {
        if (settings_.path == "locked") throw std::runtime_error("database is locked");
        if (settings_.path == "unreachable") host().reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, "cannot reach the database; retrying");
    }
    std::string dialect() const override { return "sqlite"; }
    std::int64_t schemaVersion() override { return version_; }
    void applyMigration(std::int64_t version, std::string_view, std::string_view sql) override {
        if (sql.empty()) throw Error(MC_ERR_INVALID_ARGUMENT, "migration " + std::to_string(version) + " has no SQL");
        version_ = version;
    }
    void write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) override {
        if (kind == "boom") throw std::runtime_error("disk on fire");
        if (kind == "refused") throw Error(MC_ERR_CONFLICT, "kind 'refused' conflicts with existing state");
        const auto records = mc::sdk::json::parse(recordsJson);
        if (!records.isArray()) throw Error(MC_ERR_INVALID_ARGUMENT, "records_json is not an array");
        if (rows_ + std::int64_t(records.items().size()) > settings_.maxRows) {
            host().reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, "full");
            throw Error(MC_ERR_UNAVAILABLE, "full: max_rows = " + std::to_string(settings_.maxRows));
        }
        rows_ += std::int64_t(records.items().size());
        result.write("{\"written\":" + std::to_string(records.items().size()) + "}");
    }
    void query(std::string_view name, std::string_view, mc::sdk::Sink& rows) override {
        if (name != "count") throw Error(MC_ERR_UNSUPPORTED, "unknown query '" + std::string(name) + "'");
        rows.write("{\"count\":");
        rows.write(std::to_string(rows_) + "}");
    }
    void describe(mc::sdk::Sink& details) override {
        details.write("{\"path\":" + mc::sdk::json::quote(settings_.path) + ",\"durability\":" +
                      mc::sdk::json::quote(settings_.durability) + ",\"password_set\":" +
                      (settings_.password.empty() ? "false" : "true") + "}");
    }

private:
    StoreSettings settings_;
    std::int64_t version_ = 0;
    std::int64_t rows_ = 0;
};

MC_DEFINE_STORE_DESCRIPTOR(storeEntry, MemoryStore, "store-memory", "1.0.0", "Rows in memory (self-test)",
                           "store.memory", kStoreSettings)

// ================================================================================================
// A discovery source: reports the servers its configuration lists, from a worker thread.

struct ListSettings {
    std::vector<std::string> servers;
    std::int64_t intervalMs;
    bool details;
    std::map<std::string, std::string> labels;
    double jitter;
};

constexpr mc::sdk::Key<ListSettings> kListSettings[] = {
    key("servers", &ListSettings::servers).required().help("Server names to report (\"boom\" fails a scan)"),
    key("interval_ms", &ListSettings::intervalMs).byDefault("20").range(5, 60000).help("Time between scans"),
    key("details", &ListSettings::details).byDefault("false").help("Report the labels as details"),
    key("labels", &ListSettings::labels).help("labels.<name> = value, reported as details"),
    key("jitter", &ListSettings::jitter).byDefault("0.25").range(0, 1).help("Share of the interval to vary"),
    key<ListSettings>("enabled", MC_CONFIG_BOOL).byDefault("true").help("Read by the host: false loads without starting"),
    key<ListSettings>("policy", MC_CONFIG_ENUM).choices("auto-connect,list-only").byDefault("list-only")
        .help("Read by the host: what it does with what is found"),
};

class ListDiscovery final : public mc::sdk::DiscoveryPlugin {
public:
    ListDiscovery(mc::sdk::Host host, const ListSettings& settings, mc::sdk::Discovered out)
        : DiscoveryPlugin(host, out), settings_(settings), servers_(settings.servers) {
        host.info("settings: interval " + std::to_string(settings_.intervalMs) + " ms, jitter " +
                  mc::sdk::detail::formatNumber(settings_.jitter) + ", details " + (settings_.details ? "true" : "false") +
                  ", " + std::to_string(settings_.labels.size()) + " label(s)");
    }
    ~ListDiscovery() override { worker_.stop(); }

    void start() override {
        worker_.start([this](bool) {
            host().barrier("scan", [&] { scan(); });
            return std::chrono::milliseconds(settings_.intervalMs);
        });
    }
    void stop() override { worker_.stop(); }
    // Drops the last server and rescans (a source whose list shrank).
    void refresh() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            dropLast_ = true;
        }
        worker_.wake();
    }

private:
    void scan() {
        std::vector<std::string> servers;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (dropLast_ && !servers_.empty()) {
                discovered().lost("list#" + servers_.back());
                servers_.pop_back();
            }
            dropLast_ = false;
            servers = servers_;
        }
        const std::int64_t started = host().nowUnixUs();
        for (const auto& name : servers) {
            if (name == "boom") throw std::runtime_error("cannot parse entry 'boom'");
            mc::sdk::FoundServer s;
            s.key = "list#" + name;
            s.name = name;
            s.serverJson = "{\"transport\":\"stdio\",\"command\":" + mc::sdk::json::quote(name) + "}";
            if (settings_.details) {
                mc::sdk::json::Value labels = mc::sdk::json::Value::object();
                for (const auto& [k, v] : settings_.labels) labels.set(k, mc::sdk::json::Value::string(v));
                s.detailsJson = labels.dump();
            }
            if (name == "unlisted") {
                s.connectable = false;
                s.reason = "listed only";
            }
            discovered().found(s);
        }
        discovered().scanComplete(started);
        host().reportStatus(MC_COMPONENT_OK, std::to_string(servers.size()) + " server(s)");
    }

    ListSettings settings_;
    std::mutex mutex_;
    std::vector<std::string> servers_;
    bool dropLast_ = false;
    mc::sdk::PeriodicWorker worker_;
};

MC_DEFINE_DISCOVERY_DESCRIPTOR(discoveryEntry, ListDiscovery, "discovery-list", "1.0.0",
                               "Reports configured servers (self-test)", "discovery.list", kListSettings)

// ================================================================================================
// A transport: each connection echoes what it is sent, from its own thread.

struct EchoSettings {
    std::int64_t maxMessageBytes;
};
constexpr mc::sdk::Key<EchoSettings> kEchoSettings[] = {
    key("max_message_bytes", &EchoSettings::maxMessageBytes).byDefault("1024").range(16, 1048576)
        .help("Longest message send() accepts"),
};

// A server definition, parsed with the same binding (not declared in the descriptor).
struct EchoServer {
    std::string transport;
    std::string greeting;
    bool failOpen;
    std::int64_t delayMs;
};
constexpr mc::sdk::Key<EchoServer> kEchoServer[] = {
    key("transport", &EchoServer::transport).choices("echo").byDefault("echo").help("The transport"),
    key("greeting", &EchoServer::greeting).required().help("First log line of the connection"),
    key("fail_open", &EchoServer::failOpen).byDefault("false").help("Refuse to open (tests)"),
    key("delay_ms", &EchoServer::delayMs).byDefault("0").range(0, 1000).help("Delay before each echo"),
};

class EchoConnection final : public mc::sdk::Connection {
public:
    EchoConnection(EchoServer server, mc::sdk::ConnectionEvents events, std::size_t maxBytes)
        : server_(std::move(server)), events_(events), maxBytes_(maxBytes), thread_([this] { run(); }) {}
    ~EchoConnection() override { close(); }

    void send(std::string_view message) override {
        if (message.size() > maxBytes_)
            throw Error(MC_ERR_INVALID_ARGUMENT, "a message of " + std::to_string(message.size()) +
                                                     " bytes exceeds max_message_bytes = " + std::to_string(maxBytes_));
        std::lock_guard<std::mutex> lock(mutex_);
        if (ended_ || closing_) throw Error(MC_ERR_UNAVAILABLE, "the connection ended");
        queue_.emplace_back(message);
        wake_.notify_all();
    }
    void close() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closing_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        events_.log(MC_LOG_INFO, server_.greeting);
        events_.status(MC_COMPONENT_OK, "ready");
        for (;;) {
            std::string message;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return closing_ || !queue_.empty(); });
                if (closing_) return;
                message = std::move(queue_.front());
                queue_.pop_front();
            }
            if (server_.delayMs) std::this_thread::sleep_for(std::chrono::milliseconds(server_.delayMs));
            if (message.find("\"method\":\"bye\"") != std::string::npos) {
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    ended_ = true;
                }
                events_.closed(MC_OK, "the peer said bye");
                return;
            }
            events_.message(message);
        }
    }

    const EchoServer server_;
    const mc::sdk::ConnectionEvents events_;
    const std::size_t maxBytes_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::string> queue_;
    bool closing_ = false;
    bool ended_ = false;
    std::thread thread_; // last: starts after the members it uses
};

class EchoTransport final : public mc::sdk::TransportPlugin {
public:
    static constexpr const char kTransports[] = "echo";

    EchoTransport(mc::sdk::Host host, const EchoSettings& settings) : TransportPlugin(host), settings_(settings) {}

    void validate(std::string_view serverJson) override { mc::sdk::readSettings(kEchoServer, serverJson); }
    std::unique_ptr<mc::sdk::Connection> open(std::string_view serverJson, mc::sdk::ConnectionEvents events) override {
        EchoServer server = mc::sdk::readSettings(kEchoServer, serverJson);
        if (server.failOpen) throw Error(MC_ERR_IO, "cannot start '" + server.greeting + "'");
        return std::make_unique<EchoConnection>(std::move(server), events, std::size_t(settings_.maxMessageBytes));
    }

private:
    EchoSettings settings_;
};

MC_DEFINE_TRANSPORT_DESCRIPTOR(transportEntry, EchoTransport, "transport-echo", "1.0.0", "Echoes messages (self-test)",
                               "mcp.echo", kEchoSettings)

// A plugin without keys compiles too (constructor without settings).
class Silent final : public mc::sdk::DiscoveryPlugin {
public:
    Silent(mc::sdk::Host host, mc::sdk::Discovered out) : DiscoveryPlugin(host, out) {}
};
MC_DEFINE_DISCOVERY_DESCRIPTOR(silentEntry, Silent, "discovery-silent", "1.0.0", "Finds nothing", "discovery.silent",
                               mc::sdk::noSettings)

// ================================================================================================
// A hand-written C-style plugin that breaks rules, to check the fake host notices.

const mc_discovery_output* rudeOutput = nullptr;
mc_status rudeCreate(const mc_host_api*, mc_host*, mc_str, const void* output, mc_instance** out) {
    static int token;
    rudeOutput = static_cast<const mc_discovery_output*>(output); // keeps the borrowed pointer: wrong
    *out = reinterpret_cast<mc_instance*>(&token);
    return MC_OK;
}
mc_status rudeStart(mc_instance*) {
    const mc_found_server s{sizeof(mc_found_server), {"k", 1}, {"k", 1}, {"{}", 2}, {"", 0}, 1, {"", 0}};
    rudeOutput->found(rudeOutput->ctx, &s); // through the borrowed struct after create returned
    return MC_ERR_IO;                           // and fails without set_error
}
void rudeDestroy(mc_instance*) {}
const mc_discovery_vtable kRudeVtable{sizeof(mc_discovery_vtable), &rudeCreate, &rudeStart, nullptr, &rudeDestroy, nullptr};
const mc_config_key kRudeKeys[] = {
    {sizeof(mc_config_key), {"mode", 4}, MC_CONFIG_ENUM, 0, {"", 0}, 0, 0, {"", 0}, {"A mode", 6}, {"", 0}},
    {sizeof(mc_config_key), {"Bad Name", 8}, MC_CONFIG_STRING, 0, {"", 0}, 0, 0, {"", 0}, {"x", 1}, {"", 0}},
};
const mc_plugin_descriptor kRude{sizeof(mc_plugin_descriptor), MC_ABI_MAJOR, MC_ABI_MINOR, MC_KIND_DISCOVERY,
                                 {"rude", 4}, {"1", 1}, {"", 0}, &kRudeVtable, sizeof kRudeVtable, kRudeKeys, 2,
                                 sizeof(mc_config_key), {"discovery..rude", 15}};
const mc_plugin_descriptor* rudeEntry() { return &kRude; }

// ================================================================================================
// Checks.

int failures = 0;
int checks = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        ++checks;                                                                     \
        if (!(cond)) {                                                                \
            ++failures;                                                               \
            std::cerr << __FILE__ << ":" << __LINE__ << ": CHECK(" #cond ") failed\n"; \
        }                                                                             \
    } while (0)

#define CHECK_EQ(a, b)                                                                                       \
    do {                                                                                                     \
        ++checks;                                                                                            \
        const auto va_ = (a); /* copies: (a) may be an element of a temporary */                             \
        const auto vb_ = (b);                                                                                \
        if (!(va_ == vb_)) {                                                                                 \
            ++failures;                                                                                      \
            std::cerr << __FILE__ << ":" << __LINE__ << ": " #a " == " #b " failed:\n  " << va_ << "\n  " << vb_ \
                      << "\n";                                                                               \
        }                                                                                                    \
    } while (0)

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

#define CHECK_HAS(text, part)                                                                                   \
    do {                                                                                                        \
        ++checks;                                                                                               \
        const std::string t_ = (text);                                                                          \
        if (!contains(t_, part)) {                                                                              \
            ++failures;                                                                                         \
            std::cerr << __FILE__ << ":" << __LINE__ << ": '" << t_ << "' does not contain '" << (part) << "'\n"; \
        }                                                                                                       \
    } while (0)

#define CHECK_NO_VIOLATIONS(x)                                                                       \
    do {                                                                                             \
        ++checks;                                                                                    \
        const auto v_ = (x)->violations();                                                           \
        if (!v_.empty()) {                                                                           \
            ++failures;                                                                              \
            for (const auto& e_ : v_) std::cerr << __FILE__ << ":" << __LINE__ << ": violation: " << e_ << "\n"; \
        }                                                                                            \
    } while (0)

using mc::sdk::test::FakeHost;
using mc::sdk::test::Properties;

void descriptors() {
    for (auto entry : {&storeEntry, &discoveryEntry, &transportEntry, &silentEntry}) {
        FakeHost host(entry);
        const auto problems = host.problems();
        for (const auto& p : problems) std::cerr << "descriptor " << mc::sdk::view(host.descriptor().id) << ": " << p << "\n";
        CHECK(problems.empty());
        CHECK_EQ(host.descriptor().config_key_size, sizeof(mc_config_key));
    }
    FakeHost store(&storeEntry);
    CHECK_EQ(store.keys().size(), 4u);
    CHECK_EQ(std::string(mc::sdk::view(store.descriptor().config_prefix)), "store.memory");
    CHECK_EQ(store.keys()[1].min, 1.0);
    CHECK(store.keys()[1].flags & MC_CONFIG_HAS_RANGE);
    CHECK_EQ(store.keys()[2].type, MC_CONFIG_ENUM);
    CHECK(store.keys()[3].flags & MC_CONFIG_SECRET);
    CHECK_EQ(FakeHost(&silentEntry).keys().size(), 0u);

    const auto rude = FakeHost(&rudeEntry).problems();
    std::string all;
    for (const auto& p : rude) all += p + "\n";
    CHECK_HAS(all, "key 'mode': an ENUM key needs choices");
    CHECK_HAS(all, "key 'Bad Name': the name must match");
    CHECK_HAS(all, "config_prefix 'discovery..rude'");
}

void configuration() {
    FakeHost discovery(&discoveryEntry);
    // required
    auto r = discovery.resolve({});
    CHECK_EQ(r.status, MC_ERR_CONFIG);
    CHECK_HAS(r.error, "discovery.list.servers is required");
    // bad values name the key and the value
    CHECK_EQ(discovery.resolve({{"servers", "a"}, {"interval_ms", "abc"}}).error,
             std::string("discovery.list.interval_ms = 'abc': expected an integer in [5, 60000]"));
    CHECK_EQ(discovery.resolve({{"servers", "a"}, {"interval_ms", "1"}}).error,
             std::string("discovery.list.interval_ms = '1': expected an integer in [5, 60000]"));
    CHECK_EQ(discovery.resolve({{"servers", "a"}, {"policy", "sometimes"}}).error,
             std::string("discovery.list.policy = 'sometimes': expected one of auto-connect, list-only"));
    CHECK_EQ(discovery.resolve({{"servers", "a"}, {"details", "maybe"}}).error,
             std::string("discovery.list.details = 'maybe': expected true or false"));
    CHECK_HAS(discovery.resolve({{"servers", "a"}, {"jitter", "+00.5"}}).output, "\"jitter\":0.5");
    CHECK_EQ(discovery.resolve({{"servers", "a"}, {"jitter", "1.5"}}).error,
             std::string("discovery.list.jitter = '1.5': expected a number in [0, 1]"));
    CHECK_HAS(discovery.resolve({{"servers", "a"}, {"intervall_ms", "5"}}).error,
              "discovery.list.intervall_ms is not a key of discovery-list (its keys: servers, interval_ms");
    CHECK_HAS(discovery.resolve({{"servers", "a"}, {"labels", "x"}}).error, "discovery.list.labels = 'x': expected sub-keys");
    // a bad value fails create with the same reason
    auto bad = discovery.create({{"servers", "a"}, {"interval_ms", "abc"}});
    CHECK_EQ(bad->created().status, MC_ERR_CONFIG);
    CHECK_HAS(bad->created().error, "interval_ms = 'abc'");

    // defaults applied, typed JSON, ENUM lower-case, LIST trimmed, OBJECT from sub-keys
    r = discovery.resolve({{"servers", " a, b,,c "}, {"policy", "AUTO-CONNECT"}, {"labels.team", "core"}, {"details", "Yes"}});
    CHECK(r.ok());
    CHECK_EQ(r.output, std::string(R"({"servers":["a","b","c"],"interval_ms":20,"details":true,"labels":{"team":"core"},)"
                                   R"("jitter":0.25,"enabled":true,"policy":"auto-connect"})"));
    auto instance = discovery.create({{"servers", "a"}, {"labels.team", "core"}, {"labels.zone", "b"}});
    CHECK(instance->created().ok());
    CHECK(instance->logged("settings: interval 20 ms, jitter 0.25, details false, 2 label(s)"));
    CHECK_NO_VIOLATIONS(instance);

    // the SDK side: typed config_json only, defaults from the same table, errors name the key
    try {
        mc::sdk::readSettings(kListSettings, R"({"servers":["a"],"interval_ms":"50"})");
        CHECK(!"a JSON string for an INT key must be refused");
    } catch (const Error& e) {
        CHECK_EQ(e.status(), MC_ERR_CONFIG);
        CHECK_EQ(std::string(e.what()), std::string("interval_ms = '50': expected an integer in [5, 60000] (a JSON string was given)"));
    }
    try {
        mc::sdk::readSettings(kListSettings, R"({"servers":"a"})");
        CHECK(!"a string for a LIST key must be refused");
    } catch (const Error& e) {
        CHECK_HAS(e.what(), "servers = 'a': expected a list");
    }
    StoreSettings prefilled{};
    prefilled.password = "kept";
    mc::sdk::readSettingsInto(kStoreSettings, R"({"max_rows":7})", prefilled);
    CHECK_EQ(prefilled.password, std::string("kept")); // absent, no default: untouched
    CHECK_EQ(prefilled.maxRows, 7);
    CHECK_EQ(prefilled.path, std::string("memory")); // absent with a default: the default
    const StoreSettings defaults = mc::sdk::defaultSettings(kStoreSettings);
    CHECK_EQ(defaults.path, std::string("memory"));
    CHECK_EQ(defaults.maxRows, 100);
    CHECK_EQ(defaults.durability, std::string("full"));

    // secrets: ${env:NAME}, never shown
    FakeHost store(&storeEntry);
    ::setenv("MC_SDK_SELFTEST_SECRET", "hunter2", 1);
    auto withSecret = store.create({{"password", "${env:MC_SDK_SELFTEST_SECRET}"}});
    CHECK(withSecret->created().ok());
    CHECK_HAS(withSecret->describe().output, "\"password_set\":true");
    CHECK_HAS(store.resolve({{"password", "${env:MC_SDK_SELFTEST_UNSET}"}}).error,
              "store.memory.password: environment variable MC_SDK_SELFTEST_UNSET is not set");
    CHECK_EQ(store.resolve({{"max_rows", "0"}}).error, std::string("store.memory.max_rows = '0': expected an integer in [1, 1000]"));
    // a constructor's own check, through the barrier
    auto emptyPath = store.create({{"path", ""}});
    CHECK_EQ(emptyPath->created().status, MC_ERR_CONFIG);
    CHECK_EQ(emptyPath->created().error, std::string("path = '': expected a non-empty name"));
    CHECK_NO_VIOLATIONS(emptyPath);
}

void store() {
    FakeHost host(&storeEntry);
    auto s = host.create({{"max_rows", "3"}});
    CHECK(s->created().ok());
    CHECK(s->start().ok());
    auto st = s->statuses();
    CHECK_EQ(st.size(), 2u);
    CHECK(st[0].byHost && st[0].status == MC_COMPONENT_STARTING);
    CHECK(!st[1].byHost && st[1].status == MC_COMPONENT_OK && st[1].message == "started");
    CHECK_EQ(s->dialect().output, std::string("sqlite"));
    std::int64_t version = -1;
    CHECK(s->schemaVersion(version).ok());
    CHECK_EQ(version, 0);
    CHECK(s->applyMigration(1, "init", "CREATE TABLE t(x)").ok());
    CHECK(s->schemaVersion(version).ok() && version == 1);
    auto m = s->applyMigration(2, "empty", "");
    CHECK_EQ(m.status, MC_ERR_INVALID_ARGUMENT);
    CHECK_EQ(m.error, std::string("migration 2 has no SQL"));
    CHECK_EQ(s->write("log", "[{},{}]").output, std::string("{\"written\":2}"));
    CHECK_EQ(s->query("count", "{}").output, std::string("{\"count\":2}"));
    // barriers: a std::exception, an Error, an unknown query
    auto boom = s->write("boom", "[]");
    CHECK_EQ(boom.status, MC_ERR_INTERNAL);
    CHECK_EQ(boom.error, std::string("disk on fire"));
    auto refused = s->write("refused", "[]");
    CHECK_EQ(refused.status, MC_ERR_CONFLICT);
    CHECK_HAS(refused.error, "conflicts");
    auto unknown = s->query("nope", "{}");
    CHECK_EQ(unknown.status, MC_ERR_UNSUPPORTED);
    CHECK_EQ(unknown.error, std::string("unknown query 'nope'"));
    auto full = s->write("log", "[{},{}]");
    CHECK_EQ(full.status, MC_ERR_UNAVAILABLE);
    CHECK_EQ(full.error, std::string("full: max_rows = 3"));
    CHECK(s->lastStatus() && s->lastStatus()->status == MC_COMPONENT_RECOVERABLE_ERROR);
    CHECK_HAS(s->describe().output, "\"durability\":\"full\"");
    CHECK(s->stop().ok());
    st = s->statuses();
    CHECK(st.size() >= 2 && st[st.size() - 2].status == MC_COMPONENT_STOPPING && st.back().status == MC_COMPONENT_STOPPED);
    CHECK_NO_VIOLATIONS(s);

    // a status reported during start replaces the SDK's "started"
    auto unreachable = host.create({{"path", "unreachable"}});
    CHECK(unreachable->start().ok());
    CHECK(unreachable->lastStatus()->status == MC_COMPONENT_RECOVERABLE_ERROR);
    CHECK_EQ(unreachable->lastStatus()->message, std::string("cannot reach the database; retrying"));
    CHECK_NO_VIOLATIONS(unreachable);

    // a start that throws: a status code with the reason, and the host's PERMANENT_ERROR
    auto locked = host.create({{"path", "locked"}});
    auto started = locked->start();
    CHECK_EQ(started.status, MC_ERR_INTERNAL);
    CHECK_EQ(started.error, std::string("database is locked"));
    CHECK(locked->lastStatus()->status == MC_COMPONENT_PERMANENT_ERROR);
    CHECK_EQ(locked->lastStatus()->message, std::string("database is locked"));
    locked->destroy();
    CHECK_NO_VIOLATIONS(locked);

    // an older host: mc_host_api without report_status (and what follows)
    mc::sdk::test::Options older;
    older.apiSize = offsetof(mc_host_api, report_status);
    auto old = host.create({{"path", "unreachable"}}, older);
    CHECK(old->created().ok());
    CHECK(old->start().ok());
    CHECK_EQ(old->statuses().size(), 1u); // only the host's STARTING
    CHECK_EQ(old->write("boom", "[]").error, std::string("disk on fire")); // set_error is still there
    CHECK_NO_VIOLATIONS(old);
}

void discovery() {
    FakeHost host(&discoveryEntry);
    auto d = host.create({{"servers", "a,b,unlisted"}, {"details", "true"}, {"labels.team", "core"}});
    CHECK(d->created().ok());
    CHECK(d->start().ok());
    CHECK(d->waitFor([&] { return d->scans() >= 1; }));
    auto servers = d->servers();
    CHECK_EQ(servers.size(), 3u);
    CHECK_EQ(servers["list#a"].serverJson, std::string(R"({"transport":"stdio","command":"a"})"));
    CHECK_EQ(servers["list#a"].detailsJson, std::string(R"({"team":"core"})"));
    CHECK(!servers["list#unlisted"].connectable);
    CHECK_EQ(servers["list#unlisted"].reason, std::string("listed only"));
    // the SDK reports OK ("started") when start() returns; the worker's own report follows
    CHECK(d->waitFor([&] { return d->lastStatus()->message == "3 server(s)"; }));
    CHECK(d->lastStatus()->status == MC_COMPONENT_OK);

    CHECK(d->refresh().ok()); // drops the last one: lost
    CHECK(d->waitFor([&] { return d->servers().size() == 2; }));
    bool lost = false;
    for (const auto& e : d->discoveryEvents())
        lost = lost || (e.kind == mc::sdk::test::DiscoveryEvent::Lost && e.key == "list#unlisted");
    CHECK(lost);
    CHECK(d->stop().ok());
    CHECK_NO_VIOLATIONS(d);

    // an exception on the plugin's own thread becomes the instance's status, with the reason
    auto boom = host.create({{"servers", "a,boom"}});
    CHECK(boom->start().ok());
    CHECK(boom->waitForStatus(MC_COMPONENT_RECOVERABLE_ERROR));
    CHECK_EQ(boom->lastStatus()->message, std::string("scan: cannot parse entry 'boom'"));
    CHECK(boom->logged("scan: cannot parse entry 'boom'"));
    boom->destroy(); // stops first
    CHECK_NO_VIOLATIONS(boom);

    // an older host whose output has no scan_complete
    mc::sdk::test::Options older;
    older.outputSize = offsetof(mc_discovery_output, scan_complete);
    auto old = host.create({{"servers", "a"}}, older);
    CHECK(old->start().ok());
    CHECK(old->waitFor([&] { return old->servers().count("list#a") == 1 && old->lastStatus()->status == MC_COMPONENT_OK; }));
    CHECK_EQ(old->scans(), 0u);
    CHECK(old->stop().ok());
    CHECK_NO_VIOLATIONS(old);

    // the fake host notices rule breaking
    auto rude = FakeHost(&rudeEntry).create();
    CHECK(rude->created().ok());
    auto r = rude->start();
    CHECK_EQ(r.status, MC_ERR_IO);
    std::string all;
    for (const auto& v : rude->violations()) all += v + "\n";
    CHECK_HAS(all, "found through the output struct after create returned");
    CHECK_HAS(all, "a hook failed (io) without set_error");
}

void transport() {
    FakeHost host(&transportEntry);
    CHECK_EQ(host.transports().output, std::string("echo"));
    auto t = host.create({{"max_message_bytes", "64"}});
    CHECK(t->created().ok());
    CHECK(t->start().ok());

    // validate refuses with the plugin's message, naming the field
    auto v = t->validate(R"({"id":"x","transport":"echo"})");
    CHECK_EQ(v.status, MC_ERR_CONFIG);
    CHECK_EQ(v.error, std::string("greeting is required and not set (First log line of the connection)"));
    v = t->validate(R"({"id":"x","transport":"echo","greeting":"hi","delay_ms":5000})");
    CHECK_EQ(v.error, std::string("delay_ms = '5000': expected an integer in [0, 1000]"));
    v = t->validate(R"({"id":"x","transport":"stdio","greeting":"hi"})");
    CHECK_EQ(v.error, std::string("transport = 'stdio': expected one of echo"));
    v = t->validate("{not json");
    CHECK_EQ(v.status, MC_ERR_CONFIG);
    CHECK_HAS(v.error, "invalid JSON at byte 1");
    CHECK(t->validate(R"({"id":"x","transport":"echo","greeting":"hi"})").ok());

    // open failing
    auto failed = t->open(R"({"greeting":"hi","fail_open":true})");
    CHECK_EQ(failed->opened().status, MC_ERR_IO);
    CHECK_EQ(failed->opened().error, std::string("cannot start 'hi'"));
    CHECK(!failed->isOpen());

    // open, send, echo, close
    auto c = t->open(R"({"greeting":"hello there"})");
    CHECK(c->opened().ok());
    CHECK(c->waitForStatus(MC_COMPONENT_OK));
    CHECK(!c->logs().empty() && c->logs()[0].message == "hello there");
    CHECK(c->send(R"({"jsonrpc":"2.0","id":1,"method":"ping"})").ok());
    CHECK(c->waitForMessages(1));
    CHECK_EQ(c->messages()[0], std::string(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"));
    auto big = c->send(std::string(100, 'x'));
    CHECK_EQ(big.status, MC_ERR_INVALID_ARGUMENT);
    CHECK_EQ(big.error, std::string("a message of 100 bytes exceeds max_message_bytes = 64"));
    CHECK(c->send(R"({"method":"bye"})").ok());
    CHECK(c->waitForClosed());
    CHECK_EQ(c->closed()->reason, MC_OK);
    CHECK_EQ(c->closed()->detail, std::string("the peer said bye"));
    auto after = c->send("{}");
    CHECK_EQ(after.status, MC_ERR_UNAVAILABLE);
    CHECK_EQ(after.error, std::string("the connection ended"));
    c->close();
    CHECK(!c->isOpen());
    CHECK_NO_VIOLATIONS(c);

    // a host whose callbacks struct ends before on_status: message and log only, nothing beyond
    mc::sdk::test::ConnectionOptions older;
    older.callbacksSize = offsetof(mc_connection_callbacks, on_status);
    auto o = t->open(R"({"greeting":"old host"})", older);
    CHECK(o->opened().ok());
    CHECK(o->send(R"({"id":2})").ok());
    CHECK(o->waitForMessages(1));
    CHECK(o->statuses().empty());
    CHECK(o->send(R"({"method":"bye"})").ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(!o->closed());
    CHECK_NO_VIOLATIONS(o);

    // stop closes what is still open
    auto open = t->open(R"({"greeting":"still open"})");
    CHECK(open->opened().ok());
    CHECK(t->stop().ok());
    CHECK(!open->isOpen());
    CHECK_NO_VIOLATIONS(open);
    CHECK_NO_VIOLATIONS(t);
}

} // namespace

int main() {
    descriptors();
    configuration();
    store();
    discovery();
    transport();
    std::cout << (failures ? "FAILED: " : "ok: ") << checks - failures << "/" << checks << " checks passed\n";
    return failures ? 1 : 0;
}
