// mc-loadgen: load any server that speaks the seed's protocol (POST /api/ingest + WebSocket
// subscribers on logs:*) and measure what comes out. See bench/README.md.
//
//   mc-loadgen --url http://127.0.0.1:PORT [--subscribers 50] [--clients 16] [--batch 100]
//              [--rate EVENTS_PER_S (0 = flat out)] [--seconds S | --events M] [--drain-seconds D]
//              [--reader-threads T] [--channel logs:*] [--server-pid PID] [--json] [--allow-loss]
// Exit code: 0 when every acknowledged event reached every subscriber, 2 when one did not (or
// nothing was acknowledged), 1 when the set-up failed.
#include "Publishers.h"
#include "Subscribers.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

using namespace mc::loadgen;

namespace {

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;
    std::string url = "http://127.0.0.1:8000";
    std::string channel = "logs:*";
    std::vector<Endpoint> subscribeTo; // --subscribe-urls; default: --url
    std::size_t subscribers = 50;
    std::size_t readerThreads = 1;
    double drainSeconds = 10;
    long serverPid = 0;           // its CPU use over the run is reported too
    bool json = false;
    bool allowLoss = false;
    PublishPlan plan;
};

[[noreturn]] void usage(const char* problem) {
    std::fprintf(stderr,
                 "mc-loadgen: %s\nusage: mc-loadgen --url http://127.0.0.1:PORT [--subscribers N] [--clients C] [--batch B]\n"
                 "       [--rate EVENTS_PER_S] [--seconds S | --events M] [--drain-seconds D] [--reader-threads T]\n"
                 "       [--channel NAME] [--server-pid PID] [--json] [--allow-loss]\n"
                 "       [--subscribe-urls http://127.0.0.1:P1,http://127.0.0.1:P2,...]  (subscribers spread over them)\n",
                 problem);
    std::exit(1);
}

// Loopback HTTP only: http://IPv4:PORT with an optional trailing slash.
Endpoint endpointOf(const std::string& url, const char* option) {
    const std::string prefix = "http://";
    if (url.compare(0, prefix.size(), prefix) != 0) usage((std::string(option) + " must start with http://").c_str());
    std::string rest = url.substr(prefix.size());
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos) usage((std::string(option) + " needs a port: http://127.0.0.1:PORT").c_str());
    return Endpoint{rest.substr(0, colon), static_cast<std::uint16_t>(std::stoul(rest.substr(colon + 1)))};
}

Options parse(int argc, char** argv) {
    Options o;
    std::string subscribeUrls;
    for (int i = 1; i < argc; ++i) {
        const std::string name = argv[i];
        if (name == "--json") { o.json = true; continue; }
        if (name == "--allow-loss") { o.allowLoss = true; continue; }
        if (name == "--help" || name == "-h") usage("measures ingest and live delivery of a server");
        if (i + 1 >= argc) usage(("missing value for " + name).c_str());
        const std::string value = argv[++i];
        if (name == "--url") o.url = value;
        else if (name == "--subscribers") o.subscribers = std::stoul(value);
        else if (name == "--clients") o.plan.clients = std::stoul(value);
        else if (name == "--batch") o.plan.batch = std::stoul(value);
        else if (name == "--rate") o.plan.rate = std::stod(value);
        else if (name == "--seconds") o.plan.seconds = std::stod(value);
        else if (name == "--events") o.plan.events = std::stoull(value);
        else if (name == "--drain-seconds") o.drainSeconds = std::stod(value);
        else if (name == "--reader-threads") o.readerThreads = std::stoul(value);
        else if (name == "--channel") o.channel = value;
        else if (name == "--subscribe-urls") subscribeUrls = value;
        else if (name == "--server-pid") o.serverPid = std::stol(value);
        else usage(("unknown option " + name).c_str());
    }
    const Endpoint ingest = endpointOf(o.url, "--url");
    o.host = ingest.host;
    o.port = ingest.port;
    for (std::size_t at = 0; at < subscribeUrls.size();) {
        const std::size_t comma = std::min(subscribeUrls.find(',', at), subscribeUrls.size());
        o.subscribeTo.push_back(endpointOf(subscribeUrls.substr(at, comma - at), "--subscribe-urls"));
        at = comma + 1;
    }
    if (o.subscribeTo.empty()) o.subscribeTo.push_back(ingest);
    if (o.plan.clients == 0 || o.plan.batch == 0) usage("--clients and --batch must be at least 1");
    o.plan.host = o.host;
    o.plan.port = o.port;
    o.plan.runId = std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
    return o;
}

double cpuSeconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU seconds (user + system, all threads) a process used so far, or -1 when it cannot be read.
double processCpuSeconds(long pid) {
    if (pid <= 0) return -1;
    std::FILE* file = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!file) return -1;
    char text[1024];
    const std::size_t n = std::fread(text, 1, sizeof text - 1, file);
    std::fclose(file);
    text[n] = '\0';
    const char* fields = std::strrchr(text, ')'); // the command name may hold spaces
    unsigned long long user = 0, system = 0;
    if (!fields || std::sscanf(fields + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user, &system) != 2) return -1;
    return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Losses {
    std::uint64_t deliveries = 0; // (event, subscriber) pairs acknowledged but not received
    std::uint64_t events = 0;     // acknowledged events some subscriber did not receive
};

Losses countLosses(const SeqBitmap& acknowledged, const SubscriberFleet& fleet) {
    Losses losses;
    acknowledged.forEach([&](std::uint64_t seq) {
        std::uint64_t missing = 0;
        for (const auto& s : fleet.subscriptions()) missing += s->received.contains(seq) ? 0 : 1;
        losses.deliveries += missing;
        losses.events += missing ? 1 : 0;
    });
    return losses;
}

// Waits until every acknowledged event reached every subscriber, nothing arrived for two seconds,
// or `limit` seconds passed; returns the seconds waited.
double drain(const SubscriberFleet& fleet, std::uint64_t expected, double limit) {
    const auto start = SteadyClock::now();
    std::uint64_t seen = fleet.delivered();
    auto lastProgress = start;
    while (seen < expected) {
        const auto now = SteadyClock::now();
        if (now - start >= std::chrono::duration<double>(limit) || now - lastProgress >= std::chrono::seconds(2)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const std::uint64_t current = fleet.delivered();
        if (current != seen) lastProgress = SteadyClock::now();
        seen = current;
    }
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const Options o = parse(argc, argv);

    SubscriberFleet fleet(o.subscribeTo, o.channel);
    std::string error;
    if (!fleet.connect(o.subscribers, error)) {
        std::fprintf(stderr, "mc-loadgen: %s: %s\n", o.url.c_str(), error.c_str());
        return 1;
    }
    fleet.start(o.readerThreads);

    const double cpuBefore = cpuSeconds();
    const double serverCpuBefore = processCpuSeconds(o.serverPid);
    const auto started = SteadyClock::now();
    const std::int64_t startedNs = steadyNanos();
    const PublishResult published = publish(o.plan);
    const double drained = drain(fleet, published.acked * o.subscribers, o.drainSeconds);
    fleet.stop();
    const double cpuUsed = cpuSeconds() - cpuBefore;
    const double serverCpuAfter = processCpuSeconds(o.serverPid);

    // Delivery rate over the time from the first send to the last delivery (queues drained).
    const std::int64_t lastDelivery = fleet.lastDeliveryNs();
    const double deliverySeconds =
        lastDelivery ? static_cast<double>(lastDelivery - startedNs) / 1e9 : 0.0;
    const double wallSeconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
    const std::uint64_t delivered = fleet.delivered();
    const LatencyHistogram latency = fleet.latency();
    const Losses lost = countLosses(published.acknowledged, fleet);
    const double ingestRate = published.seconds > 0 ? published.acked / published.seconds : 0;
    const double deliveryRate = deliverySeconds > 0 ? delivered / deliverySeconds : 0;
    const double cpuPercent = wallSeconds > 0 ? 100.0 * cpuUsed / wallSeconds : 0;
    const double serverCpuPercent = serverCpuBefore >= 0 && serverCpuAfter >= 0 && wallSeconds > 0
                                        ? 100.0 * (serverCpuAfter - serverCpuBefore) / wallSeconds
                                        : -1;
    const std::uint64_t errors = published.errors + fleet.disconnects() + fleet.duplicates();

    char line[1024];
    std::snprintf(line, sizeof line,
                  "mc-loadgen %s: rate %s, %zu clients x %zu, %zu subscribers: ingest %.0f events/s (%llu acked in %.2f s), "
                  "delivered %.0f msgs/s (%llu), latency p50 %.2f ms p99 %.2f ms max %.2f ms, lost %llu (%llu events), "
                  "errors %llu, 503 retries %llu, drain %.1f s, loadgen cpu %.0f%% of one core%s",
                  o.url.c_str(), o.plan.rate > 0 ? std::to_string(static_cast<long long>(o.plan.rate)).c_str() : "flat out",
                  o.plan.clients, o.plan.batch, o.subscribers, ingestRate, static_cast<unsigned long long>(published.acked),
                  published.seconds, deliveryRate, static_cast<unsigned long long>(delivered), latency.percentileMs(0.5),
                  latency.percentileMs(0.99), latency.maxMs(), static_cast<unsigned long long>(lost.deliveries),
                  static_cast<unsigned long long>(lost.events), static_cast<unsigned long long>(errors),
                  static_cast<unsigned long long>(published.retried), drained, cpuPercent,
                  serverCpuPercent >= 0 ? (", server cpu " + std::to_string(static_cast<int>(serverCpuPercent)) + "%").c_str() : "");
    std::fprintf(o.json ? stderr : stdout, "%s\n", line);
    if (!published.firstError.empty()) std::fprintf(stderr, "first ingest error: %s\n", published.firstError.c_str());
    if (fleet.disconnects()) std::fprintf(stderr, "subscriber closed: %s\n", fleet.firstCloseReason().c_str());
    if (o.json) {
        std::printf("{\"url\":\"%s\",\"rate\":%.0f,\"clients\":%zu,\"batch\":%zu,\"subscribers\":%zu,"
                    "\"sent_events\":%llu,\"acked_events\":%llu,\"ingest_seconds\":%.3f,\"ingest_events_per_s\":%.1f,"
                    "\"delivered\":%llu,\"delivered_msgs_per_s\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
                    "\"p99\":%.3f,\"max\":%.3f},\"lost_deliveries\":%llu,\"lost_events\":%llu,\"errors\":%llu,"
                    "\"ingest_errors\":%llu,\"subscriber_disconnects\":%llu,\"duplicates\":%llu,\"retried_503\":%llu,"
                    "\"requests\":%llu,\"max_schedule_lag_ms\":%.1f,\"drain_seconds\":%.2f,\"loadgen_cpu_percent\":%.1f,"
                    "\"server_cpu_percent\":%.1f}\n",
                    o.url.c_str(), o.plan.rate, o.plan.clients, o.plan.batch, o.subscribers,
                    static_cast<unsigned long long>(published.sent), static_cast<unsigned long long>(published.acked),
                    published.seconds, ingestRate, static_cast<unsigned long long>(delivered), deliveryRate,
                    latency.percentileMs(0.5), latency.percentileMs(0.9), latency.percentileMs(0.99), latency.maxMs(),
                    static_cast<unsigned long long>(lost.deliveries), static_cast<unsigned long long>(lost.events),
                    static_cast<unsigned long long>(errors), static_cast<unsigned long long>(published.errors),
                    static_cast<unsigned long long>(fleet.disconnects()),
                    static_cast<unsigned long long>(fleet.duplicates()),
                    static_cast<unsigned long long>(published.retried),
                    static_cast<unsigned long long>(published.requests), published.lateNs / 1e6, drained, cpuPercent,
                    serverCpuPercent);
    }
    const bool lossy = lost.deliveries > 0 || published.acked == 0;
    return lossy && !o.allowLoss ? 2 : 0;
}
