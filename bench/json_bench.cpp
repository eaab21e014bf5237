// Which JSON parser for the one parse an event gets at the edge (issue 11)? Parses the same ingest
// bodies ({"events":[...]} of log events shaped like mc-loadgen's) with Poco's parser, the host's
// json::parse (util/JsonParse.cpp: the same Poco tree, built after one strict scan), nlohmann/json
// and simdjson (DOM and On-Demand), each reading every field of every event the way normalization
// does (strings as text, numbers as numbers, the context object kept as its JSON text), in
// alternating rounds in one run. Also reports which of them refuse bytes that are not
// UTF-8, since the host must (WebSocket text frames and stored text are UTF-8).
//
//   build/bin/mc-bench-json [--events 100] [--bodies 200] [--rounds 5]
#include "BenchFlags.h"
#include "util/Json.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string body(std::size_t events, std::size_t seed) {
    std::string out = "{\"events\":[";
    for (std::size_t i = 0; i < events; ++i) {
        const std::size_t n = seed * events + i;
        if (i) out += ',';
        out += "{\"type\":\"log\",\"id\":\"L-" + std::to_string(n) +
               "\",\"timestamp\":\"2026-12-01T21:00:00.123456Z\",\"level\":\"INFO\",\"service\":\"agent-" +
               std::to_string(n % 7) + "\",\"mcp_id\":\"server-" + std::to_string(n % 3) +
               "\",\"thread_id\":\"T-" + std::to_string(n % 50) +
               "\",\"message\":\"tool call finished: read_file /srv/project/src/module_" + std::to_string(n % 97) +
               ".py in 12.5 ms (\\u00e9t\\u00e9, 3 retries)\",\"context\":{\"attempt\":" + std::to_string(n % 4) +
               ",\"duration_ms\":12.5,\"ok\":true,\"tags\":[\"fs\",\"read\"]}}";
    }
    return out + "]}";
}

// What each parser hands normalization: the fields, read.
struct Sink {
    std::size_t bytes = 0;
    std::size_t events = 0;
    void text(std::string_view s) { bytes += s.size(); }
    void number(double d) { bytes += static_cast<std::size_t>(d) & 1u; }
};

// The host reads a parsed tree alike whoever built it.
void readTree(const Poco::JSON::Object::Ptr& root, Sink& sink) {
    auto events = root->getArray("events");
    for (std::size_t i = 0; i < events->size(); ++i) {
        auto e = events->getObject(static_cast<unsigned>(i));
        for (const char* f : {"type", "id", "timestamp", "level", "service", "mcp_id", "thread_id", "message"})
            sink.text(e->getValue<std::string>(f));
        std::ostringstream context;
        Poco::JSON::Stringifier::condense(e->get("context"), context);
        sink.text(context.str());
        ++sink.events;
    }
}

void viaPoco(const std::string& json, Sink& sink) {
    Poco::JSON::Parser parser;
    readTree(parser.parse(json).extract<Poco::JSON::Object::Ptr>(), sink);
}

void viaHost(const std::string& json, Sink& sink) { readTree(mc::host::json::parseObject(json), sink); }

void viaNlohmann(const std::string& json, Sink& sink) {
    const auto root = nlohmann::json::parse(json);
    for (const auto& e : root.at("events")) {
        for (const char* f : {"type", "id", "timestamp", "level", "service", "mcp_id", "thread_id", "message"})
            sink.text(e.at(f).get_ref<const std::string&>());
        sink.text(e.at("context").dump());
        ++sink.events;
    }
}

void viaSimdjsonDom(simdjson::dom::parser& parser, const simdjson::padded_string& json, Sink& sink) {
    simdjson::dom::element root = parser.parse(json);
    for (simdjson::dom::object e : root["events"].get_array()) {
        for (const char* f : {"type", "id", "timestamp", "level", "service", "mcp_id", "thread_id", "message"})
            sink.text(std::string_view(e[f]));
        sink.text(simdjson::minify(e["context"]));
        ++sink.events;
    }
}

void viaSimdjsonOnDemand(simdjson::ondemand::parser& parser, const simdjson::padded_string& json, Sink& sink) {
    simdjson::ondemand::document doc = parser.iterate(json);
    for (simdjson::ondemand::object e : doc["events"].get_array()) {
        // Fields in any order, each read once, as a normalizer walking an object would.
        for (auto field : e) {
            const std::string_view key = field.unescaped_key();
            if (key == "context") {
                sink.text(std::string_view(simdjson::to_json_string(field.value())));
            } else {
                sink.text(std::string_view(field.value().get_string()));
            }
        }
        ++sink.events;
    }
}

struct Contender {
    const char* name;
    std::function<void(std::size_t, Sink&)> run; // parses body i
    double bestNsPerEvent = 1e300;
    std::size_t events = 0;
};

} // namespace

int main(int argc, char** argv) {
    const std::size_t eventsPerBody = mc::bench::countFlag(argc, argv, "--events", 100);
    const std::size_t bodyCount = mc::bench::countFlag(argc, argv, "--bodies", 200);
    const std::size_t rounds = mc::bench::countFlag(argc, argv, "--rounds", 5);

    std::vector<std::string> bodies;
    std::vector<simdjson::padded_string> padded;
    std::size_t totalBytes = 0;
    for (std::size_t i = 0; i < bodyCount; ++i) {
        bodies.push_back(body(eventsPerBody, i));
        padded.emplace_back(bodies.back());
        totalBytes += bodies.back().size();
    }
    simdjson::dom::parser domParser;
    simdjson::ondemand::parser onDemandParser;

    std::vector<Contender> contenders = {
        {"poco", [&](std::size_t i, Sink& s) { viaPoco(bodies[i], s); }},
        {"host json::parse", [&](std::size_t i, Sink& s) { viaHost(bodies[i], s); }},
        {"nlohmann/json 3.11", [&](std::size_t i, Sink& s) { viaNlohmann(bodies[i], s); }},
        {"simdjson 3.0 DOM", [&](std::size_t i, Sink& s) { viaSimdjsonDom(domParser, padded[i], s); }},
        {"simdjson 3.0 On-Demand", [&](std::size_t i, Sink& s) { viaSimdjsonOnDemand(onDemandParser, padded[i], s); }},
    };
    for (std::size_t round = 0; round < rounds; ++round) {
        for (auto& c : contenders) {
            Sink sink;
            const auto started = Clock::now();
            for (std::size_t i = 0; i < bodyCount; ++i) c.run(i, sink);
            const double ns = std::chrono::duration<double, std::nano>(Clock::now() - started).count();
            if (sink.events != bodyCount * eventsPerBody) {
                std::fprintf(stderr, "%s read %zu events, expected %zu\n", c.name, sink.events, bodyCount * eventsPerBody);
                return 1;
            }
            c.bestNsPerEvent = std::min(c.bestNsPerEvent, ns / static_cast<double>(sink.events));
            c.events = sink.events;
        }
    }

    // Bytes that are not UTF-8 inside a string: refused or passed on?
    const std::string invalid = "{\"events\":[{\"type\":\"log\",\"message\":\"bad \xff\xfe byte\"}]}";
    auto refuses = [&](const std::function<void()>& parse) {
        try {
            parse();
            return false;
        } catch (...) {
            return true;
        }
    };
    const bool pocoRefuses = refuses([&] { Poco::JSON::Parser().parse(invalid); });
    const bool nlohmannRefuses = refuses([&] { const auto parsed = nlohmann::json::parse(invalid); (void)parsed; });
    const simdjson::padded_string invalidPadded(invalid);
    const bool simdjsonRefuses = refuses([&] { simdjson::dom::element e = domParser.parse(invalidPadded); (void)e; });

    const double mbPerEvent = static_cast<double>(totalBytes) / static_cast<double>(bodyCount * eventsPerBody) / 1e6;
    std::printf("JSON parse of ingest bodies: %zu bodies x %zu log events (%.0f bytes per event), best of %zu rounds\n",
                bodyCount, eventsPerBody, mbPerEvent * 1e6, rounds);
    std::printf("%-24s %12s %14s %10s %s\n", "parser", "ns/event", "events/s", "MB/s", "vs poco");
    const double poco = contenders.front().bestNsPerEvent;
    for (const auto& c : contenders)
        std::printf("%-24s %12.0f %14.0f %10.0f %6.1fx\n", c.name, c.bestNsPerEvent, 1e9 / c.bestNsPerEvent,
                    mbPerEvent / (c.bestNsPerEvent / 1e9), poco / c.bestNsPerEvent);
    std::printf("simdjson kernels: DOM chooses at run time (%s here), On-Demand is compiled in (%s: this build's "
                "target flags)\n",
                simdjson::get_active_implementation()->name().c_str(), SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
    std::printf("invalid UTF-8 in a string: poco %s, nlohmann %s, simdjson %s\n", pocoRefuses ? "refuses" : "accepts",
                nlohmannRefuses ? "refuses" : "accepts", simdjsonRefuses ? "refuses" : "accepts");
    return 0;
}
