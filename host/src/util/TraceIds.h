#pragma once
// W3C trace context ids (lower-case hex: 32 digits for a trace, 16 for a span) for what the host
// exports. A thread is one trace whatever reports its parts: its trace id and its own span id derive
// from the thread id, so the gateway's calls in a thread and the thread's steps find their parent
// without asking anyone (and a re-sent record gets the same ids). Never all zeros (invalid in W3C).
#include <optional>
#include <string>
#include <string_view>

namespace mc::host {

std::string traceIdForThread(std::string_view threadId);
// The span of a record: `kind` ("thread", "step") and its id.
std::string spanIdForRecord(std::string_view kind, std::string_view id);
// Fresh ids, for what has no identity of its own (a gateway call outside any thread).
std::string randomTraceId();
std::string randomSpanId();
// "00-<trace>-<span>-01": the traceparent header (sampled).
std::string traceparent(std::string_view traceId, std::string_view spanId);

// A caller's trace context: the trace and parent span ids of a W3C traceparent ("<version>-<trace>-<span>-
// <flags>", lower-case hex). nullopt for anything else: a wrong length or character, all-zero ids,
// version ff, or extra fields after version 00 (a later version may add some: they are ignored).
struct TraceContext {
    std::string traceId, spanId;
};
std::optional<TraceContext> parseTraceparent(std::string_view text);

} // namespace mc::host
