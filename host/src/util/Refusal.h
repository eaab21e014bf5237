#pragma once
// Why the host refused an operation, in its own terms. Domain modules (gateway, discovery, ingest)
// say which kind; only the web layer turns a kind into an HTTP status (web/HttpUtil.h httpStatusOf).
namespace mc::host {

enum class Refusal {
    InvalidInput,     // the caller's request is malformed
    Forbidden,        // the caller may not do this
    NotFound,         // what the request names does not exist
    Conflict,         // it conflicts with what exists (a duplicate id)
    InvalidArguments, // well-formed, but the target refused the arguments (MCP invalid params)
    NotSupported,     // the target cannot do this at all
    UpstreamFailed,   // the MCP server or plugin behind failed
    Unavailable,      // down or stopping now; retrying later may work
    TimedOut,         // the target did not answer in time
};

} // namespace mc::host
