#include "TelemetryMapping.h"

#include "mc/json_text.hpp"
#include "mc/json_value.hpp"
#include "mc/records/RecordSchema.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>

namespace mc::receiver_otlp {
namespace {

using otlp::AnyValue;
using otlp::KeyValues;
namespace json = mc::sdk::json;

constexpr std::string_view kClaudePrefix = "claude_code.";
constexpr std::string_view kCodexPrefix = "codex.";
constexpr std::string_view kGeminiPrefix = "gemini_cli.";

// Where an attribute may be: the item's own attributes first, then its resource's.
struct Scope2 {
    const KeyValues& own;
    const KeyValues& resource;
    const AnyValue* find(std::string_view key) const {
        if (const auto* v = otlp::find(own, key)) return v;
        return otlp::find(resource, key);
    }
};

std::optional<std::string> textOf(const AnyValue* v) {
    if (!v || v->type == AnyValue::Type::Empty) return std::nullopt;
    return v->toText();
}

std::optional<std::int64_t> intOf(const AnyValue* v) {
    if (!v) return std::nullopt;
    switch (v->type) {
    case AnyValue::Type::Int: return v->integer;
    case AnyValue::Type::Double:
        if (std::isfinite(v->real) && std::fabs(v->real) < 9.0e15) return static_cast<std::int64_t>(std::llround(v->real));
        return std::nullopt;
    case AnyValue::Type::String: {
        std::int64_t n = 0;
        const auto* end = v->text.data() + v->text.size();
        if (auto [p, ec] = std::from_chars(v->text.data(), end, n); ec == std::errc() && p == end) return n;
        double d = 0;
        if (auto [p, ec] = std::from_chars(v->text.data(), end, d); ec == std::errc() && p == end && std::isfinite(d) &&
                                                                   std::fabs(d) < 9.0e15)
            return static_cast<std::int64_t>(std::llround(d));
        return std::nullopt;
    }
    default: return std::nullopt;
    }
}

std::optional<double> realOf(const AnyValue* v) {
    if (!v) return std::nullopt;
    if (v->type == AnyValue::Type::Double) return std::isfinite(v->real) ? std::optional<double>(v->real) : std::nullopt;
    if (v->type == AnyValue::Type::Int) return static_cast<double>(v->integer);
    if (v->type == AnyValue::Type::String) {
        double d = 0;
        const auto* end = v->text.data() + v->text.size();
        if (auto [p, ec] = std::from_chars(v->text.data(), end, d); ec == std::errc() && p == end && std::isfinite(d)) return d;
    }
    return std::nullopt;
}

std::optional<bool> boolOf(const AnyValue* v) {
    if (!v) return std::nullopt;
    if (v->type == AnyValue::Type::Bool) return v->boolean;
    if (v->type == AnyValue::Type::String) {
        if (v->text == "true") return true;
        if (v->text == "false") return false;
    }
    if (v->type == AnyValue::Type::Int) return v->integer != 0;
    return std::nullopt;
}

std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 1469598103934665603ull) {
    for (unsigned char c : data) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string hex64(std::uint64_t v) {
    static const char* digits = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = digits[v & 0xf];
    return out;
}

// An id part from outside text: as it is when short and plain, else a hash of it.
std::string idPart(const std::string& text) {
    bool plain = !text.empty() && text.size() <= 128;
    for (char c : text)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) plain = false;
    return plain ? text : hex64(fnv1a(text));
}

std::string attributesJson(const KeyValues& attributes) {
    std::string out = "{";
    for (const auto& [key, value] : attributes) {
        if (out.size() > 1) out += ',';
        out += json::quote(key);
        out += ':';
        out += value.toJson();
    }
    return out + "}";
}

std::string timestampOf(std::uint64_t unixNano) {
    return json::isoTimestamp(static_cast<long long>(unixNano / 1000));
}

// "DEBUG", "INFO", "WARN" or "ERROR" from OTLP's severity number (text when the number is unset).
std::string levelOf(std::int32_t number, const std::string& text) {
    if (number >= 1 && number <= 8) return "DEBUG";
    if (number >= 9 && number <= 12) return "INFO";
    if (number >= 13 && number <= 16) return "WARN";
    if (number >= 17) return "ERROR";
    std::string upper;
    for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.rfind("TRACE", 0) == 0 || upper.rfind("DEBUG", 0) == 0) return "DEBUG";
    if (upper.rfind("WARN", 0) == 0) return "WARN";
    if (upper.rfind("ERR", 0) == 0 || upper.rfind("FATAL", 0) == 0 || upper.rfind("CRIT", 0) == 0) return "ERROR";
    return "INFO";
}

class Builder {
public:
    explicit Builder(Mapped& out) : out_(out) {}

    MappedRecord& add(std::string kind, std::string id, std::size_t item) {
        out_.records.push_back(MappedRecord{std::move(kind), std::move(id), {}, item});
        return out_.records.back();
    }

    // The thread of a session, once per request (before the first record that names it).
    // `nanos`: when the item naming it happened (0: unknown); the thread's started_at is the earliest
    // (the store keeps the earliest across requests too).
    std::string thread(const Scope2& attrs, const std::string& session, const std::string& agent, const AnyValue* prompt,
                       std::uint64_t nanos) {
        const std::string id = "T-" + idPart(session);
        if (threads_.insert(id).second) {
            auto& t = add("thread", id, MappedRecord::kNoItem);
            t.fields.emplace_back("mcp_id", FieldValue::of(agent));
            t.fields.emplace_back("status", FieldValue::of(std::string("running")));
            std::string context = "{\"source\":\"otlp\",\"agent\":" + json::quote(agent) + ",\"session_id\":" + json::quote(session);
            for (const char* key : {"service.version", "user.id", "user.email", "user.account_uuid", "organization.id",
                                    "terminal.type", "os.type", "os.version", "host.arch", "app.entrypoint"})
                if (auto v = textOf(attrs.find(key))) context += "," + json::quote(key) + ":" + json::quote(*v);
            t.fields.emplace_back("execution_context", FieldValue::of(context + "}"));
            threadIndex_[id] = out_.records.size() - 1;
        }
        if (nanos) {
            auto& t = out_.records[threadIndex_[id]];
            auto& earliest = earliest_[id];
            if (!earliest || nanos < earliest) {
                earliest = nanos;
                bool set = false;
                for (auto& [name, value] : t.fields)
                    if (name == "started_at") {
                        value = FieldValue::of(timestampOf(nanos));
                        set = true;
                    }
                if (!set) t.fields.emplace_back("started_at", FieldValue::of(timestampOf(nanos)));
            }
        }
        if (prompt) {
            if (auto text = textOf(prompt); text && *text != "<REDACTED>" && *text != "[REDACTED]") { // Claude Code's, Codex's
                auto& t = out_.records[threadIndex_[id]];
                bool has = false;
                for (const auto& [name, value] : t.fields) has = has || name == "user_input";
                if (!has) t.fields.emplace_back("user_input", FieldValue::of(*text));
            }
        }
        return id;
    }

private:
    Mapped& out_;
    std::set<std::string> threads_;
    std::map<std::string, std::size_t> threadIndex_;
    std::map<std::string, std::uint64_t> earliest_;
};

std::optional<std::string> sessionOf(const Scope2& attrs) {
    // Copilot's chat session first: its session.id is the editor window's, and its chat spans' conversation id the request's.
    for (const char* key : {"copilot_chat.chat_session_id", "session.id", "gen_ai.conversation.id", "conversation.id", "mcp.session.id"})
        if (auto v = textOf(attrs.find(key)); v && !v->empty()) return v;
    return std::nullopt;
}

std::string serviceOf(const KeyValues& resource) {
    auto v = textOf(otlp::find(resource, "service.name"));
    return v && !v->empty() ? *v : std::string("unknown_service");
}

// What every item of one resource and scope shares, worked out once per scope: its service, the
// resource's attributes as JSON, and the `resource` field spans and metric points keep
// ({"attributes":...,"scope":{"name","version"}}).
struct Origin {
    const KeyValues& resource;
    const otlp::Scope& scope;
    std::string service;
    std::string attributes;
    std::string stored;
    Origin(const KeyValues& resource, const otlp::Scope& scope)
        : resource(resource), scope(scope), service(serviceOf(resource)), attributes(attributesJson(resource)),
          stored("{\"attributes\":" + attributes + ",\"scope\":{\"name\":" + json::quote(scope.name) +
                 ",\"version\":" + json::quote(scope.version) + "}}") {}
};

// Claude Code's event name: LogRecord.event_name, else the event.name attribute, else the body
// "claude_code.<name>"; without the prefix. Empty when the record is not a Claude Code event.
std::string claudeEvent(const otlp::LogRecord& r, const std::string& service, const std::string& scope) {
    const bool claude = service.rfind("claude-code", 0) == 0 || scope.rfind("com.anthropic.claude_code", 0) == 0;
    std::string name = r.eventName;
    if (name.empty())
        if (auto v = textOf(otlp::find(r.attributes, "event.name"))) name = *v;
    if (name.empty() && r.body.type == AnyValue::Type::String && r.body.text.rfind(kClaudePrefix, 0) == 0) name = r.body.text;
    if (name.rfind(kClaudePrefix, 0) == 0) return name.substr(kClaudePrefix.size());
    return claude ? name : std::string();
}

// Claude Code's tool_parameters attribute: a JSON string; its MCP server and tool names.
struct ToolNames {
    std::string tool;
    std::string server;
};
ToolNames toolNames(const Scope2& attrs) {
    ToolNames names;
    names.tool = textOf(attrs.find("tool_name")).value_or("");
    if (auto params = textOf(attrs.find("tool_parameters"))) {
        // {"mcp_server_name":"x","mcp_tool_name":"y",...}; anything else (not JSON, other members) is ignored.
        try {
            const auto parsed = mc::sdk::json::parse(*params);
            const auto member = [&](std::string_view key) {
                const auto* v = parsed.isObject() ? parsed.find(key) : nullptr;
                return v && v->isString() ? v->str() : std::string();
            };
            if (auto server = member("mcp_server_name"); !server.empty()) names.server = server;
            if (auto tool = member("mcp_tool_name"); !tool.empty()) names.tool = tool;
        } catch (const mc::sdk::json::ParseError&) {
        }
    }
    // mcp__<server>__<tool>: Claude Code's own name of an MCP tool.
    if (names.server.empty() && names.tool.rfind("mcp__", 0) == 0) {
        const auto split = names.tool.find("__", 5);
        if (split != std::string::npos) {
            names.server = names.tool.substr(5, split - 5);
            names.tool = names.tool.substr(split + 2);
        }
    }
    return names;
}

void addIf(MappedRecord& r, const char* name, std::optional<std::string> v) {
    if (v) r.fields.emplace_back(name, FieldValue::of(std::move(*v)));
}

// The step of a Claude Code event that is written when the work ends (api_request, tool_result): it
// began duration_ms earlier. Its thread is added first.
MappedRecord& eventStep(Builder& b, const Scope2& attrs, const std::string& session, const std::string& service,
                        const std::string& key, std::size_t item, std::int64_t sequence, std::uint64_t nanos, const char* type) {
    const std::string thread = b.thread(attrs, session, service, nullptr, nanos);
    auto& s = b.add("step", "S-" + key, item);
    const auto duration = realOf(attrs.find("duration_ms"));
    s.fields.emplace_back("thread_id", FieldValue::of(thread));
    s.fields.emplace_back("sequence", FieldValue::of(sequence));
    if (nanos) {
        // Clamped before the conversion: a negative or absurd duration must not wrap the time around.
        const double earlier = duration && *duration > 0 ? std::min(*duration * 1e6, static_cast<double>(nanos)) : 0.0;
        s.fields.emplace_back("timestamp", FieldValue::of(timestampOf(nanos - static_cast<std::uint64_t>(earlier))));
    }
    if (duration) s.fields.emplace_back("duration_ms", FieldValue::ofReal(*duration));
    s.fields.emplace_back("step_type", FieldValue::of(std::string(type)));
    return s;
}

// Codex CLI and Gemini CLI name their events in the event.name attribute ("codex.tool_result",
// "gemini_cli.tool_call"); Codex's LogRecord.event_name holds a source location instead. Returns the
// prefix the name has ("" for neither) and the name without it.
std::pair<std::string_view, std::string> otherAgentEvent(const otlp::LogRecord& r) {
    for (const std::string* candidate : {&r.eventName, static_cast<const std::string*>(nullptr)}) {
        std::string name;
        if (candidate) {
            name = *candidate;
        } else if (auto v = textOf(otlp::find(r.attributes, "event.name"))) {
            name = *v;
        }
        for (std::string_view prefix : {kCodexPrefix, kGeminiPrefix})
            if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) return {prefix, name.substr(prefix.size())};
    }
    return {};
}

// The log of an event a Codex CLI or Gemini CLI session sent, as a transcript message, a step or a
// permission (docs/otel.md). These events carry no sequence: a record's id hashes what was sent (a
// retry stores it once) and its sequence is the event's time in microseconds. False: keep it as a log.
bool mapOtherAgentEvent(Builder& b, const Scope2& attrs, const std::string& session, const std::string& service,
                        std::string_view prefix, const std::string& event, const otlp::LogRecord& r, std::size_t item,
                        std::uint64_t nanos, const std::string& context) {
    if (!nanos) return false; // nothing to order it by
    const bool codex = prefix == kCodexPrefix;
    const std::string key = idPart(session) + "-" + hex64(fnv1a(attributesJson(r.attributes), fnv1a(event + "\n" + std::to_string(nanos))));
    const auto sequence = static_cast<std::int64_t>(nanos / 1000);
    const std::string at = timestampOf(nanos);
    const std::string model = textOf(attrs.find("model")).value_or("");
    auto message = [&](bool user, const AnyValue* content) {
        const std::string thread = b.thread(attrs, session, service, user ? content : nullptr, nanos);
        auto& m = b.add("transcript", "M-" + key, item);
        m.fields.emplace_back("thread_id", FieldValue::of(thread));
        m.fields.emplace_back("sequence", FieldValue::of(sequence));
        m.fields.emplace_back("timestamp", FieldValue::of(at));
        m.fields.emplace_back("role", FieldValue::of(std::string(user ? "user" : "assistant")));
        auto text = textOf(content);
        if (text && *text != "[REDACTED]" && *text != "<REDACTED>") m.fields.emplace_back("content", FieldValue::of(*text));
        if (!model.empty()) m.fields.emplace_back("model", FieldValue::of(model));
        m.fields.emplace_back("metadata", FieldValue::of(context));
    };
    auto llmCall = [&](bool ok, const std::string& description) {
        auto& s = eventStep(b, attrs, session, service, key, item, sequence, nanos, "llm_call");
        s.fields.emplace_back("description", FieldValue::of(description));
        s.fields.emplace_back("details", FieldValue::of(context));
        s.fields.emplace_back("status", FieldValue::of(std::string(ok ? "ok" : "error")));
    };
    auto tokens = [&](const std::string& description) {
        const auto in = intOf(attrs.find("input_token_count"));
        const auto out = intOf(attrs.find("output_token_count"));
        return in || out ? description + ": " + std::to_string(in.value_or(0)) + " in, " + std::to_string(out.value_or(0)) + " out tokens"
                         : description;
    };
    auto toolCall = [&](const std::string& tool, const std::string& server) {
        auto& s = eventStep(b, attrs, session, service, key, item, sequence, nanos, "tool_call");
        s.fields.emplace_back("description", FieldValue::of(server.empty() ? "tool " + tool : "tools/call " + tool + " on " + server));
        s.fields.emplace_back("details", FieldValue::of(context));
        s.fields.emplace_back("status", FieldValue::of(std::string(boolOf(attrs.find("success")).value_or(true) ? "ok" : "error")));
        if (!server.empty()) s.fields.emplace_back("mcp_id", FieldValue::of(server));
        if (!tool.empty()) s.fields.emplace_back("tool", FieldValue::of(tool));
    };
    auto permission = [&](const std::string& tool, const std::string& server, const std::string& decision, bool granted,
                          const std::string& by) {
        const std::string thread = b.thread(attrs, session, service, nullptr, nanos);
        auto& p = b.add("permission", "P-" + key, item);
        p.fields.emplace_back("timestamp", FieldValue::of(at));
        p.fields.emplace_back("thread_id", FieldValue::of(thread));
        auto user = textOf(attrs.find("user.email"));
        if (!user) user = textOf(attrs.find("user.account_id"));
        addIf(p, "user_id", user);
        p.fields.emplace_back("resource", FieldValue::of(server.empty() ? tool : server + "/" + tool));
        p.fields.emplace_back("action", FieldValue::of(std::string("tools/call")));
        p.fields.emplace_back("granted", FieldValue::of(std::int64_t(granted ? 1 : 0)));
        p.fields.emplace_back("reason", FieldValue::of(service + " " + decision + (by.empty() ? std::string() : " by " + by)));
        if (!server.empty()) p.fields.emplace_back("mcp_id", FieldValue::of(server));
    };
    auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };

    if (event == "user_prompt") {
        message(true, attrs.find("prompt"));
        return true;
    }
    if (codex) {
        if (event == "agent_response") {
            message(false, attrs.find("response"));
            return true;
        }
        // One model response: its tokens come with the stream's response.completed event (the others are logs).
        if (event == "sse_event" && textOf(attrs.find("event.kind")).value_or("") == "response.completed") {
            llmCall(true, tokens("model response " + model));
            return true;
        }
        // A request attempt is a step only when it failed (a success is the response.completed above).
        if (event == "api_request") {
            const auto status = intOf(attrs.find("http.response.status_code"));
            const auto error = textOf(attrs.find("error.message"));
            if (!(status && *status >= 400) && !error) return false;
            llmCall(false, "model request " + model + " failed: " + (error ? *error : "HTTP " + std::to_string(*status)));
            return true;
        }
        if (event == "tool_result") {
            toolCall(textOf(attrs.find("tool_name")).value_or(""), textOf(attrs.find("mcp_server")).value_or(""));
            return true;
        }
        if (event == "tool_decision") {
            const std::string decision = lower(textOf(attrs.find("decision")).value_or("decision"));
            permission(textOf(attrs.find("tool_name")).value_or(""), "", decision, decision.rfind("approved", 0) == 0,
                       lower(textOf(attrs.find("source")).value_or("")));
            return true;
        }
        return false;
    }
    // Gemini CLI
    if (event == "api_response") {
        llmCall(true, tokens("model response " + model));
        // The main agent's answer (not a utility call's: routing, compression) is the transcript's.
        const std::string role = textOf(attrs.find("role")).value_or("main");
        if (role == "main" && attrs.find("response_text")) message(false, attrs.find("response_text"));
        return true;
    }
    if (event == "api_error") {
        auto error = textOf(attrs.find("error.message"));
        if (!error) error = textOf(attrs.find("error"));
        llmCall(false, "model request " + model + " failed" + (error ? ": " + *error : std::string()));
        return true;
    }
    if (event == "tool_call") {
        const std::string tool = textOf(attrs.find("function_name")).value_or("");
        const std::string server = textOf(attrs.find("mcp_server_name")).value_or("");
        if (auto decision = textOf(attrs.find("decision")); decision && !decision->empty()) {
            const std::string d = lower(*decision);
            permission(tool, server, d, d != "reject", d == "auto_accept" ? "policy" : "user");
        }
        toolCall(tool, server);
        return true;
    }
    return false;
}

void mapLogRecord(Builder& b, const Origin& origin, const otlp::LogRecord& r, std::size_t item) {
    const Scope2 attrs{r.attributes, origin.resource};
    const std::string& service = origin.service;
    const std::uint64_t nanos = r.timeUnixNano ? r.timeUnixNano : r.observedTimeUnixNano;
    const std::optional<std::string> at = nanos ? std::optional<std::string>(timestampOf(nanos)) : std::nullopt;
    const std::string event = claudeEvent(r, service, origin.scope.name);
    const auto session = sessionOf(attrs);
    const auto sequence = intOf(attrs.find("event.sequence"));
    const std::string context = "{\"event\":" + json::quote(event) + ",\"attributes\":" + attributesJson(r.attributes) + "}";

    if (session && sequence && !event.empty()) {
        const std::string key = idPart(*session) + "-" + std::to_string(*sequence);
        if (event == "user_prompt" || event == "assistant_response") {
            const bool user = event == "user_prompt";
            const std::string thread = b.thread(attrs, *session, service, user ? attrs.find("prompt") : nullptr, nanos);
            auto& m = b.add("transcript", "M-" + key, item);
            m.fields.emplace_back("thread_id", FieldValue::of(thread));
            m.fields.emplace_back("sequence", FieldValue::of(*sequence));
            addIf(m, "timestamp", at);
            m.fields.emplace_back("role", FieldValue::of(std::string(user ? "user" : "assistant")));
            auto text = textOf(attrs.find(user ? "prompt" : "response"));
            if (text && *text != "<REDACTED>") m.fields.emplace_back("content", FieldValue::of(*text));
            addIf(m, "model", textOf(attrs.find("model")));
            m.fields.emplace_back("metadata", FieldValue::of(context));
            return;
        }
        if (event == "api_request" || event == "api_error" || event == "api_refusal") {
            auto& s = eventStep(b, attrs, *session, service, key, item, *sequence, nanos, "llm_call");
            const std::string model = textOf(attrs.find("model")).value_or("");
            std::string description = event == "api_request" ? "model request " + model : event == "api_error" ? "model request " + model + " failed" : "model request " + model + " refused";
            if (event == "api_request") {
                const auto in = intOf(attrs.find("input_tokens"));
                const auto out = intOf(attrs.find("output_tokens"));
                if (in || out) description += ": " + std::to_string(in.value_or(0)) + " in, " + std::to_string(out.value_or(0)) + " out tokens";
            } else if (auto error = textOf(attrs.find("error"))) {
                description += ": " + *error;
            }
            s.fields.emplace_back("description", FieldValue::of(description));
            s.fields.emplace_back("details", FieldValue::of(context));
            s.fields.emplace_back("status", FieldValue::of(std::string(event == "api_request" ? "ok" : event == "api_error" ? "error" : "refused")));
            return;
        }
        if (event == "tool_result") {
            const ToolNames names = toolNames(attrs);
            auto& s = eventStep(b, attrs, *session, service, key, item, *sequence, nanos, "tool_call");
            s.fields.emplace_back("description", FieldValue::of(names.server.empty() ? "tool " + names.tool
                                                                                      : "tools/call " + names.tool + " on " + names.server));
            s.fields.emplace_back("details", FieldValue::of(context));
            const auto success = boolOf(attrs.find("success"));
            s.fields.emplace_back("status", FieldValue::of(std::string(success.value_or(true) ? "ok" : "error")));
            if (!names.server.empty()) s.fields.emplace_back("mcp_id", FieldValue::of(names.server));
            if (!names.tool.empty()) s.fields.emplace_back("tool", FieldValue::of(names.tool));
            return;
        }
        if (event == "tool_decision") {
            const std::string thread = b.thread(attrs, *session, service, nullptr, nanos);
            const ToolNames names = toolNames(attrs);
            auto& p = b.add("permission", "P-" + key, item);
            addIf(p, "timestamp", at);
            p.fields.emplace_back("thread_id", FieldValue::of(thread));
            auto user = textOf(attrs.find("user.email"));
            if (!user) user = textOf(attrs.find("user.id"));
            addIf(p, "user_id", user);
            p.fields.emplace_back("resource", FieldValue::of(names.server.empty() ? names.tool : names.server + "/" + names.tool));
            p.fields.emplace_back("action", FieldValue::of(std::string("tools/call")));
            const std::string decision = textOf(attrs.find("decision")).value_or("");
            p.fields.emplace_back("granted", FieldValue::of(std::int64_t(decision == "accept" ? 1 : 0)));
            p.fields.emplace_back("reason", FieldValue::of(service + " " + (decision.empty() ? "decision" : decision) + " by " +
                                                           textOf(attrs.find("source")).value_or("unknown source")));
            if (!names.server.empty()) p.fields.emplace_back("mcp_id", FieldValue::of(names.server));
            return;
        }
        if (event == "mcp_server_connection") {
            auto server = textOf(attrs.find("server_name"));
            auto status = textOf(attrs.find("status"));
            if (server && !server->empty() && status && !status->empty()) {
                auto& m = b.add("mcp_status", "MS-" + key, item);
                addIf(m, "timestamp", at);
                m.fields.emplace_back("mcp_id", FieldValue::of(*server));
                m.fields.emplace_back("status", FieldValue::of(*status));
                addIf(m, "endpoint", textOf(attrs.find("transport_type")));
                m.fields.emplace_back("detail", FieldValue::of("reported by " + service + " (session " + *session + ")" +
                                                               (textOf(attrs.find("error_code")) ? ": " + *textOf(attrs.find("error_code")) : std::string())));
                return;
            }
        }
    }
    const auto [prefix, otherName] = event.empty() ? otherAgentEvent(r) : std::pair<std::string_view, std::string>{};
    const std::string otherEvent = prefix.empty() ? std::string() : std::string(prefix) + otherName;
    if (session && !prefix.empty() &&
        mapOtherAgentEvent(b, attrs, *session, service, prefix, otherName, r, item, nanos,
                           "{\"event\":" + json::quote(otherEvent) + ",\"attributes\":" + attributesJson(r.attributes) + "}"))
        return;
    // Anything else: a log line with all it carried.
    const std::optional<std::string> thread = session ? std::optional<std::string>(b.thread(attrs, *session, service, nullptr, nanos)) : std::nullopt;
    auto& l = b.add("log", "", item);
    const std::string shownEvent = !event.empty() ? event : !otherEvent.empty() ? otherEvent : r.eventName;
    std::string fullContext = "{\"event\":" + json::quote(shownEvent) +
                              ",\"attributes\":" + attributesJson(r.attributes) + ",\"resource\":" + origin.attributes +
                              ",\"scope\":{\"name\":" + json::quote(origin.scope.name) + ",\"version\":" + json::quote(origin.scope.version) + "}";
    if (!r.traceId.empty()) fullContext += ",\"trace_id\":" + json::quote(r.traceId);
    if (!r.spanId.empty()) fullContext += ",\"span_id\":" + json::quote(r.spanId);
    if (!r.severityText.empty()) fullContext += ",\"severity_text\":" + json::quote(r.severityText);
    if (r.body.type != AnyValue::Type::String && r.body.type != AnyValue::Type::Empty) fullContext += ",\"body\":" + r.body.toJson();
    fullContext += "}";
    l.id = "L-" + hex64(fnv1a(fullContext, fnv1a(service + "\n" + std::to_string(nanos) + "\n" + r.body.toText())));
    addIf(l, "timestamp", at);
    l.fields.emplace_back("level", FieldValue::of(levelOf(r.severityNumber, r.severityText)));
    l.fields.emplace_back("service", FieldValue::of(service));
    addIf(l, "thread_id", thread);
    l.fields.emplace_back("mcp_id", FieldValue::of(service));
    std::string message = r.body.type == AnyValue::Type::String ? r.body.text : shownEvent;
    if (message.empty()) message = r.body.toText();
    l.fields.emplace_back("message", FieldValue::of(message));
    l.fields.emplace_back("context", FieldValue::of(fullContext));
}

bool isInference(const otlp::Span& s, const Scope2& attrs) {
    const auto op = textOf(attrs.find("gen_ai.operation.name")).value_or("");
    return op == "chat" || op == "text_completion" || op == "generate_content" || s.name == "claude_code.llm_request" ||
           s.name.rfind("chat ", 0) == 0;
}

bool isToolCall(const otlp::Span& s, const Scope2& attrs) {
    const auto op = textOf(attrs.find("gen_ai.operation.name")).value_or("");
    const auto method = textOf(attrs.find("mcp.method.name")).value_or("");
    return op == "execute_tool" || method == "tools/call" || s.name == "claude_code.tool" || s.name.rfind("execute_tool", 0) == 0;
}

const char* spanKindName(std::int32_t kind) {
    switch (kind) {
    case 1: return "internal";
    case 2: return "server";
    case 3: return "client";
    case 4: return "producer";
    case 5: return "consumer";
    default: return "unspecified";
    }
}

void mapSpan(Builder& b, const Origin& origin, const otlp::Span& s, std::size_t item) {
    const Scope2 attrs{s.attributes, origin.resource};
    const std::string& service = origin.service;
    const double durationMs = s.endTimeUnixNano > s.startTimeUnixNano ? double(s.endTimeUnixNano - s.startTimeUnixNano) / 1e6 : 0.0;
    const auto session = sessionOf(attrs);
    const std::optional<std::string> thread =
        session ? std::optional<std::string>(b.thread(attrs, *session, service, nullptr, s.startTimeUnixNano)) : std::nullopt;

    // Every span, whole: the trace's tree (GET /api/traces/{id}).
    auto& sp = b.add("span", "SP-" + s.traceId + "-" + s.spanId, item);
    sp.fields.emplace_back("trace_id", FieldValue::of(s.traceId));
    sp.fields.emplace_back("span_id", FieldValue::of(s.spanId));
    if (!s.parentSpanId.empty()) sp.fields.emplace_back("parent_span_id", FieldValue::of(s.parentSpanId));
    addIf(sp, "thread_id", thread);
    sp.fields.emplace_back("name", FieldValue::of(s.name.empty() ? std::string("(unnamed)") : s.name));
    sp.fields.emplace_back("kind", FieldValue::of(std::string(spanKindName(s.kind))));
    sp.fields.emplace_back("service", FieldValue::of(service));
    if (s.startTimeUnixNano) sp.fields.emplace_back("start_time", FieldValue::of(timestampOf(s.startTimeUnixNano)));
    if (s.endTimeUnixNano) sp.fields.emplace_back("end_time", FieldValue::of(timestampOf(s.endTimeUnixNano)));
    sp.fields.emplace_back("duration_ms", FieldValue::ofReal(durationMs));
    sp.fields.emplace_back("status", FieldValue::of(std::string(s.statusCode == 2 ? "error" : s.statusCode == 1 ? "ok" : "unset")));
    if (!s.statusMessage.empty()) sp.fields.emplace_back("status_message", FieldValue::of(s.statusMessage));
    sp.fields.emplace_back("attributes", FieldValue::of(attributesJson(s.attributes)));
    std::string events = "[";
    for (std::size_t i = 0; i < s.events.size(); ++i)
        events += (i ? "," : "") + std::string("{\"name\":") + json::quote(s.events[i].name) + ",\"time\":" +
                  json::quote(timestampOf(s.events[i].timeUnixNano)) + ",\"attributes\":" + attributesJson(s.events[i].attributes) + "}";
    sp.fields.emplace_back("events", FieldValue::of(events + "]"));
    sp.fields.emplace_back("resource", FieldValue::of(origin.stored));

    // Claude Code reports each model request and tool call as an event too (the steps come from
    // those, with its own sequence): its spans are not doubled into steps.
    if (!thread || service.rfind("claude-code", 0) == 0) return;
    auto& st = b.add("step", "S-" + s.traceId.substr(0, 8) + s.spanId, item);
    st.fields.emplace_back("thread_id", FieldValue::of(*thread));
    // Spans carry no sequence of their own: their start, in microseconds, orders them in the thread.
    st.fields.emplace_back("sequence", FieldValue::of(static_cast<std::int64_t>(s.startTimeUnixNano / 1000)));
    if (s.startTimeUnixNano) st.fields.emplace_back("timestamp", FieldValue::of(timestampOf(s.startTimeUnixNano)));
    st.fields.emplace_back("duration_ms", FieldValue::ofReal(durationMs));
    std::string type = "span";
    std::string description = s.name;
    std::string tool;
    if (textOf(attrs.find("gen_ai.operation.name")).value_or("") == "invoke_agent") {
        type = "agent_run";
    } else if (isInference(s, attrs)) {
        type = "llm_call";
        auto in = intOf(attrs.find("gen_ai.usage.input_tokens"));
        if (!in) in = intOf(attrs.find("input_tokens"));
        auto out = intOf(attrs.find("gen_ai.usage.output_tokens"));
        if (!out) out = intOf(attrs.find("output_tokens"));
        if (in || out) description += ": " + std::to_string(in.value_or(0)) + " in, " + std::to_string(out.value_or(0)) + " out tokens";
    } else if (isToolCall(s, attrs)) {
        type = "tool_call";
        tool = textOf(attrs.find("gen_ai.tool.name")).value_or(textOf(attrs.find("tool_name")).value_or(""));
    }
    st.fields.emplace_back("step_type", FieldValue::of(type));
    st.fields.emplace_back("description", FieldValue::of(description));
    // The span itself is in spans: the step names it (and the agent's id of a tool call, which joins a
    // call the agent made through the host's /mcp to this step).
    std::string stepDetails = "{\"trace_id\":" + json::quote(s.traceId) + ",\"span_id\":" + json::quote(s.spanId) +
                              ",\"span\":" + json::quote(s.name);
    if (type == "tool_call")
        if (auto callId = textOf(attrs.find("gen_ai.tool.call.id")); callId && !callId->empty())
            stepDetails += ",\"tool_use_id\":" + json::quote(*callId);
    st.fields.emplace_back("details", FieldValue::of(stepDetails + "}"));
    st.fields.emplace_back("status", FieldValue::of(std::string(s.statusCode == 2 ? "error" : "ok")));
    if (!tool.empty()) st.fields.emplace_back("tool", FieldValue::of(tool));
}

// ---- metrics ------------------------------------------------------------------------------------

const char* metricTypeName(otlp::Metric::Type type) {
    switch (type) {
    case otlp::Metric::Type::Gauge: return "gauge";
    case otlp::Metric::Type::Sum: return "sum";
    case otlp::Metric::Type::Histogram: return "histogram";
    case otlp::Metric::Type::ExponentialHistogram: return "exponential_histogram";
    case otlp::Metric::Type::Summary: return "summary";
    case otlp::Metric::Type::Empty: break;
    }
    return nullptr;
}

const char* temporalityName(otlp::Metric::Temporality t) {
    return t == otlp::Metric::Temporality::Delta ? "delta" : t == otlp::Metric::Temporality::Cumulative ? "cumulative" : "unspecified";
}

// The usage a token or cost counter adds to (the catalog's metric.usage), or nullptr. Claude Code:
// claude_code.token.usage{type=input|output|cacheRead|cacheCreation}, claude_code.cost.usage (USD);
// Gemini CLI: gemini_cli.token.usage{type=input|output|cache}; the GenAI conventions:
// gen_ai.client.token.usage{gen_ai.token.type=input|output} (a histogram: its sum adds up).
const char* usageOf(const otlp::Metric& m, const Scope2& attrs) {
    const bool claude = m.name == "claude_code.token.usage", gemini = m.name == "gemini_cli.token.usage";
    if (m.name == "claude_code.cost.usage" || m.name == "gemini_cli.cost.usage") return "cost_usd";
    std::string type;
    if (claude || gemini) type = textOf(attrs.find("type")).value_or("");
    else if (m.name == "gen_ai.client.token.usage") type = textOf(attrs.find("gen_ai.token.type")).value_or("");
    else return nullptr;
    if (type == "input") return "input_tokens";
    if (type == "output") return "output_tokens";
    if (type == "cacheRead" || type == "cache_read" || (gemini && type == "cache")) return "cache_read_tokens";
    if (type == "cacheCreation" || type == "cache_creation") return "cache_creation_tokens";
    return nullptr;
}

std::string numberJson(double d) {
    if (!std::isfinite(d)) return "null";
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", d);
    return text;
}

void mapMetricPoint(Builder& b, const Origin& origin, const otlp::Metric& m, const otlp::MetricPoint& p, std::size_t item,
                    CumulativeSeries& cumulative, std::vector<RememberedPoint>& journal) {
    const Scope2 attrs{p.attributes, origin.resource};
    const std::string& service = origin.service;
    const std::string attributes = attributesJson(p.attributes);
    const auto session = sessionOf(attrs);
    const std::uint64_t at = p.timeUnixNano ? p.timeUnixNano : p.startTimeUnixNano;
    const std::optional<std::string> thread =
        session ? std::optional<std::string>(b.thread(attrs, *session, service, nullptr, p.startTimeUnixNano ? p.startTimeUnixNano : at))
                : std::nullopt;

    // The same point sent again (an exporter's retry) has the same id: stored once.
    const std::string series = service + '\n' + origin.attributes + '\n' + origin.scope.name + '\n' + m.name + '\n' + attributes;
    auto& r = b.add("metric", "MP-" + hex64(fnv1a(std::to_string(p.startTimeUnixNano) + ':' + std::to_string(p.timeUnixNano), fnv1a(series))), item);
    r.fields.emplace_back("name", FieldValue::of(m.name));
    addIf(r, "thread_id", thread);
    r.fields.emplace_back("service", FieldValue::of(service));
    r.fields.emplace_back("metric_type", FieldValue::of(std::string(metricTypeName(m.type))));
    if (!m.unit.empty()) r.fields.emplace_back("unit", FieldValue::of(m.unit));
    r.fields.emplace_back("temporality", FieldValue::of(std::string(temporalityName(m.temporality))));
    if (m.type == otlp::Metric::Type::Sum) r.fields.emplace_back("monotonic", FieldValue::of(std::int64_t(m.monotonic ? 1 : 0)));
    if (p.startTimeUnixNano) r.fields.emplace_back("start_time", FieldValue::of(timestampOf(p.startTimeUnixNano)));
    if (at) r.fields.emplace_back("timestamp", FieldValue::of(timestampOf(at)));

    // What the point adds: a monotonic sum's value (delta) or its growth (cumulative); a histogram's
    // sum likewise. Gauges and up-down sums add nothing.
    std::optional<double> total;
    const bool number = m.type == otlp::Metric::Type::Gauge || m.type == otlp::Metric::Type::Sum;
    if (number) {
        if (std::isfinite(p.value)) r.fields.emplace_back("value", FieldValue::ofReal(p.value));
        if (m.type == otlp::Metric::Type::Sum && m.monotonic) total = p.value;
    } else {
        r.fields.emplace_back("count", FieldValue::of(static_cast<std::int64_t>(std::min<std::uint64_t>(p.count, INT64_MAX))));
        if (p.hasSum && std::isfinite(p.sum)) {
            r.fields.emplace_back("sum", FieldValue::ofReal(p.sum));
            if (m.type != otlp::Metric::Type::Summary) total = p.sum;
        }
        if (p.hasMin && std::isfinite(p.min)) r.fields.emplace_back("min", FieldValue::ofReal(p.min));
        if (p.hasMax && std::isfinite(p.max)) r.fields.emplace_back("max", FieldValue::ofReal(p.max));
        if (!p.bucketCounts.empty()) {
            std::string buckets = "{\"bounds\":[";
            for (std::size_t i = 0; i < p.explicitBounds.size(); ++i) buckets += (i ? "," : "") + numberJson(p.explicitBounds[i]);
            buckets += "],\"counts\":[";
            for (std::size_t i = 0; i < p.bucketCounts.size(); ++i) buckets += (i ? "," : "") + std::to_string(p.bucketCounts[i]);
            r.fields.emplace_back("buckets", FieldValue::of(buckets + "]}"));
        }
    }
    if (total && std::isfinite(*total)) {
        const double increment = m.temporality == otlp::Metric::Temporality::Cumulative
                                     ? cumulative.advance(series, p.startTimeUnixNano, *total, journal)
                                     : *total;
        r.fields.emplace_back("increment", FieldValue::ofReal(increment));
        if (const char* usage = usageOf(m, attrs)) {
            r.fields.emplace_back("usage", FieldValue::of(std::string(usage)));
            auto model = textOf(attrs.find("model"));
            if (!model) model = textOf(attrs.find("gen_ai.response.model"));
            if (!model) model = textOf(attrs.find("gen_ai.request.model"));
            addIf(r, "model", model);
        }
    }
    r.fields.emplace_back("attributes", FieldValue::of(attributes));
    r.fields.emplace_back("resource", FieldValue::of(origin.stored));
}

} // namespace

double CumulativeSeries::advance(const std::string& series, std::uint64_t startUnixNano, double total,
                                 std::vector<RememberedPoint>& journal) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = series_.find(series);
    RememberedPoint note{series, found != series_.end(), startUnixNano, 0, total, 0};
    double increment = total;
    if (found != series_.end()) {
        note.previousStart = found->second.start;
        note.previousTotal = found->second.total;
        if (found->second.start == startUnixNano && total >= found->second.total) increment = total - found->second.total;
    } else if (series_.size() >= capacity_) {
        // Forget the older half: each entry's order says when it was last advanced.
        std::vector<std::uint64_t> orders;
        orders.reserve(series_.size());
        for (const auto& [key, last] : series_) orders.push_back(last.order);
        std::nth_element(orders.begin(), orders.begin() + static_cast<std::ptrdiff_t>(orders.size() / 2), orders.end());
        const std::uint64_t median = orders[orders.size() / 2];
        for (auto it = series_.begin(); it != series_.end();) it = it->second.order < median ? series_.erase(it) : std::next(it);
    }
    series_[series] = Last{startUnixNano, total, ++clock_};
    journal.push_back(std::move(note));
    return increment;
}

void CumulativeSeries::undo(const std::vector<RememberedPoint>& journal) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto note = journal.rbegin(); note != journal.rend(); ++note) {
        auto found = series_.find(note->series);
        if (found == series_.end() || found->second.start != note->start || found->second.total != note->total) continue;
        if (note->existed) found->second = Last{note->previousStart, note->previousTotal, found->second.order};
        else series_.erase(found);
    }
}

std::size_t CumulativeSeries::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return series_.size();
}

Mapped mapMetrics(const otlp::MetricsRequest& request, CumulativeSeries& cumulative) {
    Mapped out;
    Builder b(out);
    for (const auto& resource : request.resources)
        for (const auto& scope : resource.scopes) {
            const Origin origin(resource.resource, scope.scope);
            for (const auto& metric : scope.metrics) {
                if (!metricTypeName(metric.type)) continue; // a metric without data has no points
                for (const auto& point : metric.points) mapMetricPoint(b, origin, metric, point, out.items++, cumulative, out.remembered);
            }
        }
    return out;
}

Mapped mapLogs(const otlp::LogsRequest& request) {
    Mapped out;
    Builder b(out);
    for (const auto& resource : request.resources)
        for (const auto& scope : resource.scopes) {
            const Origin origin(resource.resource, scope.scope);
            for (const auto& record : scope.records) mapLogRecord(b, origin, record, out.items++);
        }
    return out;
}

Mapped mapTraces(const otlp::TracesRequest& request) {
    Mapped out;
    Builder b(out);
    for (const auto& resource : request.resources)
        for (const auto& scope : resource.scopes) {
            const Origin origin(resource.resource, scope.scope);
            for (const auto& span : scope.spans) mapSpan(b, origin, span, out.items++);
        }
    return out;
}

void noteSender(Mapped& mapped, std::string_view principal) {
    if (principal.empty()) return;
    for (auto& record : mapped.records) {
        if (record.kind != "thread") continue;
        for (auto& [name, value] : record.fields)
            if (name == "execution_context" && value.text.size() >= 2 && value.text.back() == '}')
                value.text.insert(value.text.size() - 1, ",\"sent_by\":" + json::quote(principal));
    }
}

AbiBatch toAbi(const std::vector<MappedRecord>& records) {
    AbiBatch batch;
    batch.records.reserve(records.size());
    batch.values.resize(records.size());
    batch.present.resize(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        const auto* spec = mc::records::findKind(r.kind);
        if (!spec) throw std::logic_error("the mapping made a record of unknown kind '" + r.kind + "'");
        auto& values = batch.values[i];
        auto& present = batch.present[i];
        values.assign(spec->fields.size(), mc_value{MC_VALUE_NULL, 0, 0, {nullptr, 0}});
        present.assign(spec->fields.size(), 0);
        for (const auto& [name, value] : r.fields) {
            std::size_t f = 0;
            while (f < spec->fields.size() && spec->fields[f].jsonName != name) ++f;
            if (f == spec->fields.size()) throw std::logic_error("the mapping set '" + name + "', not a field of " + r.kind);
            mc_value& v = values[f];
            switch (value.type) {
            case FieldValue::Type::Null: v.type = MC_VALUE_NULL; break;
            case FieldValue::Type::Int: v.type = MC_VALUE_INT; v.integer = value.integer; break;
            case FieldValue::Type::Real: v.type = MC_VALUE_REAL; v.real = value.real; break;
            case FieldValue::Type::Text: v.type = MC_VALUE_TEXT; v.text = mc_str{value.text.data(), value.text.size()}; break;
            }
            present[f] = 1;
        }
        batch.records.push_back(mc_record{sizeof(mc_record), {r.kind.data(), r.kind.size()}, {r.id.data(), r.id.size()},
                                          values.data(), present.data(), values.size()});
    }
    return batch;
}

} // namespace mc::receiver_otlp
