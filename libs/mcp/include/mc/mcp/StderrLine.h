#pragma once
// A line an MCP server wrote to stderr, read for its level. The 2025-11-25 revision lets stdio servers
// log anything there, at every level, and the new era deprecates MCP logging: stderr is where most
// servers' logs are. The common shapes are recognized:
//   JSON lines   {"level":"warn"|40,"msg":"…",…} (pino, bunyan, winston, structlog, python-json-logger,
//                zap, ECS "log.level", GCP "severity"); other members become the context
//   prefixes     "WARNING:name:msg" (Python), "ERROR: msg", "[info] msg", "[2026-…] [WARN] msg",
//                "2026-12-03 10:00:00,123 ERROR msg" (upper-case level after timestamp words)
//   logfmt       level=info msg="…" key=value …
// Anything else is not recognized (the transport's own guess stands).
#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

namespace mc::mcp {

struct StderrRecord {
    bool recognized = false;
    const char* form = "";          // "json", "prefix" or "logfmt"
    std::string level;              // an RFC 5424 name as MCP uses them: debug … emergency
    std::string message;            // the line without what named its level (JSON: its message member)
    std::string logger;             // when the line names one ("" otherwise)
    Poco::JSON::Object::Ptr fields; // JSON and logfmt: the other members (null for prefixes)
};

// Reads one line (without its line break). Never throws; at most the first 64 KiB are read.
StderrRecord parseStderrLine(std::string_view line);

// A level word of a logging library as MCP names it ("warn" → "warning", "fatal" → "critical",
// "err" → "error"; any case), "" when it is none. (Numbers are levels only in JSON lines: pino's and
// bunyan's "level" 10-60, Python's "levelno" 10-50.)
std::string mcpLevelOf(std::string_view word);

} // namespace mc::mcp
