/*
 * Mission Control plugin ABI, version 2.
 *
 * The one contract between the host and a plugin shared library. Pure C, standard headers only, so a
 * plugin may be written in any language that can export a C symbol.
 *
 * Rules that keep it stable:
 *  - Only C types cross: text as {ptr,len} UTF-8 (`mc_str`, never NUL-terminated by contract),
 *    structured payloads as JSON text, enums where 0 is invalid.
 *  - Every struct that may grow starts with `struct_size`; fields are only ever appended. A reader
 *    trusts no more than min(struct_size, what it knows) and treats absent fields as NULL/0.
 *  - Nothing is freed across the boundary and no hook returns memory it owns. What a callee hands
 *    back goes through an `mc_sink` (the caller's buffer; the callee's bytes are copied before
 *    `write` returns). Objects a plugin creates (`mc_instance`, `mc_connection`) are released by the
 *    plugin's own hook.
 *  - ABI version = major.minor. The host refuses a different major, and a plugin built against a
 *    newer minor than the host knows (it may rely on host fields the host does not have).
 *
 * Every hook states:
 *  OWNERSHIP: who owns each pointer argument and how long it stays valid.
 *  THREAD:    which thread the host calls it on, and what may run concurrently.
 *
 * Shape (the OpenTelemetry Collector's factory + component, Envoy's config_new -> filter_new):
 *  - the entry symbol returns a static descriptor: kind, id, version, the configuration keys the
 *    plugin declares (types, defaults, ranges, choices, help), and the kind's vtable;
 *  - the host creates one instance per configuration (`create`), from the keys under the plugin's
 *    prefix, already checked against the declaration; `start` / `stop` / `destroy` follow;
 *  - per-use objects hang off an instance: a transport instance opens one `mc_connection` per MCP
 *    server (`validate` first, so a bad server definition fails fast with the plugin's message);
 *  - outputs are typed per kind (a discovery instance reports found/lost servers through
 *    `mc_discovery_output`; a transport connection delivers through `mc_connection_callbacks`);
 *  - every instance and connection reports its health in one vocabulary (`mc_component_status`)
 *    through `mc_host_api.report_status`.
 */
#ifndef MC_PLUGIN_ABI_H
#define MC_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MC_ABI_MAJOR 2
#define MC_ABI_MINOR 4 /* 2.1: the receiver kind; 2.2: a connection reports its HTTP exchanges; 2.3: the bus kind;
                          2.4: a plugin waits for a socket on the host's I/O thread */

/* The single symbol every plugin exports: `const mc_plugin_descriptor* mc_plugin_entry(void)`. */
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
    MC_KIND_STORE = 3,     /* persists events and answers queries */
    MC_KIND_RECEIVER = 4,  /* receives telemetry (OTLP) over HTTP and hands the host records (ABI 2.1) */
    MC_KIND_BUS = 5        /* carries what the hosts of a cluster tell each other (ABI 2.3) */
} mc_plugin_kind;

typedef enum mc_log_level {
    MC_LOG_INVALID = 0,
    MC_LOG_TRACE = 1,
    MC_LOG_DEBUG = 2,
    MC_LOG_INFO = 3,
    MC_LOG_WARN = 4,
    MC_LOG_ERROR = 5
} mc_log_level;

/* The health of an instance or a connection: one vocabulary for every plugin, shown in
 * GET /api/plugins, GET /api/health and on the `plugins` and `mcps` channels. The host sets STARTING
 * before `start`, STOPPING before `stop` and STOPPED after it, and PERMANENT_ERROR with the set_error
 * reason when `start` fails; the plugin reports the rest. */
typedef enum mc_component_status {
    MC_COMPONENT_INVALID = 0,
    MC_COMPONENT_STARTING = 1,
    MC_COMPONENT_OK = 2,
    MC_COMPONENT_RECOVERABLE_ERROR = 3, /* not working now; the plugin retries by itself */
    MC_COMPONENT_PERMANENT_ERROR = 4,   /* will not work without a change (configuration, peer) */
    MC_COMPONENT_STOPPING = 5,
    MC_COMPONENT_STOPPED = 6
} mc_component_status;

/* A byte sink owned by the caller.
 * OWNERSHIP: `ctx` is the caller's; each chunk is copied before `write` returns.
 * THREAD:    called only on the thread of the hook that received the sink, before that hook returns.
 * A status other than MC_OK asks the callee to stop producing (and usually to return that status). */
typedef struct mc_sink {
    void* ctx;
    mc_status (*write)(void* ctx, mc_str chunk);
} mc_sink;

/* ---------------------------------------------------------------------------------------------- */
/* Configuration keys a plugin declares: the single source of their types, defaults, ranges, choices
 * and help. The host checks values against them before `create`, prints them in --help-config and
 * /api/plugins, and generates the plugin's README key table and .properties.example from them. */

typedef enum mc_config_type {
    MC_CONFIG_INVALID = 0,
    MC_CONFIG_STRING = 1,
    MC_CONFIG_INT = 2,      /* a 64-bit integer within [min, max] */
    MC_CONFIG_BOOL = 3,     /* true or false (also yes/no, on/off, 1/0; case-insensitive) */
    MC_CONFIG_DOUBLE = 4,   /* a finite number within [min, max] */
    MC_CONFIG_ENUM = 5,     /* one of `choices` (case-insensitive; handed over lower-case) */
    MC_CONFIG_LIST = 6,     /* comma-separated text, items trimmed, empty items dropped */
    MC_CONFIG_OBJECT = 7    /* a subtree of keys (name.<anything>), e.g. headers.<Header-Name> */
} mc_config_type;

typedef enum mc_config_flag {
    MC_CONFIG_REQUIRED = 1u << 0, /* start-up fails when absent (a default makes no sense then) */
    MC_CONFIG_SECRET = 1u << 1,   /* never logged or shown; may be given as ${env:NAME} or ${file:/path} */
    MC_CONFIG_HAS_RANGE = 1u << 2 /* INT/DOUBLE: `min` and `max` apply */
} mc_config_flag;

typedef struct mc_config_key {
    size_t struct_size;
    mc_str name;          /* relative to the instance's prefix, e.g. "shutdown_grace_ms" */
    mc_config_type type;
    uint32_t flags;       /* mc_config_flag bits */
    mc_str default_value; /* len 0: no default */
    double min;           /* with MC_CONFIG_HAS_RANGE */
    double max;
    mc_str choices;       /* ENUM: comma-separated, e.g. "auto-connect,list-only" */
    mc_str description;   /* one sentence of help, shown with the key */
    mc_str example;       /* a typical value for the generated .properties.example, when it should
                             differ from the default (a required key has none); len 0: the default */
} mc_config_key;

/* ---------------------------------------------------------------------------------------------- */
/* Host API: callbacks the host implements, handed to every instance at `create`.                   */

typedef struct mc_host mc_host; /* opaque; one per instance; owned by the host */

typedef struct mc_host_api {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Writes to the instance's logger ("<plugin-id>/<instance>").
     * OWNERSHIP: `message` is borrowed for the call.  THREAD: any. */
    void (*log)(mc_host* host, mc_log_level level, mc_str message);

    /* Records why the hook now returning a status other than MC_OK failed.
     * OWNERSHIP: `message` is copied.  THREAD: the thread of that hook, before it returns. */
    void (*set_error)(mc_host* host, mc_str message);

    /* Reports the instance's health (see mc_component_status). Repeating the same status with another
     * message updates the message. OWNERSHIP: `message` is copied.  THREAD: any; never blocks. */
    void (*report_status)(mc_host* host, mc_component_status status, mc_str message);

    /* Reads one key of the instance's configuration, already checked and defaulted (the same values
     * `create` received). Writes the value to `out` as JSON text, exactly as it appears in
     * `config_json` (a STRING as a quoted JSON string, an INT as a number, a LIST as an array, ...);
     * MC_ERR_NOT_FOUND when unset without a default.
     * OWNERSHIP: `key` borrowed; `out` is the caller's.  THREAD: any. */
    mc_status (*config_get)(mc_host* host, mc_str key, mc_sink* out);

    int64_t (*now_unix_us)(mc_host* host);  /* wall clock, microseconds since the Unix epoch; any thread */
    int64_t (*monotonic_us)(mc_host* host); /* for durations; any thread */

    /* ABI 2.4, optional (absent from an older host's table). Lets plugin code that runs on one of the
     * host's I/O threads (e.g. a transport's `send` for a request an agent made through /mcp) wait for
     * its socket on that thread instead of handing the wait to a thread of its own: the thread that
     * took the agent's request then also takes the server's answer (one thread switch per call less).
     * Asks for exactly one call of ready(ctx, readable) on the calling thread: when `fd` can be read
     * (data, the end of the stream or an error: readable = 1), when `timeout_us` has passed (within
     * the host's tick of about 100 ms; readable = 0) or when the host stops (readable = 0).
     * MC_ERR_UNSUPPORTED when the calling thread is not a host I/O thread, MC_ERR_INVALID_ARGUMENT for
     * a negative fd or no `ready`, MC_ERR_UNAVAILABLE when the thread is stopping or `fd` is watched
     * already: `ready` is then never called and the plugin waits its own way.
     * OWNERSHIP: `fd` stays the plugin's and must stay open until `ready` ran (shutdown(2) ends the
     *            wait sooner: the socket then reads as closed); `ctx` is the plugin's.
     * THREAD:    a host I/O thread (see above). `ready` runs on it and must not block: it reads only
     *            what is there and hands anything longer to its own threads. It may call
     *            watch_readable again and its connection's callbacks. */
    mc_status (*watch_readable)(mc_host* host, int fd, int64_t timeout_us, void (*ready)(void* ctx, int readable), void* ctx);
} mc_host_api;

/* ---------------------------------------------------------------------------------------------- */
/* Lifecycle, shared by every kind.                                                                */

typedef struct mc_instance mc_instance; /* opaque; owned by the plugin from create to destroy */

/* Creates an instance from its configuration: `config_json` is a JSON object of the keys under the
 * instance's prefix (prefix stripped), checked against the declaration and with defaults applied;
 * INT/DOUBLE/BOOL as JSON numbers/booleans, ENUM as a lower-case string, LIST as an array of strings,
 * OBJECT as an object of strings (member names: the rest of each key after "<name>."); an unset key
 * without a default is absent. The host refuses a key under the prefix that the plugin does not
 * declare (a misspelt key fails start-up instead of being ignored). Must not start
 * threads or touch the network: that is `start`'s. A bad value is MC_ERR_CONFIG with set_error naming
 * the key.
 * OWNERSHIP: `api` and `host` stay valid until `destroy` returns; `config_json` and `output` are
 *            borrowed for the call (copy what you keep; `output->ctx` and its functions stay valid
 *            until `destroy` returns); `*out_instance` is the plugin's.
 * THREAD:    the host's main thread; nothing else runs on this instance. */
typedef mc_status (*mc_create_fn)(const mc_host_api* api, mc_host* host, mc_str config_json,
                                  const void* output, mc_instance** out_instance);
/* THREAD: the main thread, after create; no other hook of the instance runs concurrently. */
typedef mc_status (*mc_start_fn)(mc_instance* instance);
/* Stops producing: after it returns no output or callback is made for this instance (connections of
 * a transport are closed by the host before). THREAD: the main thread. */
typedef mc_status (*mc_stop_fn)(mc_instance* instance);
/* Frees the instance. THREAD: the main thread, after stop (or after a failed start/create). */
typedef void (*mc_destroy_fn)(mc_instance* instance);

#define MC_LIFECYCLE_HOOKS                                                    \
    mc_create_fn create;   /* required */                                     \
    mc_start_fn start;     /* optional: nothing to start */                   \
    mc_stop_fn stop;       /* optional: nothing to stop */                    \
    mc_destroy_fn destroy  /* required */

/* ---------------------------------------------------------------------------------------------- */
/* Store: persists records and answers named queries. One instance is active at a time.             */

/* A record the host parsed and normalized once where it entered (mc/records' catalog: kinds and
 * their fields in order), handed to a store without JSON in between (write_records). */
typedef enum mc_value_type {
    MC_VALUE_INVALID = 0,
    MC_VALUE_NULL = 1, /* absent, or null */
    MC_VALUE_INT = 2,  /* `integer` (INTEGER and BOOLEAN fields; booleans are 0 or 1) */
    MC_VALUE_REAL = 3, /* `real` */
    MC_VALUE_TEXT = 4  /* `text` (TEXT; TIMESTAMP as RFC 3339 text; JSON fields as JSON text) */
} mc_value_type;

typedef struct mc_value {
    mc_value_type type;
    int64_t integer;
    double real;
    mc_str text;
} mc_value;

typedef struct mc_record {
    size_t struct_size;
    mc_str kind;            /* a kind of the catalog: "thread", "step", "log", ... */
    mc_str id;
    const mc_value* values; /* one per field of the kind, in the catalog's order ("id" excluded) */
    const uint8_t* present; /* parallel to values: 1 when the submitter set the field (a default is 0) */
    size_t value_count;
} mc_record;

typedef enum mc_lease_op {
    MC_LEASE_INVALID = 0,
    MC_LEASE_ACQUIRE = 1, /* take or renew */
    MC_LEASE_RELEASE = 2,
    MC_LEASE_READ = 3
} mc_lease_op;

typedef struct mc_store_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS; /* `output` at create: NULL */

    /* Writes the SQL dialect of the migrations the host applies ("sqlite", "postgres") to `out`.
     * OWNERSHIP: `out` is the host's.  THREAD: the main thread.  Required. */
    mc_status (*dialect)(mc_instance* instance, mc_sink* out);

    /* Highest applied migration version, 0 for an empty database; creates the bookkeeping table
     * (schema_migrations) if missing. THREAD: the main thread, before any write.  Required. */
    mc_status (*schema_version)(mc_instance* instance, int64_t* out_version);

    /* Applies one migration and records it, atomically. A store several hosts share (a cluster) may
     * find it recorded meanwhile by another host: the same SQL recorded is success, other SQL under
     * the version is MC_ERR_CONFLICT. OWNERSHIP: strings borrowed for the call.
     * THREAD: the main thread, before any write.  Required. */
    mc_status (*apply_migration)(mc_instance* instance, int64_t version, mc_str name, mc_str sql);

    /* Persists a batch: `records_json` is a JSON array of records of `kind` ("log", "thread", ...,
     * or "events": mixed, each with "type"), already validated and normalized by the host (the store
     * keeps only its own constraints). Writes a JSON object with the outcome per record to `result`.
     * OWNERSHIP: strings borrowed for the call; `result` is the host's.
     * THREAD: the host's store writer thread (one at a time).  Required. */
    mc_status (*write)(mc_instance* instance, mc_str kind, mc_str records_json, mc_sink* result);

    /* Runs a named query with JSON parameters and streams the result as JSON text to `rows`.
     * MC_ERR_UNSUPPORTED for an unknown name. OWNERSHIP: as write.
     * THREAD: any host worker thread; queries run concurrently with each other and with write.
     * Required. */
    mc_status (*query)(mc_instance* instance, mc_str name, mc_str params_json, mc_sink* rows);

    /* Writes a JSON object of details (counters, settings in effect) to `details`; the health itself
     * is what the instance last reported with report_status. Must not block for long.
     * THREAD: any.  Optional. */
    mc_status (*describe)(mc_instance* instance, mc_sink* details);

    /* Persists a batch as `write("events", ...)` does, from records the host has already parsed and
     * normalized: `records` is an array of `count` mc_record, `record_size` bytes apart (the host's
     * sizeof(mc_record)). Same transaction, rules and result object as write. MC_ERR_UNSUPPORTED:
     * the host writes JSON through `write` from then on.
     * OWNERSHIP: the records and everything they point to are borrowed for the call.
     * THREAD: the host's store writer thread (one at a time, never beside write).  Optional. */
    mc_status (*write_records)(mc_instance* instance, const mc_record* records, size_t count, size_t record_size,
                               mc_sink* result);

    /* ABI 2.2: retention. Deletes at most `max_rows` records of `kind` (a catalog kind) whose time (its
     * first time field that defaults to now: `timestamp`, a span's `start_time`) is before `before`
     * (RFC 3339 UTC), oldest first, and writes {"deleted":N} to `result`; fewer than `max_rows` means
     * none is left to expire now. A store that keeps such records in time partitions may drop whole
     * partitions instead (N may then exceed `max_rows`) and keep the partition `before` falls in.
     * MC_ERR_INVALID_ARGUMENT for a kind it cannot expire (threads and what belongs to them).
     * OWNERSHIP: borrowed for the call.
     * THREAD: the host's store writer thread, between writes (never beside write).  Optional: a store
     * without it keeps everything. */
    mc_status (*expire)(mc_instance* instance, mc_str kind, mc_str before, size_t max_rows, mc_sink* result);

    /* ABI 2.3: leases, for the hosts of a cluster that share this store (who connects which MCP server).
     * ACQUIRE takes the lease `name` for `holder` for `ttl_ms` when it is free, expired or already the
     * holder's (a renewal); RELEASE gives it up when it is the holder's; READ changes nothing. Time is
     * the database's clock, so the hosts' clocks do not matter. Writes the lease as it stands after:
     * {"name":"...","holder":"..." or null,"expires_in_ms":N} (null and 0 when free).
     * OWNERSHIP: borrowed for the call.  THREAD: any host thread, concurrently.  Optional: a store
     * without it cannot back a cluster. */
    mc_status (*lease)(mc_instance* instance, mc_lease_op op, mc_str name, mc_str holder, int64_t ttl_ms, mc_sink* result);
} mc_store_vtable;

/* ---------------------------------------------------------------------------------------------- */
/* Transport: an instance per configuration (mcp.<transport>.* keys: pools, timeouts, TLS defaults),
 * and on it one connection per MCP server. A connection moves JSON-RPC messages.                  */

typedef struct mc_connection mc_connection; /* opaque; owned by the plugin from open to close */

/* One HTTP request a transport made for a connection and what came back (ABI 2.2): the layer under
 * the JSON-RPC messages, what a protocol inspector's network view shows. Headers are the ones on the
 * wire, secrets included: the host redacts before it keeps or shows them. */
typedef struct mc_http_exchange {
    size_t struct_size;
    mc_str method;           /* "POST", "GET" or "DELETE" */
    mc_str target;           /* the request target (path and query) */
    int32_t status;          /* the response status; 0 when none came (see `error`) */
    mc_str request_headers;  /* "Name: value\r\n" lines as sent */
    mc_str response_headers; /* "Name: value\r\n" lines as received ("" when no response) */
    uint64_t request_bytes;  /* the request body */
    int64_t response_bytes;  /* the Content-Length the response declared; -1 when it declared none (an
                                event stream, chunked); 0 when no response came */
    int64_t duration_us;     /* from sending the request to the response's headers */
    mc_str jsonrpc_id;       /* the id (JSON text) of the request or response the body carried; "" for
                                a notification, a batch or no body */
    mc_str error;            /* why no response came ("" when status > 0) */
} mc_http_exchange;

typedef struct mc_connection_callbacks {
    size_t struct_size;
    void* ctx;
    /* One complete JSON-RPC message (or batch) from the server. */
    void (*on_message)(void* ctx, mc_str jsonrpc_message);
    /* A diagnostic line (e.g. a stdio server's stderr). */
    void (*on_log)(void* ctx, mc_log_level level, mc_str line);
    /* The connection's health changed (OK once the peer answers, RECOVERABLE_ERROR while it
     * reconnects, PERMANENT_ERROR when it will not). */
    void (*on_status)(void* ctx, mc_component_status status, mc_str message);
    /* The connection ended for good; nothing more arrives (the host may open a new one). */
    void (*on_closed)(void* ctx, mc_status reason, mc_str detail);
    /* ABI 2.2, optional (NULL, or absent from an older host's struct: report nothing). One HTTP
     * exchange, reported when its response's headers came (before the messages its body carries go
     * through on_message) or when it failed without a response. */
    void (*on_exchange)(void* ctx, const mc_http_exchange* exchange);
} mc_connection_callbacks;
/* OWNERSHIP (callbacks): every mc_str and the exchange are borrowed for the call. `ctx` and the functions stay valid
 *            until close_connection returns.
 * THREAD:    any plugin thread (or a host I/O thread inside a watch_readable `ready`, ABI 2.4), never
 *            two at once for one connection, and never from inside a host call into the same
 *            connection (no re-entry). A callback must not call close_connection of its own
 *            connection. */

typedef struct mc_transport_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS; /* `output` at create: NULL */

    /* Writes the transport names this plugin serves, comma-separated ("stdio"; "http,sse").
     * OWNERSHIP: `out` is the host's.  THREAD: the main thread, right after loading.  Required. */
    mc_status (*transports)(mc_sink* out);

    /* Checks one server definition without connecting. `server_json` is the server's object as the
     * operator wrote it: {"id", "transport", ...the transport's own fields}. MC_ERR_CONFIG with
     * set_error naming the field when it is wrong. Lets POST /api/mcps refuse with the plugin's own
     * message. OWNERSHIP: borrowed for the call.  THREAD: any; concurrent calls allowed.  Required. */
    mc_status (*validate)(mc_instance* instance, mc_str server_json);

    /* Opens a connection to one server (validated first). Returns once the connection exists; the
     * peer may still be unreachable (reported through on_status / on_closed). MC_ERR_IO when it
     * cannot even begin (e.g. the command does not exist).
     * OWNERSHIP: `server_json` borrowed for the call; `callbacks` as described above;
     *            `*out_connection` is the plugin's until close_connection.
     * THREAD:    any host thread; concurrent opens on one instance allowed.  Required. */
    mc_status (*open_connection)(mc_instance* instance, mc_str server_json,
                                 const mc_connection_callbacks* callbacks, mc_connection** out_connection);

    /* Sends one JSON-RPC message; queues it and returns (never waits for the peer).
     * MC_ERR_UNAVAILABLE when the queue is full or the connection ended.
     * OWNERSHIP: borrowed for the call (copy what you queue).
     * THREAD:    any host thread, concurrently with other sends and with callbacks.  Required. */
    mc_status (*send)(mc_connection* connection, mc_str jsonrpc_message);

    /* Closes and frees the connection: no callback runs after it returns.
     * THREAD: any host thread except from inside this connection's callbacks.  Required. */
    void (*close_connection)(mc_connection* connection);
} mc_transport_vtable;

/* ---------------------------------------------------------------------------------------------- */
/* Discovery: finds MCP servers and reports them through the typed output handed to `create`.      */

/* One server a source found. */
typedef struct mc_found_server {
    size_t struct_size;
    mc_str key;          /* stable within the source (e.g. "<file>#<name>"); `lost` names it */
    mc_str name;         /* a human name, e.g. the registry entry's */
    mc_str server_json;  /* how to reach it, as a server definition: {"transport", ...fields} */
    mc_str details_json; /* what the source knows besides (package, version, TXT records); "" = {} */
    int connectable;     /* 0: listed only (why in `reason`) */
    mc_str reason;
} mc_found_server;

typedef struct mc_discovery_output {
    size_t struct_size;
    void* ctx;
    /* Found or changed (same key again). */
    void (*found)(void* ctx, const mc_found_server* server);
    /* Gone. */
    void (*lost)(void* ctx, mc_str key);
    /* A scan finished: every key not reported found since `started_unix_us` is gone (lets a source
     * that lists everything each time skip sending `lost`). */
    void (*scan_complete)(void* ctx, int64_t started_unix_us);
} mc_discovery_output;
/* OWNERSHIP: `server` and its strings are borrowed for the call.
 * THREAD:    any plugin thread (also the host's, from inside `start` or `refresh`), one call at a
 *            time per instance; never blocks on the host. */

typedef struct mc_discovery_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS; /* `output` at create: const mc_discovery_output* */
    /* Asks for a re-scan now (returns at once). THREAD: any host thread.  Optional. */
    mc_status (*refresh)(mc_instance* instance);
} mc_discovery_vtable;

/* ---------------------------------------------------------------------------------------------- */
/* Receiver (ABI 2.1): takes telemetry pushed from outside (OTLP/HTTP) and hands the host records.  */
/* The host owns the network edge: it listens (on its own port and on the addresses the receiver    */
/* asks for), reads heads and bodies with its limits and deadlines, checks Host, Origin and          */
/* authentication, and passes each complete request of the receiver's routes to `handle`. The       */
/* receiver owns the protocol: media types, decompression, decoding, mapping and the reply.         */

/* One request on a route the receiver declared. */
typedef struct mc_http_request {
    size_t struct_size;
    mc_str method;           /* "POST" */
    mc_str path;             /* without the query, e.g. "/v1/logs" */
    mc_str content_type;     /* the Content-Type header as sent ("" when absent) */
    mc_str content_encoding; /* the Content-Encoding header ("" when absent), e.g. "gzip" */
    mc_str body;             /* the whole body, de-chunked, within the host's http.max_body_bytes */
    mc_str principal;        /* who the host authenticated ("" with auth off) */
} mc_http_request;

/* Where the receiver answers one request: exactly once, from any thread, during `handle` or later.
 * `headers_json`: a JSON object of extra headers ({"Retry-After":"1"}), "" for none.
 * OWNERSHIP: the responder is the host's and stays valid until `respond` is called; the strings are
 *            copied before `respond` returns.
 * THREAD:    any; a reply that comes after the host's deadline (http.body_timeout_ms) is dropped. */
typedef struct mc_http_responder {
    size_t struct_size;
    void* ctx;
    void (*respond)(void* ctx, int status, mc_str content_type, mc_str headers_json, mc_str body);
} mc_http_responder;

/* Called once with the outcome of a `submit`: MC_OK with `result_json` =
 * {"accepted":N,"rejected":[{"index":i,"reason":"..."}]} once every accepted record is committed to
 * the store; MC_ERR_UNAVAILABLE when the host could take nothing now (its store queue is full or it
 * is stopping: retry later; nothing of the batch was accepted). While a commit waits for a slow
 * store, `done` waits too; the host answers a request its receiver has not answered within
 * ingest.ack_timeout_ms with 503 and Retry-After.
 * OWNERSHIP: `result_json` is borrowed for the call.  THREAD: any host thread, possibly inside submit. */
typedef void (*mc_submit_done_fn)(void* done_ctx, mc_status status, mc_str result_json);

typedef struct mc_receiver_output {
    size_t struct_size;
    void* ctx;
    /* Hands the host a batch of records (kinds of the catalog: thread, step, log, transcript,
     * permission, mcp_status; `audit` is refused), validated and normalized by the host as ingested
     * events are, broadcast once accepted, and written to the store in order. Records refer to
     * threads earlier in the batch or already stored. Never waits for the store: the outcome comes
     * through `done`. Returns MC_OK when `done` will be called, else the reason it will not
     * (MC_ERR_INVALID_ARGUMENT for a NULL or too small record array).
     * OWNERSHIP: `records` and all they point to are borrowed for the call (copied before it
     *            returns); `done_ctx` is the receiver's, handed back to `done`.
     * THREAD:    any receiver thread, concurrently. */
    mc_status (*submit)(void* ctx, const mc_record* records, size_t count, size_t record_size,
                        mc_submit_done_fn done, void* done_ctx);
} mc_receiver_output;

typedef struct mc_receiver_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS; /* `output` at create: const mc_receiver_output* */

    /* Writes what the receiver serves, as JSON: {"routes":[{"method":"POST","path":"/v1/logs",
     * "media_types":["application/x-protobuf","application/json"]}], "listen":["127.0.0.1:4318"]}.
     * The host serves the routes on its own port (behind its authentication) and also listens on
     * each `listen` address for them alone. A route the host already has is refused.
     * OWNERSHIP: `out` is the host's.  THREAD: the main thread, after create, before start.
     * Required. */
    mc_status (*routes)(mc_instance* instance, mc_sink* out);

    /* Handles one request of a declared route; answers through `responder` (now or later).
     * Returning a status other than MC_OK without having responded makes the host answer 500 with
     * the set_error reason.
     * OWNERSHIP: `request` and its strings are borrowed for the call (copy the body to keep it);
     *            `responder` as described above.
     * THREAD:    a host worker thread; concurrent calls allowed; between start and stop. Required. */
    mc_status (*handle)(mc_instance* instance, const mc_http_request* request, const mc_http_responder* responder);
} mc_receiver_vtable;

/* ---------------------------------------------------------------------------------------------- */
/* Bus (ABI 2.3): what the hosts of a cluster tell each other, over one connection, two services:  */
/*  - the event log: one ordered sequence of entries for the whole cluster, kept for a while. Any   */
/*    host appends; every host follows it and sees each entry once, in the log's order, numbered    */
/*    by the log (the cluster-wide `seq` of the WebSocket protocol). A host that was away catches   */
/*    up from where it was, within what the log keeps.                                              */
/*  - messages: subject-addressed, at most once, for requests between hosts. A subscription in a    */
/*    queue group gets each message on one member of the group only; a message may name a subject   */
/*    for the reply.                                                                                */
/* Subjects are the host's: dot-separated tokens of [A-Za-z0-9_-] ("rpc.host-a"). A plugin may put  */
/* them under a namespace of its own (so clusters can share a bus) and takes it off what it hands   */
/* back. Health (connected, reconnecting) goes through report_status.                               */

/* A message on one of the host's subscriptions. */
typedef struct mc_bus_message {
    size_t struct_size;
    uint64_t subscription; /* the id the host gave subscribe */
    mc_str subject;        /* as the publisher named it */
    mc_str reply_to;       /* where to reply ("" when no reply is expected) */
    mc_str payload;
} mc_bus_message;

typedef struct mc_bus_output {
    size_t struct_size;
    void* ctx;
    /* A message on one of the host's subscriptions. */
    void (*message)(void* ctx, const mc_bus_message* message);
    /* The next entry of the log once `follow` was called: `seq` strictly increases from one call to
     * the next (a gap is entries the log no longer kept). */
    void (*entry)(void* ctx, uint64_t seq, mc_str payload);
} mc_bus_output;
/* OWNERSHIP: the message, the payload and their strings are borrowed for the call.
 * THREAD:    plugin threads. `entry` calls never overlap each other; `message` calls may overlap
 *            each other and `entry`. Neither waits for the bus: the host hands off and returns. */

typedef enum mc_bus_follow_from {
    MC_BUS_FOLLOW_INVALID = 0,
    MC_BUS_FOLLOW_NEW = 1,  /* entries appended from now on */
    MC_BUS_FOLLOW_AFTER = 2 /* entries after `after_seq` the log still keeps, then new ones */
} mc_bus_follow_from;

typedef struct mc_bus_vtable {
    size_t struct_size;
    MC_LIFECYCLE_HOOKS; /* `output` at create: const mc_bus_output* */

    /* Appends one entry to the log: queues it and returns, never waiting for the bus. The plugin
     * retries until the log has it, and the log keeps it once: `entry_id` is unique per entry, so a
     * retry after a lost acknowledgement is not appended twice. Entries appended from one thread
     * are in the log in that order. MC_ERR_UNAVAILABLE when the queue is full (the bus has been
     * away too long; the entry is not taken).
     * OWNERSHIP: borrowed for the call (copy what you queue).
     * THREAD:    any host thread, concurrently.  Required. */
    mc_status (*append)(mc_instance* instance, mc_str entry_id, mc_str payload);

    /* Starts delivering the log through output->entry, from where `from` says. Called once, after
     * start; the plugin goes on across reconnects from the last entry it delivered.
     * THREAD: the main thread.  Required. */
    mc_status (*follow)(mc_instance* instance, mc_bus_follow_from from, uint64_t after_seq);

    /* Sends one message (`reply_to` "" for none): queues it and returns. MC_ERR_UNAVAILABLE when it
     * cannot be queued. OWNERSHIP: borrowed for the call.  THREAD: any host thread.  Required. */
    mc_status (*publish)(mc_instance* instance, mc_str subject, mc_str reply_to, mc_str payload);

    /* Subscribes to `subject` (`queue_group` "" for none) under `subscription`, a nonzero id the
     * host chooses; it lasts across reconnects until unsubscribe. While connected it returns once
     * the bus has it, so a message published afterwards reaches it. MC_ERR_CONFLICT when the id is
     * in use. OWNERSHIP: borrowed for the call.  THREAD: any host thread.  Required. */
    mc_status (*subscribe)(mc_instance* instance, uint64_t subscription, mc_str subject, mc_str queue_group);

    /* Ends a subscription: once it returns, no message of it is delivered. MC_ERR_NOT_FOUND for an
     * unknown id. THREAD: any host thread, never from inside output->message.  Required. */
    mc_status (*unsubscribe)(mc_instance* instance, uint64_t subscription);

    /* Writes a JSON object of details (counters, the log's position, settings in effect) to
     * `details`. THREAD: any; must not block for long.  Optional. */
    mc_status (*describe)(mc_instance* instance, mc_sink* details);
} mc_bus_vtable;

/* ---------------------------------------------------------------------------------------------- */
/* The descriptor returned by the entry symbol.                                                    */

typedef struct mc_plugin_descriptor {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    mc_plugin_kind kind;
    mc_str id;          /* unique, [a-z0-9-]+, e.g. "store-sqlite" */
    mc_str version;     /* the plugin's own version, e.g. "1.2.0" */
    mc_str description;
    const void* vtable; /* the kind's vtable */
    size_t vtable_size; /* sizeof the vtable the plugin was built with */
    const mc_config_key* config_keys;
    size_t config_key_count;
    size_t config_key_size; /* sizeof(mc_config_key) the plugin was built with (the array's stride) */
    mc_str config_prefix;   /* where its keys live, e.g. "store.sqlite", "mcp.stdio", "discovery.files" */
} mc_plugin_descriptor;
/* OWNERSHIP: static storage in the plugin; valid while the library is loaded.
 * THREAD:    the entry symbol is called once, on the main thread, right after the library loads. */

typedef const mc_plugin_descriptor* (*mc_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MC_PLUGIN_ABI_H */
