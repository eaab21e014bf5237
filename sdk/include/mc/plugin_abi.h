/*
 * Mission Control plugin ABI.
 *
 * The one contract between the host and a plugin shared library. Pure C, standard headers only, so a
 * plugin may be written in any language that can export a C symbol. Rules that keep it stable:
 *
 *  - Only C types cross: strings as {ptr,len} UTF-8 (`mc_str`, never NUL-terminated by contract),
 *    structured payloads as JSON text, status enums where 0 is invalid.
 *  - Every struct that may grow starts with `struct_size`; fields are only ever appended. The reader
 *    trusts no more than min(struct_size, what it knows) and treats absent fields as NULL.
 *  - Memory is never freed across the boundary. Data handed to a callee is borrowed for the duration
 *    of the call; data that must flow back is pushed through an `mc_sink`, which copies it.
 *  - ABI version = major.minor. A different major is refused; so is a plugin built against a newer
 *    minor than the host knows (it may rely on host fields the host does not have).
 *
 * Naming: `mc_host_api` holds callbacks the host implements; each `mc_*_vtable` holds hooks the plugin
 * implements. `mc_host` is owned by the host, `mc_instance` by the plugin.
 */
#ifndef MC_PLUGIN_ABI_H
#define MC_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MC_ABI_MAJOR 1
#define MC_ABI_MINOR 0

/* The single symbol every plugin exports. */
#define MC_PLUGIN_ENTRY_SYMBOL "mc_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define MC_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define MC_PLUGIN_EXPORT
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Basic types                                                                                     */

/* UTF-8 text; `ptr` may be NULL only when `len` is 0. */
typedef struct mc_str {
    const char* ptr;
    size_t len;
} mc_str;

typedef enum mc_status {
    MC_STATUS_INVALID = 0,
    MC_OK = 1,
    MC_ERR_CONFIG = 2,           /* configuration is missing or invalid */
    MC_ERR_IO = 3,               /* network, file or database I/O failed */
    MC_ERR_UNSUPPORTED = 4,      /* the operation or query is not implemented by this plugin */
    MC_ERR_INTERNAL = 5,         /* a bug or an unexpected exception inside the plugin */
    MC_ERR_NOT_FOUND = 6,        /* the named thing does not exist */
    MC_ERR_CONFLICT = 7,         /* the operation conflicts with existing state */
    MC_ERR_UNAVAILABLE = 8,      /* temporarily unavailable (down, overloaded); retry later */
    MC_ERR_TIMEOUT = 9,
    MC_ERR_INVALID_ARGUMENT = 10 /* malformed input from the caller */
} mc_status;

typedef enum mc_plugin_kind {
    MC_KIND_INVALID = 0,
    MC_KIND_TRANSPORT = 1, /* speaks MCP JSON-RPC to servers over some transport */
    MC_KIND_DISCOVERY = 2, /* finds MCP servers */
    MC_KIND_STORE = 3      /* persists events and answers queries */
} mc_plugin_kind;

typedef enum mc_log_level {
    MC_LOG_INVALID = 0,
    MC_LOG_TRACE = 1,
    MC_LOG_DEBUG = 2,
    MC_LOG_INFO = 3,
    MC_LOG_WARN = 4,
    MC_LOG_ERROR = 5
} mc_log_level;

/* A byte sink owned by the caller. The callee may call `write` any number of times; each chunk is
 * copied before `write` returns. A status other than MC_OK asks the callee to stop producing. */
typedef struct mc_sink {
    void* ctx;
    mc_status (*write)(void* ctx, mc_str chunk);
} mc_sink;

/* ---------------------------------------------------------------------------------------------- */
/* Configuration keys a plugin declares: the single source of its keys, defaults and help text.    */

typedef enum mc_config_type {
    MC_CONFIG_INVALID = 0,
    MC_CONFIG_STRING = 1,
    MC_CONFIG_INT = 2,
    MC_CONFIG_BOOL = 3,
    MC_CONFIG_DOUBLE = 4
} mc_config_type;

typedef struct mc_config_key {
    mc_str name;          /* relative to the plugin's configuration prefix, e.g. "path" */
    mc_config_type type;
    mc_str default_value; /* len 0: no default */
    int required;         /* non-zero: start-up fails when the key is absent and has no default */
    mc_str description;
} mc_config_key;

/* ---------------------------------------------------------------------------------------------- */
/* Host API: callbacks the host implements, handed to every plugin instance.                        */

typedef struct mc_host mc_host; /* opaque; one per plugin instance; owned by the host */

typedef struct mc_host_api {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Writes to the instance's named logger ("<plugin-id>/<instance>"). Thread-safe. */
    void (*log)(mc_host* host, mc_log_level level, mc_str message);

    /* Publishes an event into the core broadcaster. `type` names the event ("log", "thread", ...);
     * the host routes it to channels by type and payload. `payload_json` must be a JSON object.
     * Thread-safe; never blocks on subscribers. */
    mc_status (*emit)(mc_host* host, mc_str type, mc_str payload_json);

    /* Reads one key of the instance's configuration (relative to its prefix, defaults applied).
     * Writes the value to `out`; MC_ERR_NOT_FOUND when the key is unset and has no default. */
    mc_status (*config_get)(mc_host* host, mc_str key, mc_sink* out);

    /* Records a human-readable reason for the failure the current call is about to return.
     * Call it on the thread that made the call, before returning a status other than MC_OK. */
    void (*set_error)(mc_host* host, mc_str message);

    int64_t (*now_unix_us)(mc_host* host);   /* wall clock, microseconds since the Unix epoch */
    int64_t (*monotonic_us)(mc_host* host);  /* for durations */
} mc_host_api;

/* ---------------------------------------------------------------------------------------------- */
/* Plugin side. Every vtable starts with the same lifecycle hooks.                                 */

typedef struct mc_instance mc_instance; /* opaque; owned by the plugin */

/* `config_json` is a JSON object with the instance's configuration (prefix stripped, defaults
 * applied). `api` and `host` stay valid until `destroy` returns. */
typedef mc_status (*mc_create_fn)(const mc_host_api* api, mc_host* host, mc_str config_json,
                                  mc_instance** out_instance);
typedef mc_status (*mc_start_fn)(mc_instance* instance);
typedef mc_status (*mc_stop_fn)(mc_instance* instance);
typedef void (*mc_destroy_fn)(mc_instance* instance);

#define MC_LIFECYCLE_HOOKS  \
    mc_create_fn create;   /* required */ \
    mc_start_fn start;     /* optional */ \
    mc_stop_fn stop;       /* optional */ \
    mc_destroy_fn destroy  /* required */

/* Store: persists events and answers named queries. One instance is active at a time. */
typedef struct mc_store_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS;

    /* SQL dialect of the migrations the host applies ("sqlite", "postgres"). Required. */
    mc_str (*dialect)(mc_instance* instance);

    /* Highest applied migration version, 0 for an empty database. Creates the bookkeeping table
     * (schema_migrations) if it is missing. Required. */
    mc_status (*schema_version)(mc_instance* instance, int64_t* out_version);

    /* Applies one migration and records it in schema_migrations, atomically. Required. */
    mc_status (*apply_migration)(mc_instance* instance, int64_t version, mc_str name, mc_str sql);

    /* Persists a batch: `records_json` is a JSON array of records of `kind` ("log", "thread", ...).
     * Writes a JSON object describing the outcome per record to `result`. Required. */
    mc_status (*write)(mc_instance* instance, mc_str kind, mc_str records_json, mc_sink* result);

    /* Runs a named query with JSON parameters; streams the result as JSON text to `rows` (so large
     * exports need not be buffered). MC_ERR_UNSUPPORTED for an unknown name. Required. */
    mc_status (*query)(mc_instance* instance, mc_str name, mc_str params_json, mc_sink* rows);

    /* Writes a JSON object with at least {"ok": bool}. Must not block for long. Required. */
    mc_status (*health)(mc_instance* instance, mc_sink* status_json);
} mc_store_vtable;

/* Transport: one instance is one connection to one MCP server; it moves JSON-RPC messages. */
typedef struct mc_transport_callbacks {
    size_t struct_size;
    void* ctx;
    void (*on_message)(void* ctx, mc_str jsonrpc_message);          /* one complete message */
    void (*on_log)(void* ctx, mc_log_level level, mc_str line);     /* e.g. a server stderr line */
    void (*on_closed)(void* ctx, mc_status reason, mc_str detail);  /* the connection ended */
} mc_transport_callbacks;

typedef struct mc_transport_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS;
    /* Comma-separated transport names this plugin serves, e.g. "stdio" or "http,sse". Required. */
    mc_str (*transports)(void);
    /* Opens the connection; callbacks stay valid until `close` returns. Required. */
    mc_status (*open)(mc_instance* instance, const mc_transport_callbacks* callbacks);
    /* Sends one JSON-RPC message. Thread-safe. Required. */
    mc_status (*send)(mc_instance* instance, mc_str jsonrpc_message);
    /* Closes the connection; no callback is made after it returns. Required. */
    mc_status (*close)(mc_instance* instance);
} mc_transport_vtable;

/* Discovery: finds MCP servers and reports them with host->emit("discovery", {...}). */
typedef struct mc_discovery_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS;
    /* Asks for an immediate re-scan. Optional. */
    mc_status (*refresh)(mc_instance* instance);
} mc_discovery_vtable;

/* ---------------------------------------------------------------------------------------------- */
/* The descriptor returned by the entry symbol. Static storage in the plugin.                      */

typedef struct mc_plugin_descriptor {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    mc_plugin_kind kind;
    mc_str id;          /* unique, [a-z0-9-]+, e.g. "store-sqlite" */
    mc_str version;     /* the plugin's own version, e.g. "1.2.0" */
    mc_str description;
    const void* vtable; /* mc_store_vtable, mc_transport_vtable or mc_discovery_vtable */
    size_t vtable_size; /* sizeof the vtable the plugin was built with */
    const mc_config_key* config_keys;
    size_t config_key_count;
} mc_plugin_descriptor;

typedef const mc_plugin_descriptor* (*mc_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MC_PLUGIN_ABI_H */
