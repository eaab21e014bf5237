// Mission Control plugin SDK: a header-only C++ layer over plugin_abi.h.
//
// It is compiled into each plugin, so no std:: type, exception or allocation ever crosses the C
// boundary: every trampoline below is an exception barrier that turns a C++ exception into an
// mc_status plus a reason recorded through mc_host_api::set_error.
//
// A plugin derives from StorePlugin, TransportPlugin or DiscoveryPlugin and declares itself once:
//
//     static const mc_config_key kKeys[] = {
//         mc::sdk::configKey("path", MC_CONFIG_STRING, "data.db", "Database file"),
//     };
//     MC_DECLARE_STORE_PLUGIN(MyStore, "store-mine", "1.0.0", "What it does", kKeys)
//
// A plugin without configuration keys uses the _NO_CONFIG form (a zero-length array is not C++):
//
//     MC_DECLARE_DISCOVERY_PLUGIN_NO_CONFIG(MyDiscovery, "discovery-mine", "1.0.0", "What it does")
#pragma once

#include "mc/plugin_abi.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace mc::sdk {

inline mc_str str(std::string_view s) noexcept { return mc_str{s.data(), s.size()}; }
inline std::string_view view(mc_str s) noexcept {
    return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

// Builds a config key entry from string literals (the storage is static).
template <std::size_t N, std::size_t D, std::size_t H>
constexpr mc_config_key configKey(const char (&name)[N], mc_config_type type, const char (&def)[D],
                                  const char (&help)[H], bool required = false) {
    return mc_config_key{mc_str{name, N - 1}, type, mc_str{def, D - 1}, required ? 1 : 0,
                         mc_str{help, H - 1}};
}

// Throw this from a plugin to return a specific status with a reason.
class Error : public std::runtime_error {
public:
    Error(mc_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    mc_status status() const noexcept { return status_; }

private:
    mc_status status_;
};

// The host as seen from one plugin instance.
class Host {
public:
    Host(const mc_host_api* api, mc_host* host) noexcept : api_(api), host_(host) {}

    void log(mc_log_level level, std::string_view message) const noexcept {
        if (api_ && api_->log) api_->log(host_, level, str(message));
    }
    void debug(std::string_view m) const noexcept { log(MC_LOG_DEBUG, m); }
    void info(std::string_view m) const noexcept { log(MC_LOG_INFO, m); }
    void warn(std::string_view m) const noexcept { log(MC_LOG_WARN, m); }
    void error(std::string_view m) const noexcept { log(MC_LOG_ERROR, m); }

    // Publishes an event (a JSON object) into the host's broadcaster.
    mc_status emit(std::string_view type, std::string_view payloadJson) const noexcept {
        return api_ && api_->emit ? api_->emit(host_, str(type), str(payloadJson)) : MC_ERR_UNSUPPORTED;
    }

    // A key of this instance's configuration (defaults applied), or nullopt when unset.
    std::optional<std::string> config(std::string_view key) const {
        if (!api_ || !api_->config_get) return std::nullopt;
        std::string value;
        mc_sink sink{&value, &appendTo};
        if (api_->config_get(host_, str(key), &sink) != MC_OK) return std::nullopt;
        return value;
    }
    std::string configString(std::string_view key, std::string_view fallback = {}) const {
        auto v = config(key);
        return v ? *v : std::string(fallback);
    }
    std::int64_t configInt(std::string_view key, std::int64_t fallback) const {
        auto v = config(key);
        if (!v || v->empty()) return fallback;
        try {
            std::size_t used = 0;
            long long parsed = std::stoll(*v, &used);
            if (used != v->size()) throw std::invalid_argument("trailing characters");
            return parsed;
        } catch (const std::exception&) {
            throw Error(MC_ERR_CONFIG, "configuration key '" + std::string(key) + "' = '" + *v +
                                           "' is not an integer");
        }
    }
    bool configBool(std::string_view key, bool fallback) const {
        auto v = config(key);
        if (!v || v->empty()) return fallback;
        if (*v == "true" || *v == "yes" || *v == "on" || *v == "1") return true;
        if (*v == "false" || *v == "no" || *v == "off" || *v == "0") return false;
        throw Error(MC_ERR_CONFIG, "configuration key '" + std::string(key) + "' = '" + *v +
                                       "' is not a boolean");
    }

    std::int64_t nowUnixUs() const noexcept { return api_ && api_->now_unix_us ? api_->now_unix_us(host_) : 0; }
    std::int64_t monotonicUs() const noexcept { return api_ && api_->monotonic_us ? api_->monotonic_us(host_) : 0; }

    void setError(std::string_view message) const noexcept {
        if (api_ && api_->set_error) api_->set_error(host_, str(message));
    }

    static mc_status appendTo(void* ctx, mc_str chunk) noexcept {
        try {
            static_cast<std::string*>(ctx)->append(view(chunk));
            return MC_OK;
        } catch (...) {
            return MC_ERR_INTERNAL;
        }
    }

private:
    const mc_host_api* api_;
    mc_host* host_;
};

// Output towards the host (a caller-owned mc_sink).
class Sink {
public:
    explicit Sink(mc_sink* sink) noexcept : sink_(sink) {}
    // Returns false when the host asked to stop (e.g. the client went away).
    bool write(std::string_view chunk) const noexcept {
        return sink_ && sink_->write && sink_->write(sink_->ctx, str(chunk)) == MC_OK;
    }

private:
    mc_sink* sink_;
};

class PluginBase {
public:
    PluginBase(Host host, std::string_view configJson) : host_(host), configJson_(configJson) {}
    virtual ~PluginBase() = default;
    PluginBase(const PluginBase&) = delete;
    PluginBase& operator=(const PluginBase&) = delete;

    virtual void start() {}
    virtual void stop() {}

    const Host& host() const noexcept { return host_; }
    const std::string& configJson() const noexcept { return configJson_; }

private:
    Host host_;
    std::string configJson_;
};

class StorePlugin : public PluginBase {
public:
    using PluginBase::PluginBase;
    virtual std::string dialect() const = 0;
    virtual std::int64_t schemaVersion() = 0;
    virtual void applyMigration(std::int64_t version, std::string_view name, std::string_view sql) = 0;
    virtual void write(std::string_view kind, std::string_view recordsJson, Sink& result) = 0;
    virtual void query(std::string_view name, std::string_view paramsJson, Sink& rows) = 0;
    virtual void health(Sink& statusJson) = 0;
};

class DiscoveryPlugin : public PluginBase {
public:
    using PluginBase::PluginBase;
    virtual void refresh() {}
};

// What a transport reports back to the host's gateway.
class TransportEvents {
public:
    TransportEvents() = default;
    explicit TransportEvents(const mc_transport_callbacks* cb) noexcept : cb_(cb) {}
    void message(std::string_view json) const noexcept {
        if (has(offsetof(mc_transport_callbacks, on_message)) && cb_->on_message) cb_->on_message(cb_->ctx, str(json));
    }
    void log(mc_log_level level, std::string_view line) const noexcept {
        if (has(offsetof(mc_transport_callbacks, on_log)) && cb_->on_log) cb_->on_log(cb_->ctx, level, str(line));
    }
    void closed(mc_status reason, std::string_view detail) const noexcept {
        if (has(offsetof(mc_transport_callbacks, on_closed)) && cb_->on_closed) cb_->on_closed(cb_->ctx, reason, str(detail));
    }

private:
    bool has(std::size_t offset) const noexcept { return cb_ && cb_->struct_size >= offset + sizeof(void*); }
    const mc_transport_callbacks* cb_ = nullptr;
};

class TransportPlugin : public PluginBase {
public:
    using PluginBase::PluginBase;
    virtual void open(TransportEvents events) = 0;
    virtual void send(std::string_view jsonrpcMessage) = 0;
    virtual void close() = 0;
};

namespace detail {

// The host-side handle the plugin instance lives in; mc_instance* points at one of these.
template <class T>
struct Instance {
    Host host;
    std::unique_ptr<T> impl;
    std::string scratch; // keeps strings returned by value alive for the host (e.g. dialect)
};

template <class T>
Instance<T>* self(mc_instance* p) noexcept { return reinterpret_cast<Instance<T>*>(p); }

// The exception barrier every trampoline goes through.
template <class F>
mc_status guard(const Host& host, F&& body) noexcept {
    try {
        body();
        return MC_OK;
    } catch (const Error& e) {
        host.setError(e.what());
        return e.status() == MC_STATUS_INVALID || e.status() == MC_OK ? MC_ERR_INTERNAL : e.status();
    } catch (const std::exception& e) {
        host.setError(e.what());
        return MC_ERR_INTERNAL;
    } catch (...) {
        host.setError("unknown exception in plugin");
        return MC_ERR_INTERNAL;
    }
}

template <class T>
struct Lifecycle {
    static mc_status create(const mc_host_api* api, mc_host* host, mc_str config, mc_instance** out) noexcept {
        Host h(api, host);
        if (!out) return MC_ERR_INVALID_ARGUMENT;
        *out = nullptr;
        return guard(h, [&] {
            auto inst = std::make_unique<Instance<T>>(Instance<T>{h, nullptr, {}});
            inst->impl = std::make_unique<T>(h, view(config));
            *out = reinterpret_cast<mc_instance*>(inst.release());
        });
    }
    static mc_status start(mc_instance* p) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->start(); });
    }
    static mc_status stop(mc_instance* p) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->stop(); });
    }
    static void destroy(mc_instance* p) noexcept {
        auto* s = self<T>(p);
        const Host host = s->host; // the barrier must not read the instance it is deleting
        guard(host, [&] { delete s; });
    }
};

template <class T>
struct StoreAdapter : Lifecycle<T> {
    static mc_str dialect(mc_instance* p) noexcept {
        auto* s = self<T>(p);
        if (guard(s->host, [&] { s->scratch = s->impl->dialect(); }) != MC_OK) return mc_str{nullptr, 0};
        return str(s->scratch);
    }
    static mc_status schemaVersion(mc_instance* p, std::int64_t* out) noexcept {
        auto* s = self<T>(p);
        if (!out) return MC_ERR_INVALID_ARGUMENT;
        return guard(s->host, [&] { *out = s->impl->schemaVersion(); });
    }
    static mc_status applyMigration(mc_instance* p, std::int64_t version, mc_str name, mc_str sql) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->applyMigration(version, view(name), view(sql)); });
    }
    static mc_status write(mc_instance* p, mc_str kind, mc_str records, mc_sink* result) noexcept {
        auto* s = self<T>(p);
        Sink sink(result);
        return guard(s->host, [&] { s->impl->write(view(kind), view(records), sink); });
    }
    static mc_status query(mc_instance* p, mc_str name, mc_str params, mc_sink* rows) noexcept {
        auto* s = self<T>(p);
        Sink sink(rows);
        return guard(s->host, [&] { s->impl->query(view(name), view(params), sink); });
    }
    static mc_status health(mc_instance* p, mc_sink* out) noexcept {
        auto* s = self<T>(p);
        Sink sink(out);
        return guard(s->host, [&] { s->impl->health(sink); });
    }
    static constexpr mc_store_vtable vtable{sizeof(mc_store_vtable),
                                            &Lifecycle<T>::create,
                                            &Lifecycle<T>::start,
                                            &Lifecycle<T>::stop,
                                            &Lifecycle<T>::destroy,
                                            &dialect,
                                            &schemaVersion,
                                            &applyMigration,
                                            &write,
                                            &query,
                                            &health};
};

template <class T>
struct DiscoveryAdapter : Lifecycle<T> {
    static mc_status refresh(mc_instance* p) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->refresh(); });
    }
    static constexpr mc_discovery_vtable vtable{sizeof(mc_discovery_vtable), &Lifecycle<T>::create,
                                                &Lifecycle<T>::start, &Lifecycle<T>::stop,
                                                &Lifecycle<T>::destroy, &refresh};
};

template <class T>
struct TransportAdapter : Lifecycle<T> {
    static mc_str transports() noexcept { return str(T::kTransports); }
    static mc_status open(mc_instance* p, const mc_transport_callbacks* cb) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->open(TransportEvents(cb)); });
    }
    static mc_status send(mc_instance* p, mc_str message) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->send(view(message)); });
    }
    static mc_status close(mc_instance* p) noexcept {
        auto* s = self<T>(p);
        return guard(s->host, [&] { s->impl->close(); });
    }
    static constexpr mc_transport_vtable vtable{sizeof(mc_transport_vtable), &Lifecycle<T>::create,
                                                &Lifecycle<T>::start, &Lifecycle<T>::stop,
                                                &Lifecycle<T>::destroy, &transports, &open, &send, &close};
};

template <std::size_t N>
constexpr mc_str literal(const char (&s)[N]) { return mc_str{s, N - 1}; }

} // namespace detail
} // namespace mc::sdk

// Declares the plugin's entry symbol. KEYS is a static array of mc_config_key (see configKey).
#define MC_SDK_DECLARE_PLUGIN_(KIND, ADAPTER, VTABLE_TYPE, ID, VERSION, DESCRIPTION, KEYS_PTR, KEYS_COUNT) \
    extern "C" MC_PLUGIN_EXPORT const mc_plugin_descriptor* mc_plugin_entry(void) {                      \
        static const mc_plugin_descriptor descriptor{sizeof(mc_plugin_descriptor),                      \
                                                     MC_ABI_MAJOR,                                      \
                                                     MC_ABI_MINOR,                                      \
                                                     KIND,                                              \
                                                     ::mc::sdk::detail::literal(ID),                    \
                                                     ::mc::sdk::detail::literal(VERSION),               \
                                                     ::mc::sdk::detail::literal(DESCRIPTION),           \
                                                     &ADAPTER::vtable,                                  \
                                                     sizeof(VTABLE_TYPE),                               \
                                                     KEYS_PTR,                                          \
                                                     KEYS_COUNT};                                       \
        return &descriptor;                                                                             \
    }

#define MC_DECLARE_STORE_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, KEYS)                                  \
    MC_SDK_DECLARE_PLUGIN_(MC_KIND_STORE, ::mc::sdk::detail::StoreAdapter<CLASS>, mc_store_vtable, ID,  \
                           VERSION, DESCRIPTION, KEYS, sizeof(KEYS) / sizeof(KEYS[0]))
#define MC_DECLARE_DISCOVERY_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, KEYS)                              \
    MC_SDK_DECLARE_PLUGIN_(MC_KIND_DISCOVERY, ::mc::sdk::detail::DiscoveryAdapter<CLASS>,               \
                           mc_discovery_vtable, ID, VERSION, DESCRIPTION, KEYS, sizeof(KEYS) / sizeof(KEYS[0]))
#define MC_DECLARE_TRANSPORT_PLUGIN(CLASS, ID, VERSION, DESCRIPTION, KEYS)                              \
    MC_SDK_DECLARE_PLUGIN_(MC_KIND_TRANSPORT, ::mc::sdk::detail::TransportAdapter<CLASS>,               \
                           mc_transport_vtable, ID, VERSION, DESCRIPTION, KEYS, sizeof(KEYS) / sizeof(KEYS[0]))


// The same for plugins that declare no configuration keys.
#define MC_DECLARE_STORE_PLUGIN_NO_CONFIG(CLASS, ID, VERSION, DESCRIPTION)                              \
    MC_SDK_DECLARE_PLUGIN_(MC_KIND_STORE, ::mc::sdk::detail::StoreAdapter<CLASS>, mc_store_vtable, ID,  \
                           VERSION, DESCRIPTION, nullptr, 0)
#define MC_DECLARE_DISCOVERY_PLUGIN_NO_CONFIG(CLASS, ID, VERSION, DESCRIPTION)                          \
    MC_SDK_DECLARE_PLUGIN_(MC_KIND_DISCOVERY, ::mc::sdk::detail::DiscoveryAdapter<CLASS>,               \
                           mc_discovery_vtable, ID, VERSION, DESCRIPTION, nullptr, 0)
#define MC_DECLARE_TRANSPORT_PLUGIN_NO_CONFIG(CLASS, ID, VERSION, DESCRIPTION)                          \
    MC_SDK_DECLARE_PLUGIN_(MC_KIND_TRANSPORT, ::mc::sdk::detail::TransportAdapter<CLASS>,               \
                           mc_transport_vtable, ID, VERSION, DESCRIPTION, nullptr, 0)
