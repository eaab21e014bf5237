// A fake host for plugin tests (like Envoy's sdk_fake.h or the Collector's NewNopHost): drives one
// plugin through the ABI 2.x exactly as the host does, without the host. Header-only; depends only
// on the C++ standard library, plugin_abi.h and sdk.hpp (and <dlfcn.h> to load a .so).
//
//     mc::sdk::test::FakeHost host(&mc_plugin_entry);          // linked in; or FakeHost("x.so")
//     ASSERT(host.problems().empty());                         // what the loader would refuse
//     auto instance = host.create({{"paths", "a.json, b.json"}, {"poll_interval_ms", "50"}});
//     ASSERT(instance->created().ok());                        // else created().error names the key
//     ASSERT(instance->start().ok());
//     ASSERT(instance->waitFor([&] { return instance->servers().count("a.json#x") == 1; }));
//     ASSERT(instance->violations().empty());                  // ABI rules the plugin broke
//
// What it does like the host: checks the descriptor (ABI version, kind, id and prefix syntax, vtable
// and key stride sizes, required hooks, every declared key); validates configuration given as
// .properties-style text (relative keys) against the declaration — types, ranges, choices, REQUIRED,
// defaults, ${env:NAME}/${file:/path} for SECRET keys, undeclared keys refused — into typed
// config_json; sets STARTING/STOPPING/STOPPED around start/stop (and PERMANENT_ERROR with the reason
// when start fails); closes a transport's connections before stop.
//
// What it records (thread-safe; accessors return copies): logs, statuses, set_error reasons,
// discovery found/lost/scan_complete (and the current set of servers), connection messages, logs,
// statuses and the close, and `violations()`: the ABI rules the plugin broke — set_error outside the
// failing hook's thread, a failing hook without a reason, output after stop, two outputs or callbacks
// at once, a callback re-entering a host call into the same connection or arriving after
// close_connection/on_closed, reading a host struct beyond its struct_size, using the borrowed
// mc_discovery_output / mc_connection_callbacks after the hook that received them returned.
//
// THREAD: create/start/stop/destroy and the hook calls run on the calling (test) thread, which plays
// the host's main thread. waitFor() polls a predicate while plugin threads record.
// LIFETIME: a FakeHost may go away before its instances (they keep the library loaded);
// a Connection may outlive its Instance (the instance closes it first).
#pragma once

#include "mc/sdk.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mc::sdk::test {

using namespace std::chrono_literals;

// Configuration as an operator writes it: keys relative to the plugin's prefix -> text.
using Properties = std::map<std::string, std::string>;

// The outcome of one hook call.
struct Call {
    mc_status status = MC_OK;
    std::string error;  // what set_error recorded during the call
    std::string output; // what the hook wrote to its sink (config_json for FakeHost::resolve)
    bool ok() const { return status == MC_OK; }
};

struct LogLine {
    mc_log_level level;
    std::string message;
};

struct StatusReport {
    mc_component_status status;
    std::string message;
    bool byHost; // set by the (fake) host around start/stop, not reported by the plugin
    std::size_t discoveryEventsBefore = 0; // an instance's: how many discovery events it had reported by then
};

struct FoundRecord {
    std::string key, name, serverJson, detailsJson;
    bool connectable = true;
    std::string reason;
    std::int64_t atUnixUs = 0; // host clock when reported
};

struct DiscoveryEvent {
    enum Kind { Found, Lost, ScanComplete } kind;
    FoundRecord server;         // Found
    std::string key;            // Found, Lost
    std::int64_t startedUs = 0; // ScanComplete
};

struct ClosedRecord {
    mc_status reason;
    std::string detail;
};

// A record a receiver submitted: its kind, id and values in the catalog's field order (the SDK does
// not know field names; a test maps them with its catalog).
struct SubmittedValue {
    mc_value_type type = MC_VALUE_INVALID;
    std::int64_t integer = 0;
    double real = 0;
    std::string text;
    bool present = false;
};
struct SubmittedRecord {
    std::string kind;
    std::string id;
    std::vector<SubmittedValue> values;
};

// A receiver's answer to one request (HTTP status 0: it has not answered).
struct HttpReply {
    int status = 0;
    std::string contentType;
    std::string headersJson;
    std::string body;
};

// What a bus delivered: an entry of the log, or a message on a subscription.
struct BusEntryRecord {
    std::uint64_t seq = 0;
    std::string payload;
};
struct BusMessageRecord {
    std::uint64_t subscription = 0;
    std::string subject, replyTo, payload;
};

// How the fake host presents itself, to test tolerance of older hosts (smaller structs).
struct Options {
    std::size_t apiSize = sizeof(mc_host_api);
    std::size_t outputSize = sizeof(mc_discovery_output);
};
// One mc_http_exchange a connection reported, copied.
struct ExchangeRecord {
    std::string method, target;
    int status = 0;
    std::string requestHeaders, responseHeaders;
    std::uint64_t requestBytes = 0;
    std::int64_t responseBytes = 0;
    std::int64_t durationMicros = 0;
    std::string jsonrpcId, error;
};
struct ConnectionOptions {
    std::size_t callbacksSize = sizeof(mc_connection_callbacks);
};

inline const char* name(mc_component_status s) {
    switch (s) {
    case MC_COMPONENT_STARTING: return "starting";
    case MC_COMPONENT_OK: return "ok";
    case MC_COMPONENT_RECOVERABLE_ERROR: return "recoverable-error";
    case MC_COMPONENT_PERMANENT_ERROR: return "permanent-error";
    case MC_COMPONENT_STOPPING: return "stopping";
    case MC_COMPONENT_STOPPED: return "stopped";
    default: return "invalid";
    }
}
inline const char* name(mc_status s) {
    switch (s) {
    case MC_OK: return "ok";
    case MC_ERR_CONFIG: return "config";
    case MC_ERR_IO: return "io";
    case MC_ERR_UNSUPPORTED: return "unsupported";
    case MC_ERR_INTERNAL: return "internal";
    case MC_ERR_NOT_FOUND: return "not-found";
    case MC_ERR_CONFLICT: return "conflict";
    case MC_ERR_UNAVAILABLE: return "unavailable";
    case MC_ERR_TIMEOUT: return "timeout";
    case MC_ERR_INVALID_ARGUMENT: return "invalid-argument";
    default: return "invalid";
    }
}

namespace detail {

// The host call in progress on this thread (set_error and re-entry are judged against it).
struct Frame {
    const void* instance = nullptr;
    const void* connection = nullptr;
    bool errorSet = false;
    std::string error;
    Frame* outer = nullptr;
};
inline thread_local Frame* currentFrame = nullptr;

struct FrameScope {
    Frame frame;
    FrameScope(const void* instance, const void* connection) {
        frame.instance = instance;
        frame.connection = connection;
        frame.outer = currentFrame;
        currentFrame = &frame;
    }
    ~FrameScope() { currentFrame = frame.outer; }
    FrameScope(const FrameScope&) = delete;
    FrameScope& operator=(const FrameScope&) = delete;
};

inline bool insideCallInto(const void* connection) {
    for (Frame* f = currentFrame; f; f = f->outer)
        if (f->connection == connection) return true;
    return false;
}

inline mc_status appendSink(void* ctx, mc_str chunk) {
    static_cast<std::string*>(ctx)->append(view(chunk));
    return MC_OK;
}

// A mutex-guarded record with a generation counter for waitFor.
class Journal {
public:
    template <class F>
    void record(F&& f) const {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            f();
            ++generation_;
        }
        changed_.notify_all();
    }
    template <class F>
    auto read(F&& f) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return f();
    }
    // Polls `predicate` (called without the lock) until true or `timeout`.
    bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            std::uint64_t seen;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                seen = generation_;
            }
            if (predicate()) return true;
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) return false;
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait_until(lock, std::min(deadline, now + 20ms), [&] { return generation_ != seen; });
        }
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    mutable std::uint64_t generation_ = 0;
};

#if defined(__SANITIZE_ADDRESS__)
#define MC_SDK_TEST_KEEP_MAPPED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MC_SDK_TEST_KEEP_MAPPED 1
#endif
#endif

struct Library {
    void* handle = nullptr;
    ~Library() {
#if defined(MC_SDK_TEST_KEEP_MAPPED)
        // Under AddressSanitizer the library stays mapped, so a leak report at exit can name its code.
        (void)handle;
#else
        if (handle) dlclose(handle);
#endif
    }
};

struct Clock {
    std::atomic<std::int64_t> fixedUnixUs{0};
    std::int64_t now() const {
        const std::int64_t fixed = fixedUnixUs.load();
        if (fixed) return fixed;
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    }
};

// Copies a struct the plugin owns that starts with struct_size: at most `limit` bytes, the rest zero.
template <class T>
T copyPrefix(const void* p, std::size_t limit) {
    T out{};
    if (!p) return out;
    std::size_t size = 0;
    std::memcpy(&size, p, sizeof size);
    std::size_t n = std::min({size, limit, sizeof(T)});
    std::memcpy(&out, p, n);
    return out;
}

inline std::string joinKeys(const std::vector<mc_config_key>& keys) {
    std::string out;
    for (const auto& k : keys) {
        if (!out.empty()) out += ", ";
        out += std::string(view(k.name)) + (k.type == MC_CONFIG_OBJECT ? ".<name>" : "");
    }
    return out.empty() ? "none" : out;
}

// ${env:NAME} / ${file:/path} of a SECRET key; other text unchanged.
inline std::string resolveSecret(const std::string& full, const std::string& text) {
    const auto inner = [&](std::string_view scheme) -> std::optional<std::string> {
        const std::string head = "${" + std::string(scheme) + ":";
        if (text.size() > head.size() + 1 && text.compare(0, head.size(), head) == 0 && text.back() == '}')
            return text.substr(head.size(), text.size() - head.size() - 1);
        return std::nullopt;
    };
    if (auto var = inner("env")) {
        const char* v = std::getenv(var->c_str());
        if (!v) throw Error(MC_ERR_CONFIG, full + ": environment variable " + *var + " is not set");
        return v;
    }
    if (auto path = inner("file")) {
        std::ifstream in(*path, std::ios::binary);
        if (!in) throw Error(MC_ERR_CONFIG, full + ": cannot read " + *path);
        std::ostringstream content;
        content << in.rdbuf();
        std::string s = content.str();
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        return s;
    }
    return text;
}

} // namespace detail

class Instance;
class Connection;

// ---------------------------------------------------------------------------------------------------

class FakeHost {
public:
    // A plugin linked into the test binary: pass its entry function (mc_plugin_entry, or the one
    // MC_DEFINE_*_DESCRIPTOR defined).
    explicit FakeHost(mc_plugin_entry_fn entry) { init(entry ? entry() : nullptr, nullptr); }
    // A plugin shared library. Throws std::runtime_error when it cannot be loaded.
    explicit FakeHost(const std::string& libraryPath) {
        auto lib = std::make_shared<detail::Library>();
        lib->handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib->handle) throw std::runtime_error("dlopen(" + libraryPath + "): " + dlerror());
        void* sym = dlsym(lib->handle, MC_PLUGIN_ENTRY_SYMBOL);
        if (!sym) throw std::runtime_error(libraryPath + " exports no " MC_PLUGIN_ENTRY_SYMBOL);
        init(reinterpret_cast<mc_plugin_entry_fn>(sym)(), lib);
    }

    const mc_plugin_descriptor& descriptor() const { return descriptor_; }
    // The declared keys, read through the descriptor's stride.
    const std::vector<mc_config_key>& keys() const { return keys_; }

    // What the host's loader would refuse this plugin for (empty: it loads).
    std::vector<std::string> problems() const {
        std::vector<std::string> out;
        const auto& d = descriptor_;
        if (!raw_) return {"the entry function returned NULL"};
        if (d.struct_size < sizeof(mc_plugin_descriptor)) out.push_back("descriptor struct_size is smaller than ABI 2.0's");
        if (d.abi_major != MC_ABI_MAJOR)
            out.push_back("built for ABI " + std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor) +
                          "; the host speaks " + std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR));
        else if (d.abi_minor > MC_ABI_MINOR)
            out.push_back("built for a newer ABI minor (" + std::to_string(d.abi_minor) + ") than the host's");
        if (!sdk::detail::validId(view(d.id))) out.push_back("id '" + std::string(view(d.id)) + "' is not [a-z0-9][a-z0-9-]*");
        if (view(d.version).empty()) out.push_back("no version");
        if (!sdk::detail::validPrefix(view(d.config_prefix)))
            out.push_back("config_prefix '" + std::string(view(d.config_prefix)) + "' is not dot-separated [a-z0-9][a-z0-9_-]* parts");
        const auto vtableCheck = [&](std::size_t need, std::size_t own) {
            if (!d.vtable) out.push_back("no vtable");
            else if (d.vtable_size < need || own < need) out.push_back("vtable_size / vtable struct_size smaller than ABI 2.0's");
        };
        const auto hook = [&](const void* fn, const char* what) {
            if (!fn) out.push_back(std::string("required hook ") + what + " is NULL");
        };
        switch (d.kind) {
        case MC_KIND_STORE:
            vtableCheck(sizeof(mc_store_vtable), store_.struct_size);
            hook(reinterpret_cast<const void*>(store_.create), "create");
            hook(reinterpret_cast<const void*>(store_.destroy), "destroy");
            hook(reinterpret_cast<const void*>(store_.dialect), "dialect");
            hook(reinterpret_cast<const void*>(store_.schema_version), "schema_version");
            hook(reinterpret_cast<const void*>(store_.apply_migration), "apply_migration");
            hook(reinterpret_cast<const void*>(store_.write), "write");
            hook(reinterpret_cast<const void*>(store_.query), "query");
            break;
        case MC_KIND_TRANSPORT: {
            vtableCheck(sizeof(mc_transport_vtable), transport_.struct_size);
            hook(reinterpret_cast<const void*>(transport_.create), "create");
            hook(reinterpret_cast<const void*>(transport_.destroy), "destroy");
            hook(reinterpret_cast<const void*>(transport_.transports), "transports");
            hook(reinterpret_cast<const void*>(transport_.validate), "validate");
            hook(reinterpret_cast<const void*>(transport_.open_connection), "open_connection");
            hook(reinterpret_cast<const void*>(transport_.send), "send");
            hook(reinterpret_cast<const void*>(transport_.close_connection), "close_connection");
            if (transport_.transports) {
                const Call names = transports();
                if (!names.ok() || sdk::detail::trim(names.output).empty()) out.push_back("transports() names no transport");
            }
            break;
        }
        case MC_KIND_DISCOVERY:
            vtableCheck(sizeof(mc_discovery_vtable), discovery_.struct_size);
            hook(reinterpret_cast<const void*>(discovery_.create), "create");
            hook(reinterpret_cast<const void*>(discovery_.destroy), "destroy");
            break;
        case MC_KIND_RECEIVER:
            vtableCheck(sizeof(mc_receiver_vtable), receiver_.struct_size);
            hook(reinterpret_cast<const void*>(receiver_.create), "create");
            hook(reinterpret_cast<const void*>(receiver_.destroy), "destroy");
            hook(reinterpret_cast<const void*>(receiver_.routes), "routes");
            hook(reinterpret_cast<const void*>(receiver_.handle), "handle");
            break;
        case MC_KIND_BUS:
            vtableCheck(sizeof(mc_bus_vtable), bus_.struct_size);
            hook(reinterpret_cast<const void*>(bus_.create), "create");
            hook(reinterpret_cast<const void*>(bus_.destroy), "destroy");
            hook(reinterpret_cast<const void*>(bus_.append), "append");
            hook(reinterpret_cast<const void*>(bus_.follow), "follow");
            hook(reinterpret_cast<const void*>(bus_.publish), "publish");
            hook(reinterpret_cast<const void*>(bus_.subscribe), "subscribe");
            hook(reinterpret_cast<const void*>(bus_.unsubscribe), "unsubscribe");
            break;
        default: out.push_back("unknown kind " + std::to_string(int(d.kind)));
        }
        if (d.config_key_count && !d.config_keys) out.push_back("config_key_count > 0 but config_keys is NULL");
        if (d.config_key_count && d.config_key_size < sizeof(mc_config_key))
            out.push_back("config_key_size (the key stride) is smaller than ABI 2.0's mc_config_key");
        std::set<std::string> names;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            const std::string keyName(view(keys_[i].name));
            if (keyStructSizes_[i] < sizeof(mc_config_key))
                out.push_back("key '" + keyName + "': struct_size is smaller than ABI 2.0's");
            if (const auto p = sdk::detail::keyProblem(keys_[i]); p != sdk::detail::KeyProblem::None)
                out.push_back("key '" + keyName + "': " + sdk::detail::describe(p));
            if (!names.insert(keyName).second) out.push_back("key '" + keyName + "' is declared twice");
        }
        return out;
    }

    // Validates `props` like the host into config_json (Call::output), or MC_ERR_CONFIG with the
    // reason naming the full key (<prefix>.<key>).
    Call resolve(const Properties& props) const {
        Call call;
        try {
            call.output = resolveValue(props).dump();
        } catch (const Error& e) {
            call.status = e.status();
            call.error = e.what();
        }
        return call;
    }

    // The transport names (transport plugins).
    Call transports() const {
        Call call;
        if (descriptor_.kind != MC_KIND_TRANSPORT || !transport_.transports) return Call{MC_ERR_UNSUPPORTED, "not a transport", {}};
        mc_sink sink{&call.output, &detail::appendSink};
        call.status = transport_.transports(&sink);
        return call;
    }

    // Resolves `props`, then calls create. Always returns an Instance: check created().
    inline std::unique_ptr<Instance> create(const Properties& props = {}, const Options& options = {}) const;

    // Freezes the host's wall clock (now_unix_us) at `unixUs`; 0 lets it run again.
    void setNow(std::int64_t unixUs) { clock_->fixedUnixUs = unixUs; }

private:
    void init(const mc_plugin_descriptor* d, std::shared_ptr<detail::Library> lib) {
        library_ = std::move(lib);
        raw_ = d;
        if (!d) return;
        descriptor_ = detail::copyPrefix<mc_plugin_descriptor>(d, sizeof(mc_plugin_descriptor));
        const std::size_t vsize = descriptor_.vtable_size;
        if (descriptor_.kind == MC_KIND_STORE) store_ = detail::copyPrefix<mc_store_vtable>(descriptor_.vtable, vsize);
        if (descriptor_.kind == MC_KIND_TRANSPORT) transport_ = detail::copyPrefix<mc_transport_vtable>(descriptor_.vtable, vsize);
        if (descriptor_.kind == MC_KIND_DISCOVERY) discovery_ = detail::copyPrefix<mc_discovery_vtable>(descriptor_.vtable, vsize);
        if (descriptor_.kind == MC_KIND_RECEIVER) receiver_ = detail::copyPrefix<mc_receiver_vtable>(descriptor_.vtable, vsize);
        if (descriptor_.kind == MC_KIND_BUS) bus_ = detail::copyPrefix<mc_bus_vtable>(descriptor_.vtable, vsize);
        if (descriptor_.config_keys && descriptor_.config_key_size) {
            const char* base = reinterpret_cast<const char*>(descriptor_.config_keys);
            for (std::size_t i = 0; i < descriptor_.config_key_count; ++i) {
                const char* at = base + i * descriptor_.config_key_size;
                std::size_t size = 0;
                std::memcpy(&size, at, sizeof size);
                keyStructSizes_.push_back(size);
                keys_.push_back(detail::copyPrefix<mc_config_key>(at, descriptor_.config_key_size));
            }
        }
    }

    json::Value resolveValue(const Properties& props) const {
        const std::string prefix(view(descriptor_.config_prefix));
        const auto full = [&](std::string_view key) { return prefix + "." + std::string(key); };
        for (const auto& [key, text] : props) {
            bool known = false;
            for (const auto& k : keys_) {
                const std::string_view n = view(k.name);
                if (key == n) {
                    if (k.type == MC_CONFIG_OBJECT) sdk::detail::badValue(k, full(key), text);
                    known = true;
                } else if (k.type == MC_CONFIG_OBJECT && key.size() > n.size() + 1 && key.compare(0, n.size(), n) == 0 &&
                           key[n.size()] == '.') {
                    known = true;
                }
            }
            if (!known)
                throw Error(MC_ERR_CONFIG, full(key) + " is not a key of " + std::string(view(descriptor_.id)) +
                                               " (its keys: " + detail::joinKeys(keys_) + ")");
        }
        json::Value config = json::Value::object();
        for (const auto& k : keys_) {
            const std::string n(view(k.name));
            const bool required = (k.flags & MC_CONFIG_REQUIRED) != 0;
            const auto missing = [&] {
                return Error(MC_ERR_CONFIG, full(n) + " is required and not set (" + std::string(view(k.description)) + ")");
            };
            if (k.type == MC_CONFIG_OBJECT) {
                json::Value object = json::Value::object();
                for (const auto& [key, text] : props)
                    if (key.size() > n.size() + 1 && key.compare(0, n.size() + 1, n + ".") == 0)
                        object.set(key.substr(n.size() + 1), json::Value::string(std::string(sdk::detail::trim(text))));
                if (object.members().empty()) {
                    if (required) throw missing();
                    continue;
                }
                config.set(n, std::move(object));
                continue;
            }
            std::string text;
            if (auto it = props.find(n); it != props.end()) {
                text = std::string(sdk::detail::trim(it->second));
                if (k.flags & MC_CONFIG_SECRET) text = detail::resolveSecret(full(n), text);
            } else if (!view(k.default_value).empty()) {
                text = std::string(view(k.default_value));
            } else if (required) {
                throw missing();
            } else {
                continue;
            }
            config.set(n, sdk::detail::valueFromText(k, full(n), text));
        }
        return config;
    }

    friend class Instance;
    std::shared_ptr<detail::Library> library_;
    std::shared_ptr<detail::Clock> clock_ = std::make_shared<detail::Clock>();
    const mc_plugin_descriptor* raw_ = nullptr;
    mc_plugin_descriptor descriptor_{};
    mc_store_vtable store_{};
    mc_transport_vtable transport_{};
    mc_discovery_vtable discovery_{};
    mc_receiver_vtable receiver_{};
    mc_bus_vtable bus_{};
    std::vector<mc_config_key> keys_;
    std::vector<std::size_t> keyStructSizes_;
};

// ---------------------------------------------------------------------------------------------------

class Connection {
public:
    ~Connection() { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // The result of open_connection (when not ok, the connection is not open).
    const Call& opened() const { return opened_; }
    bool isOpen() const { return handle_ != nullptr; }

    // send(); a message after close is refused here without calling the plugin.
    inline Call send(std::string_view message);
    // close_connection (once; also done by the destructor and by the instance's stop/destroy).
    inline void close();

    std::vector<std::string> messages() const { return journal_.read([&] { return messages_; }); }
    std::vector<LogLine> logs() const { return journal_.read([&] { return logs_; }); }
    std::vector<StatusReport> statuses() const { return journal_.read([&] { return statuses_; }); }
    std::optional<ClosedRecord> closed() const { return journal_.read([&] { return closed_; }); }
    std::vector<ExchangeRecord> exchanges() const { return journal_.read([&] { return exchanges_; }); }
    std::vector<std::string> violations() const { return journal_.read([&] { return violations_; }); }

    bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 5s) const {
        return journal_.waitFor(predicate, timeout);
    }
    bool waitForMessages(std::size_t count, std::chrono::milliseconds timeout = 5s) const {
        return waitFor([&] { return messages().size() >= count; }, timeout);
    }
    bool waitForStatus(mc_component_status status, std::chrono::milliseconds timeout = 5s) const {
        return waitFor([&] {
            auto s = statuses();
            return !s.empty() && s.back().status == status;
        }, timeout);
    }
    bool waitForClosed(std::chrono::milliseconds timeout = 5s) const {
        return waitFor([&] { return closed().has_value(); }, timeout);
    }

private:
    friend class Instance;
    Connection(Instance* owner, std::size_t callbacksSize) : owner_(owner) {
        callbacks_ = std::make_unique<mc_connection_callbacks>();
        install(callbacksSize, false);
    }

    // Fills the callbacks struct: real functions up to `size`, poison beyond it; after open returned
    // (`afterOpen`) every function is poison, since the plugin had to copy the struct.
    void install(std::size_t size, bool afterOpen) {
        auto& cb = *callbacks_;
        cb.struct_size = afterOpen ? cb.struct_size : size;
        cb.ctx = this;
        const auto fits = [&](std::size_t end) { return !afterOpen && size >= end; };
        cb.on_message = fits(offsetof(mc_connection_callbacks, on_message) + sizeof cb.on_message) ? &onMessage
                        : afterOpen ? &staleMessage : &beyondMessage;
        cb.on_log = fits(offsetof(mc_connection_callbacks, on_log) + sizeof cb.on_log) ? &onLog
                    : afterOpen ? &staleLog : &beyondLog;
        cb.on_status = fits(offsetof(mc_connection_callbacks, on_status) + sizeof cb.on_status) ? &onStatus
                       : afterOpen ? &staleStatus : &beyondStatus;
        cb.on_closed = fits(offsetof(mc_connection_callbacks, on_closed) + sizeof cb.on_closed) ? &onClosed
                       : afterOpen ? &staleClosed : &beyondClosed;
        cb.on_exchange = fits(offsetof(mc_connection_callbacks, on_exchange) + sizeof cb.on_exchange) ? &onExchange
                         : afterOpen ? &staleExchange : &beyondExchange;
    }

    void violation(std::string what) const { journal_.record([&] { violations_.push_back(std::move(what)); }); }

    // Common checks of every callback; false: drop it.
    bool enter(const char* which) {
        if (released_.load()) {
            violation(std::string(which) + " after close_connection returned");
            return false;
        }
        if (detail::insideCallInto(this)) violation(std::string(which) + " from inside a host call into the same connection (re-entry)");
        if (inCallback_.fetch_add(1) != 0) violation(std::string(which) + " while another callback of the connection runs");
        if (journal_.read([&] { return closed_.has_value(); })) violation(std::string(which) + " after on_closed");
        return true;
    }
    void leave() { inCallback_.fetch_sub(1); }

    static Connection* self(void* ctx) { return static_cast<Connection*>(ctx); }
    static void onMessage(void* ctx, mc_str m) {
        auto* c = self(ctx);
        if (!c->enter("on_message")) return;
        c->journal_.record([&] { c->messages_.emplace_back(view(m)); });
        c->leave();
    }
    static void onLog(void* ctx, mc_log_level level, mc_str line) {
        auto* c = self(ctx);
        if (!c->enter("on_log")) return;
        c->journal_.record([&] { c->logs_.push_back({level, std::string(view(line))}); });
        c->leave();
    }
    static void onStatus(void* ctx, mc_component_status status, mc_str message) {
        auto* c = self(ctx);
        if (!c->enter("on_status")) return;
        if (status < MC_COMPONENT_STARTING || status > MC_COMPONENT_STOPPED) c->violation("on_status with an invalid status");
        c->journal_.record([&] { c->statuses_.push_back({status, std::string(view(message)), false}); });
        c->leave();
    }
    static void onClosed(void* ctx, mc_status reason, mc_str detail) {
        auto* c = self(ctx);
        if (!c->enter("on_closed")) return;
        c->journal_.record([&] { c->closed_ = ClosedRecord{reason, std::string(view(detail))}; });
        c->leave();
    }
    static void onExchange(void* ctx, const mc_http_exchange* x) {
        auto* c = self(ctx);
        if (!c->enter("on_exchange")) return;
        if (!x || x->struct_size < sizeof(mc_http_exchange)) c->violation("on_exchange without a whole mc_http_exchange");
        else c->journal_.record([&] {
            c->exchanges_.push_back({std::string(view(x->method)), std::string(view(x->target)), x->status,
                                     std::string(view(x->request_headers)), std::string(view(x->response_headers)),
                                     x->request_bytes, x->response_bytes, x->duration_us, std::string(view(x->jsonrpc_id)),
                                     std::string(view(x->error))});
        });
        c->leave();
    }
    static void beyondMessage(void* ctx, mc_str) { self(ctx)->violation("on_message called beyond the callbacks' struct_size"); }
    static void beyondLog(void* ctx, mc_log_level, mc_str) { self(ctx)->violation("on_log called beyond the callbacks' struct_size"); }
    static void beyondStatus(void* ctx, mc_component_status, mc_str) { self(ctx)->violation("on_status called beyond the callbacks' struct_size"); }
    static void beyondClosed(void* ctx, mc_status, mc_str) { self(ctx)->violation("on_closed called beyond the callbacks' struct_size"); }
    static void beyondExchange(void* ctx, const mc_http_exchange*) { self(ctx)->violation("on_exchange called beyond the callbacks' struct_size"); }
    static constexpr const char* kStale = " through the callbacks struct after open_connection returned (copy it)";
    static void staleMessage(void* ctx, mc_str) { self(ctx)->violation(std::string("on_message") + kStale); }
    static void staleLog(void* ctx, mc_log_level, mc_str) { self(ctx)->violation(std::string("on_log") + kStale); }
    static void staleStatus(void* ctx, mc_component_status, mc_str) { self(ctx)->violation(std::string("on_status") + kStale); }
    static void staleClosed(void* ctx, mc_status, mc_str) { self(ctx)->violation(std::string("on_closed") + kStale); }
    static void staleExchange(void* ctx, const mc_http_exchange*) { self(ctx)->violation(std::string("on_exchange") + kStale); }

    Instance* owner_;               // cleared when the instance goes first
    mc_transport_vtable vtable_{};  // the instance's copy
    std::unique_ptr<mc_connection_callbacks> callbacks_;
    mc_connection* handle_ = nullptr;
    Call opened_;
    std::atomic<bool> released_{false};
    std::atomic<int> inCallback_{0};

    detail::Journal journal_;
    std::vector<std::string> messages_;
    std::vector<LogLine> logs_;
    std::vector<StatusReport> statuses_;
    std::optional<ClosedRecord> closed_;
    std::vector<ExchangeRecord> exchanges_;
    mutable std::vector<std::string> violations_;
};

// ---------------------------------------------------------------------------------------------------

class Instance {
public:
    ~Instance() { destroy(); }
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    // The result of create (config validation included); nothing else works when it failed.
    const Call& created() const { return created_; }
    const std::string& configJson() const { return configJson_; }
    mc_plugin_kind kind() const { return kind_; }

    // STARTING, start(); on failure PERMANENT_ERROR with the reason (as the host does).
    Call start() {
        if (!handle_) return notCreated();
        hostStatus(MC_COMPONENT_STARTING, "");
        const Call call = hook([&] { return lifecycle().start ? lifecycle().start(handle_) : MC_OK; });
        if (call.ok()) started_ = true;
        else hostStatus(MC_COMPONENT_PERMANENT_ERROR, call.error);
        return call;
    }
    // Closes open connections, STOPPING, stop(), STOPPED. After it, output is a violation.
    Call stop() {
        if (!handle_) return notCreated();
        closeConnections();
        hostStatus(MC_COMPONENT_STOPPING, "");
        const Call call = hook([&] { return lifecycle().stop ? lifecycle().stop(handle_) : MC_OK; });
        stopped_ = true;
        started_ = false;
        hostStatus(MC_COMPONENT_STOPPED, call.ok() ? "" : call.error);
        return call;
    }
    // stop() when started, then destroy. Also done by the destructor.
    void destroy() {
        if (!handle_) return;
        if (started_) stop();
        closeConnections();
        stopped_ = true;
        lifecycle().destroy(handle_);
        handle_ = nullptr;
    }

    // ---- discovery
    Call refresh() {
        if (!handle_) return notCreated();
        if (!vt_.discovery.refresh) return Call{MC_ERR_UNSUPPORTED, "no refresh hook", {}};
        return hook([&] { return vt_.discovery.refresh(handle_); });
    }

    // ---- store
    Call dialect() { return sinkHook([&](mc_sink* s) { return vt_.store.dialect(handle_, s); }, vt_.store.dialect != nullptr); }
    Call schemaVersion(std::int64_t& version) {
        if (!handle_ || !vt_.store.schema_version) return notCreated();
        return hook([&] { return vt_.store.schema_version(handle_, &version); });
    }
    Call applyMigration(std::int64_t version, std::string_view name, std::string_view sql) {
        if (!handle_ || !vt_.store.apply_migration) return notCreated();
        return hook([&] { return vt_.store.apply_migration(handle_, version, str(name), str(sql)); });
    }
    Call write(std::string_view kind, std::string_view recordsJson) {
        return sinkHook([&](mc_sink* s) { return vt_.store.write(handle_, str(kind), str(recordsJson), s); },
                        vt_.store.write != nullptr);
    }
    Call writeRecords(const mc_record* records, std::size_t count) {
        return sinkHook([&](mc_sink* s) { return vt_.store.write_records(handle_, records, count, sizeof(mc_record), s); },
                        vt_.store.write_records != nullptr);
    }
    Call expire(std::string_view kind, std::string_view before, std::size_t maxRows) {
        return sinkHook([&](mc_sink* s) { return vt_.store.expire(handle_, str(kind), str(before), maxRows, s); },
                        vt_.store.expire != nullptr);
    }
    Call lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs = 0) {
        return sinkHook([&](mc_sink* s) { return vt_.store.lease(handle_, op, str(name), str(holder), ttlMs, s); },
                        vt_.store.lease != nullptr);
    }
    Call query(std::string_view name, std::string_view paramsJson) {
        return sinkHook([&](mc_sink* s) { return vt_.store.query(handle_, str(name), str(paramsJson), s); },
                        vt_.store.query != nullptr);
    }
    Call describe() {
        if (kind_ == MC_KIND_BUS) {
            if (handle_ && !vt_.bus.describe) return Call{MC_ERR_UNSUPPORTED, "no describe hook", {}};
            return sinkHook([&](mc_sink* s) { return vt_.bus.describe(handle_, s); }, vt_.bus.describe != nullptr);
        }
        if (handle_ && kind_ == MC_KIND_STORE && !vt_.store.describe) return Call{MC_ERR_UNSUPPORTED, "no describe hook", {}};
        return sinkHook([&](mc_sink* s) { return vt_.store.describe(handle_, s); }, vt_.store.describe != nullptr);
    }

    // ---- bus
    Call append(std::string_view entryId, std::string_view payload) {
        if (!handle_ || !vt_.bus.append) return notCreated();
        return hook([&] { return vt_.bus.append(handle_, str(entryId), str(payload)); });
    }
    Call follow(mc_bus_follow_from from, std::uint64_t afterSeq = 0) {
        if (!handle_ || !vt_.bus.follow) return notCreated();
        return hook([&] { return vt_.bus.follow(handle_, from, afterSeq); });
    }
    Call publish(std::string_view subject, std::string_view replyTo, std::string_view payload) {
        if (!handle_ || !vt_.bus.publish) return notCreated();
        return hook([&] { return vt_.bus.publish(handle_, str(subject), str(replyTo), str(payload)); });
    }
    Call subscribe(std::uint64_t subscription, std::string_view subject, std::string_view queueGroup = {}) {
        if (!handle_ || !vt_.bus.subscribe) return notCreated();
        return hook([&] { return vt_.bus.subscribe(handle_, subscription, str(subject), str(queueGroup)); });
    }
    Call unsubscribe(std::uint64_t subscription) {
        if (!handle_ || !vt_.bus.unsubscribe) return notCreated();
        const Call call = hook([&] { return vt_.bus.unsubscribe(handle_, subscription); });
        if (call.ok()) journal_.record([&] { ended_.insert(subscription); });
        return call;
    }
    std::vector<BusEntryRecord> busEntries() const { return journal_.read([&] { return busEntries_; }); }
    std::vector<BusMessageRecord> busMessages() const { return journal_.read([&] { return busMessages_; }); }

    // ---- transport
    Call validate(std::string_view serverJson) {
        if (!handle_ || !vt_.transport.validate) return notCreated();
        return hook([&] { return vt_.transport.validate(handle_, str(serverJson)); });
    }
    // open_connection; check opened() of the result.
    std::unique_ptr<Connection> open(std::string_view serverJson, const ConnectionOptions& options = {}) {
        std::unique_ptr<Connection> c(new Connection(this, options.callbacksSize));
        c->vtable_ = vt_.transport;
        if (!handle_ || !vt_.transport.open_connection) {
            c->opened_ = notCreated();
            return c;
        }
        mc_connection* handle = nullptr;
        c->opened_ = hook([&] { return vt_.transport.open_connection(handle_, str(serverJson), c->callbacks_.get(), &handle); },
                          c.get());
        c->install(options.callbacksSize, true); // the plugin had to copy it
        if (c->opened_.ok()) {
            if (!handle) violation("open_connection returned MC_OK without a connection");
            c->handle_ = handle;
            std::lock_guard<std::mutex> lock(connectionsMutex_);
            connections_.push_back(c.get());
        } else if (handle) {
            violation("open_connection failed but set *out_connection");
        }
        return c;
    }

    // ---- receiver
    Call routes() { return sinkHook([&](mc_sink* s) { return vt_.receiver.routes(handle_, s); }, vt_.receiver.routes != nullptr); }
    // Calls handle() and waits (at most `timeout`) for the receiver's answer; `call` gets the hook's status.
    HttpReply handle(std::string_view method, std::string_view path, std::string_view contentType, std::string_view body,
                     std::string_view contentEncoding = {}, Call* call = nullptr, std::chrono::milliseconds timeout = 5s) {
        auto pending = std::make_shared<PendingReply>();
        pending->owner = this;
        pending->responder = mc_http_responder{sizeof(mc_http_responder), pending.get(), &PendingReply::respond};
        {
            std::lock_guard<std::mutex> lock(repliesMutex_);
            replies_.push_back(pending); // stays valid for a late answer
        }
        const mc_http_request request{sizeof(mc_http_request), str(method), str(path), str(contentType), str(contentEncoding),
                                      str(body), str("")};
        Call result = handle_ && vt_.receiver.handle ? hook([&] { return vt_.receiver.handle(handle_, &request, &pending->responder); })
                                                     : notCreated();
        if (call) *call = result;
        if (!result.ok()) return HttpReply{};
        std::unique_lock<std::mutex> lock(pending->mutex);
        pending->changed.wait_for(lock, timeout, [&] { return pending->reply.status != 0; });
        return pending->reply;
    }
    // How submit() answers from now on: MC_OK commits everything (done with {"accepted":N,...}),
    // MC_ERR_UNAVAILABLE takes nothing; `rejectIndex` >= 0 rejects that record of each batch.
    void setSubmitOutcome(mc_status status, long rejectIndex = -1) {
        submitStatus_ = status;
        submitRejectIndex_ = rejectIndex;
    }
    std::vector<SubmittedRecord> submitted() const { return journal_.read([&] { return submitted_; }); }
    std::size_t submitBatches() const { return journal_.read([&] { return submitBatches_; }); }

    // ---- records
    std::vector<LogLine> logs() const { return journal_.read([&] { return logs_; }); }
    bool logged(std::string_view part) const {
        for (const auto& l : logs())
            if (l.message.find(part) != std::string::npos) return true;
        return false;
    }
    std::vector<StatusReport> statuses() const { return journal_.read([&] { return statuses_; }); }
    std::optional<StatusReport> lastStatus() const {
        auto s = statuses();
        if (s.empty()) return std::nullopt;
        return s.back();
    }
    std::vector<std::string> errors() const { return journal_.read([&] { return errors_; }); }
    std::vector<std::string> violations() const { return journal_.read([&] { return violations_; }); }
    std::vector<DiscoveryEvent> discoveryEvents() const { return journal_.read([&] { return events_; }); }
    // The servers found and not lost (scan_complete drops those not found since the scan began).
    std::map<std::string, FoundRecord> servers() const { return journal_.read([&] { return servers_; }); }
    std::size_t scans() const { return journal_.read([&] { return scans_; }); }

    bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 5s) const {
        return journal_.waitFor(predicate, timeout);
    }
    // Until the last status is `status`.
    bool waitForStatus(mc_component_status status, std::chrono::milliseconds timeout = 5s) const {
        return waitFor([&] {
            auto s = lastStatus();
            return s && s->status == status;
        }, timeout);
    }

private:
    friend class FakeHost;
    friend class Connection;

    // Only the instance's kind is filled; the others stay zero (NULL hooks).
    struct Vtables {
        mc_store_vtable store{};
        mc_transport_vtable transport{};
        mc_discovery_vtable discovery{};
        mc_receiver_vtable receiver{};
        mc_bus_vtable bus{};
    };
    struct PendingReply {
        Instance* owner = nullptr;
        mc_http_responder responder{};
        std::mutex mutex;
        std::condition_variable changed;
        HttpReply reply;
        int answers = 0;
        static void respond(void* ctx, int status, mc_str contentType, mc_str headersJson, mc_str body) {
            auto* p = static_cast<PendingReply*>(ctx);
            std::lock_guard<std::mutex> lock(p->mutex);
            if (++p->answers > 1) {
                p->owner->violation("respond called twice for one request");
                return;
            }
            if (status < 100 || status > 599) p->owner->violation("respond with HTTP status " + std::to_string(status));
            p->reply = HttpReply{status, std::string(view(contentType)), std::string(view(headersJson)), std::string(view(body))};
            p->changed.notify_all();
        }
    };
    struct Lifecycle {
        mc_create_fn create;
        mc_start_fn start;
        mc_stop_fn stop;
        mc_destroy_fn destroy;
    };

    Instance() = default;

    Lifecycle lifecycle() const {
        switch (kind_) {
        case MC_KIND_STORE: return {vt_.store.create, vt_.store.start, vt_.store.stop, vt_.store.destroy};
        case MC_KIND_TRANSPORT: return {vt_.transport.create, vt_.transport.start, vt_.transport.stop, vt_.transport.destroy};
        case MC_KIND_DISCOVERY:
            return {vt_.discovery.create, vt_.discovery.start, vt_.discovery.stop, vt_.discovery.destroy};
        case MC_KIND_RECEIVER: return {vt_.receiver.create, vt_.receiver.start, vt_.receiver.stop, vt_.receiver.destroy};
        case MC_KIND_BUS: return {vt_.bus.create, vt_.bus.start, vt_.bus.stop, vt_.bus.destroy};
        default: return {nullptr, nullptr, nullptr, nullptr};
        }
    }

    void init(const FakeHost& host, const Properties& props, const Options& options) {
        library_ = host.library_;
        clock_ = host.clock_;
        kind_ = host.descriptor_.kind;
        if (kind_ == MC_KIND_STORE) vt_.store = host.store_;
        if (kind_ == MC_KIND_TRANSPORT) vt_.transport = host.transport_;
        if (kind_ == MC_KIND_DISCOVERY) vt_.discovery = host.discovery_;
        if (kind_ == MC_KIND_RECEIVER) vt_.receiver = host.receiver_;
        if (kind_ == MC_KIND_BUS) vt_.bus = host.bus_;
        if (!host.raw_ || !lifecycle().create || !lifecycle().destroy) {
            created_ = Call{MC_ERR_INVALID_ARGUMENT, "the descriptor has no create/destroy for its kind", {}};
            return;
        }
        const Call resolved = host.resolve(props);
        if (!resolved.ok()) {
            created_ = resolved;
            return;
        }
        configJson_ = resolved.output;
        config_ = json::parse(configJson_);

        installApi(options.apiSize);
        output_ = std::make_unique<mc_discovery_output>();
        installOutput(options.outputSize, false);
        mc_instance* handle = nullptr;
        receiverOutput_ = std::make_unique<mc_receiver_output>(
            mc_receiver_output{sizeof(mc_receiver_output), this, &outSubmit});
        busOutput_ = std::make_unique<mc_bus_output>(mc_bus_output{sizeof(mc_bus_output), this, &outMessage, &outEntry});
        const void* output = kind_ == MC_KIND_DISCOVERY  ? static_cast<const void*>(output_.get())
                             : kind_ == MC_KIND_RECEIVER ? static_cast<const void*>(receiverOutput_.get())
                             : kind_ == MC_KIND_BUS      ? static_cast<const void*>(busOutput_.get())
                                                         : nullptr;
        created_ = hook([&] { return lifecycle().create(&api_, self(), str(configJson_), output, &handle); });
        installOutput(options.outputSize, true); // borrowed for the call only
        receiverOutput_->submit = &staleSubmit;
        busOutput_->message = &staleMessage;
        busOutput_->entry = &staleEntry;
        if (created_.ok()) {
            if (!handle) violation("create returned MC_OK without an instance");
            handle_ = handle;
        } else if (handle) {
            violation("create failed but set *out_instance");
        }
    }

    mc_host* self() { return reinterpret_cast<mc_host*>(this); }
    static Instance* from(mc_host* h) { return reinterpret_cast<Instance*>(h); }
    static Instance* fromCtx(void* ctx) { return static_cast<Instance*>(ctx); }

    Call notCreated() const {
        return Call{MC_ERR_INVALID_ARGUMENT, "no instance (create failed, or destroyed) or no such hook for its kind", {}};
    }

    // Calls a hook with a frame for set_error; checks the failure carries a reason.
    template <class F>
    Call hook(F&& f, const void* connection = nullptr) {
        detail::FrameScope scope(this, connection);
        Call call;
        call.status = f();
        call.error = scope.frame.error;
        if (call.status == MC_STATUS_INVALID) violation("a hook returned MC_STATUS_INVALID (0)");
        if (!call.ok() && !scope.frame.errorSet) violation(std::string("a hook failed (") + name(call.status) + ") without set_error");
        if (call.ok() && scope.frame.errorSet) violation("set_error in a hook that returned MC_OK: " + call.error);
        return call;
    }
    template <class F>
    Call sinkHook(F&& f, bool available) {
        if (!handle_ || !available) return notCreated();
        std::string out;
        mc_sink sink{&out, &detail::appendSink};
        Call call = hook([&] { return f(&sink); });
        call.output = std::move(out);
        return call;
    }

    void violation(std::string what) const { journal_.record([&] { violations_.push_back(std::move(what)); }); }
    void hostStatus(mc_component_status s, const std::string& message) {
        journal_.record([&] { statuses_.push_back({s, message, true, events_.size()}); });
    }

    void closeConnections() {
        std::vector<Connection*> open;
        {
            std::lock_guard<std::mutex> lock(connectionsMutex_);
            open.swap(connections_);
        }
        for (Connection* c : open) {
            c->close();
            c->owner_ = nullptr;
        }
    }
    void forget(Connection* c) {
        std::lock_guard<std::mutex> lock(connectionsMutex_);
        connections_.erase(std::remove(connections_.begin(), connections_.end(), c), connections_.end());
    }

    // ---- mc_host_api
    void installApi(std::size_t size) {
        const auto fits = [&](std::size_t end) { return size >= end; };
        api_.struct_size = size;
        api_.abi_major = MC_ABI_MAJOR;
        api_.abi_minor = MC_ABI_MINOR;
        api_.log = fits(offsetof(mc_host_api, log) + sizeof api_.log) ? &apiLog : &beyondLog;
        api_.set_error = fits(offsetof(mc_host_api, set_error) + sizeof api_.set_error) ? &apiSetError : &beyondSetError;
        api_.report_status = fits(offsetof(mc_host_api, report_status) + sizeof api_.report_status) ? &apiReportStatus : &beyondReportStatus;
        api_.config_get = fits(offsetof(mc_host_api, config_get) + sizeof api_.config_get) ? &apiConfigGet : &beyondConfigGet;
        api_.now_unix_us = fits(offsetof(mc_host_api, now_unix_us) + sizeof api_.now_unix_us) ? &apiNow : &beyondNow;
        api_.monotonic_us = fits(offsetof(mc_host_api, monotonic_us) + sizeof api_.monotonic_us) ? &apiMonotonic : &beyondMonotonic;
        api_.watch_readable = fits(offsetof(mc_host_api, watch_readable) + sizeof api_.watch_readable) ? &apiWatchReadable : &beyondWatchReadable;
    }
    static void apiLog(mc_host* h, mc_log_level level, mc_str message) {
        auto* i = from(h);
        if (level < MC_LOG_TRACE || level > MC_LOG_ERROR) i->violation("log with an invalid level");
        i->journal_.record([&] { i->logs_.push_back({level, std::string(view(message))}); });
    }
    static void apiSetError(mc_host* h, mc_str message) {
        auto* i = from(h);
        const std::string text(view(message));
        detail::Frame* frame = detail::currentFrame;
        while (frame && frame->instance != i) frame = frame->outer;
        if (frame) {
            frame->errorSet = true;
            frame->error = text;
        } else {
            i->violation("set_error outside a failing hook on its thread: " + text);
        }
        i->journal_.record([&] { i->errors_.push_back(text); });
    }
    static void apiReportStatus(mc_host* h, mc_component_status status, mc_str message) {
        auto* i = from(h);
        if (status < MC_COMPONENT_STARTING || status > MC_COMPONENT_STOPPED) i->violation("report_status with an invalid status");
        if (status == MC_COMPONENT_STOPPING || status == MC_COMPONENT_STOPPED)
            i->violation(std::string("report_status(") + name(status) + "): the host sets it");
        if (i->stopped_.load()) i->violation("report_status after stop returned: " + std::string(view(message)));
        i->journal_.record([&] { i->statuses_.push_back({status, std::string(view(message)), false, i->events_.size()}); });
    }
    static mc_status apiConfigGet(mc_host* h, mc_str key, mc_sink* out) {
        auto* i = from(h);
        const json::Value* v = i->config_.find(view(key));
        if (!v) return MC_ERR_NOT_FOUND;
        const std::string text = v->dump();
        return out && out->write ? out->write(out->ctx, str(text)) : MC_ERR_INVALID_ARGUMENT;
    }
    static std::int64_t apiNow(mc_host* h) { return from(h)->clock_->now(); }
    static std::int64_t apiMonotonic(mc_host*) {
        return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }
    // No I/O thread here: the plugin waits its own way, as it does on any thread but the host's.
    static mc_status apiWatchReadable(mc_host*, int, std::int64_t, void (*)(void*, int), void*) { return MC_ERR_UNSUPPORTED; }
    static mc_status beyondWatchReadable(mc_host* h, int, std::int64_t, void (*)(void*, int), void*) {
        from(h)->violation("mc_host_api.watch_readable read beyond struct_size");
        return MC_ERR_UNSUPPORTED;
    }
    static void beyondLog(mc_host* h, mc_log_level, mc_str) { from(h)->violation("mc_host_api.log read beyond struct_size"); }
    static void beyondSetError(mc_host* h, mc_str) { from(h)->violation("mc_host_api.set_error read beyond struct_size"); }
    static void beyondReportStatus(mc_host* h, mc_component_status, mc_str) {
        from(h)->violation("mc_host_api.report_status read beyond struct_size");
    }
    static mc_status beyondConfigGet(mc_host* h, mc_str, mc_sink*) {
        from(h)->violation("mc_host_api.config_get read beyond struct_size");
        return MC_ERR_UNSUPPORTED;
    }
    static std::int64_t beyondNow(mc_host* h) {
        from(h)->violation("mc_host_api.now_unix_us read beyond struct_size");
        return 0;
    }
    static std::int64_t beyondMonotonic(mc_host* h) {
        from(h)->violation("mc_host_api.monotonic_us read beyond struct_size");
        return 0;
    }

    // ---- mc_discovery_output
    void installOutput(std::size_t size, bool afterCreate) {
        auto& o = *output_;
        o.struct_size = size;
        o.ctx = this;
        const auto fits = [&](std::size_t end) { return !afterCreate && size >= end; };
        o.found = fits(offsetof(mc_discovery_output, found) + sizeof o.found) ? &outFound
                  : afterCreate ? &staleFound : &beyondFound;
        o.lost = fits(offsetof(mc_discovery_output, lost) + sizeof o.lost) ? &outLost
                 : afterCreate ? &staleLost : &beyondLost;
        o.scan_complete = fits(offsetof(mc_discovery_output, scan_complete) + sizeof o.scan_complete) ? &outScan
                          : afterCreate ? &staleScan : &beyondScan;
    }
    bool enterOutput(const char* which) {
        if (stopped_.load()) violation(std::string(which) + " after stop returned");
        if (inOutput_.fetch_add(1) != 0) violation(std::string(which) + " while another discovery output call runs");
        return true;
    }
    void leaveOutput() { inOutput_.fetch_sub(1); }
    static void outFound(void* ctx, const mc_found_server* s) {
        auto* i = fromCtx(ctx);
        i->enterOutput("found");
        if (!s) {
            i->violation("found(NULL)");
        } else {
            const auto server = detail::copyPrefix<mc_found_server>(s, sizeof(mc_found_server));
            FoundRecord r{std::string(view(server.key)), std::string(view(server.name)), std::string(view(server.server_json)),
                          std::string(view(server.details_json)), server.connectable != 0, std::string(view(server.reason)),
                          i->clock_->now()};
            if (r.key.empty()) i->violation("found() without a key");
            if (!r.serverJson.empty()) {
                try {
                    if (!json::parse(r.serverJson).isObject()) i->violation("found(" + r.key + "): server_json is not an object");
                } catch (const json::ParseError& e) {
                    i->violation("found(" + r.key + "): server_json " + e.what());
                }
            }
            i->journal_.record([&] {
                i->servers_[r.key] = r;
                i->events_.push_back({DiscoveryEvent::Found, r, r.key, 0});
            });
        }
        i->leaveOutput();
    }
    static void outLost(void* ctx, mc_str key) {
        auto* i = fromCtx(ctx);
        i->enterOutput("lost");
        const std::string k(view(key));
        i->journal_.record([&] {
            i->servers_.erase(k);
            i->events_.push_back({DiscoveryEvent::Lost, {}, k, 0});
        });
        i->leaveOutput();
    }
    static void outScan(void* ctx, std::int64_t startedUs) {
        auto* i = fromCtx(ctx);
        i->enterOutput("scan_complete");
        i->journal_.record([&] {
            for (auto it = i->servers_.begin(); it != i->servers_.end();)
                it = it->second.atUnixUs < startedUs ? i->servers_.erase(it) : std::next(it);
            ++i->scans_;
            i->events_.push_back({DiscoveryEvent::ScanComplete, {}, {}, startedUs});
        });
        i->leaveOutput();
    }
    static void beyondFound(void* ctx, const mc_found_server*) { fromCtx(ctx)->violation("found called beyond the output's struct_size"); }
    static void beyondLost(void* ctx, mc_str) { fromCtx(ctx)->violation("lost called beyond the output's struct_size"); }
    static void beyondScan(void* ctx, std::int64_t) { fromCtx(ctx)->violation("scan_complete called beyond the output's struct_size"); }
    static void staleFound(void* ctx, const mc_found_server*) {
        fromCtx(ctx)->violation("found through the output struct after create returned (copy it)");
    }
    static void staleLost(void* ctx, mc_str) { fromCtx(ctx)->violation("lost through the output struct after create returned (copy it)"); }
    static void staleScan(void* ctx, std::int64_t) {
        fromCtx(ctx)->violation("scan_complete through the output struct after create returned (copy it)");
    }

    // ---- mc_receiver_output
    static mc_status outSubmit(void* ctx, const mc_record* records, std::size_t count, std::size_t recordSize,
                               mc_submit_done_fn done, void* doneCtx) {
        auto* i = fromCtx(ctx);
        if (i->stopped_.load()) i->violation("submit after stop returned");
        if (!done) i->violation("submit without a done callback");
        if ((count && !records) || recordSize < sizeof(mc_record)) {
            i->violation("submit with NULL records or a record_size below ABI 2.0's mc_record");
            return MC_ERR_INVALID_ARGUMENT;
        }
        std::vector<SubmittedRecord> batch;
        const char* base = reinterpret_cast<const char*>(records);
        for (std::size_t k = 0; k < count; ++k) {
            const auto r = detail::copyPrefix<mc_record>(base + k * recordSize, sizeof(mc_record));
            SubmittedRecord out{std::string(view(r.kind)), std::string(view(r.id)), {}};
            if (out.kind.empty()) i->violation("a submitted record has no kind");
            if (r.value_count && !r.values) i->violation("a submitted record has value_count but no values");
            for (std::size_t v = 0; r.values && v < r.value_count; ++v) {
                const mc_value& value = r.values[v];
                if (value.type < MC_VALUE_NULL || value.type > MC_VALUE_TEXT) i->violation("a submitted value has an invalid type");
                out.values.push_back(SubmittedValue{value.type, value.integer, value.real, std::string(view(value.text)),
                                                    r.present ? r.present[v] != 0 : false});
            }
            batch.push_back(std::move(out));
        }
        const mc_status outcome = i->submitStatus_.load();
        const long rejectIndex = i->submitRejectIndex_.load();
        std::string result = "{\"accepted\":";
        std::size_t accepted = 0;
        i->journal_.record([&] {
            ++i->submitBatches_;
            if (outcome != MC_OK) return;
            for (std::size_t k = 0; k < batch.size(); ++k) {
                if (static_cast<long>(k) == rejectIndex) continue;
                i->submitted_.push_back(batch[k]);
                ++accepted;
            }
        });
        result += std::to_string(accepted) + ",\"rejected\":[";
        if (outcome == MC_OK && rejectIndex >= 0 && static_cast<std::size_t>(rejectIndex) < count)
            result += "{\"index\":" + std::to_string(rejectIndex) + ",\"reason\":\"rejected by the fake host\"}";
        result += "]}";
        if (done) done(doneCtx, outcome, str(outcome == MC_OK ? std::string_view(result) : std::string_view()));
        return MC_OK;
    }
    static mc_status staleSubmit(void* ctx, const mc_record*, std::size_t, std::size_t, mc_submit_done_fn, void*) {
        fromCtx(ctx)->violation("submit through the output struct after create returned (copy it)");
        return MC_ERR_UNAVAILABLE;
    }

    // ---- mc_bus_output
    static void outMessage(void* ctx, const mc_bus_message* message) {
        auto* i = fromCtx(ctx);
        if (i->stopped_.load()) i->violation("bus message after stop returned");
        if (!message || message->struct_size < sizeof(mc_bus_message)) {
            i->violation("bus message NULL or smaller than ABI 2.3's mc_bus_message");
            return;
        }
        i->journal_.record([&] {
            if (message->subscription == 0 || i->ended_.count(message->subscription))
                i->violation("bus message for subscription " + std::to_string(message->subscription) +
                             ", which the host does not have");
            i->busMessages_.push_back(BusMessageRecord{message->subscription, std::string(view(message->subject)),
                                                       std::string(view(message->reply_to)), std::string(view(message->payload))});
        });
    }
    static void outEntry(void* ctx, std::uint64_t seq, mc_str payload) {
        auto* i = fromCtx(ctx);
        if (i->stopped_.load()) i->violation("bus entry after stop returned");
        if (i->inEntry_.exchange(true)) i->violation("bus entry calls overlap");
        i->journal_.record([&] {
            if (!i->busEntries_.empty() && seq <= i->busEntries_.back().seq)
                i->violation("bus entry seq " + std::to_string(seq) + " after " + std::to_string(i->busEntries_.back().seq));
            i->busEntries_.push_back(BusEntryRecord{seq, std::string(view(payload))});
        });
        i->inEntry_ = false;
    }
    static void staleMessage(void* ctx, const mc_bus_message*) {
        fromCtx(ctx)->violation("bus message through the output struct after create returned (copy it)");
    }
    static void staleEntry(void* ctx, std::uint64_t, mc_str) {
        fromCtx(ctx)->violation("bus entry through the output struct after create returned (copy it)");
    }

    std::shared_ptr<detail::Library> library_; // keeps the plugin loaded while the instance lives
    std::shared_ptr<detail::Clock> clock_;
    mc_plugin_kind kind_ = MC_KIND_INVALID;
    Vtables vt_{};
    mc_host_api api_{};
    std::unique_ptr<mc_discovery_output> output_;
    std::unique_ptr<mc_receiver_output> receiverOutput_;
    std::unique_ptr<mc_bus_output> busOutput_;
    std::atomic<bool> inEntry_{false};
    std::set<std::uint64_t> ended_; // unsubscribed (journal-guarded)
    std::vector<BusEntryRecord> busEntries_;
    std::vector<BusMessageRecord> busMessages_;
    std::atomic<mc_status> submitStatus_{MC_OK};
    std::atomic<long> submitRejectIndex_{-1};
    std::mutex repliesMutex_;
    std::vector<std::shared_ptr<PendingReply>> replies_;
    json::Value config_;
    std::string configJson_;
    mc_instance* handle_ = nullptr;
    Call created_;
    bool started_ = false;
    std::atomic<bool> stopped_{false};
    std::atomic<int> inOutput_{0};

    std::mutex connectionsMutex_;
    std::vector<Connection*> connections_;

    detail::Journal journal_;
    std::vector<LogLine> logs_;
    std::vector<StatusReport> statuses_;
    std::vector<std::string> errors_;
    mutable std::vector<std::string> violations_;
    std::vector<DiscoveryEvent> events_;
    std::map<std::string, FoundRecord> servers_;
    std::size_t scans_ = 0;
    std::vector<SubmittedRecord> submitted_;
    std::size_t submitBatches_ = 0;
};

inline std::unique_ptr<Instance> FakeHost::create(const Properties& props, const Options& options) const {
    std::unique_ptr<Instance> instance(new Instance());
    instance->init(*this, props, options);
    return instance;
}

inline Call Connection::send(std::string_view message) {
    if (!handle_ || released_.load()) return Call{MC_ERR_UNAVAILABLE, "the connection is not open", {}};
    if (!owner_) return Call{MC_ERR_UNAVAILABLE, "the instance is gone", {}};
    return owner_->hook([&] { return vtable_.send(handle_, str(message)); }, this);
}

inline void Connection::close() {
    if (!handle_) return;
    mc_connection* handle = handle_;
    handle_ = nullptr;
    if (owner_) owner_->forget(this);
    {
        detail::FrameScope scope(owner_, this);
        vtable_.close_connection(handle);
    }
    released_ = true;
}

} // namespace mc::sdk::test
