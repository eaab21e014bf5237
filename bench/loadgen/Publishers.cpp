#include "Publishers.h"

#include "HttpConnection.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace mc::loadgen {

namespace {

// The number after "accepted": (JSON spaced or not), or -1.
long long acceptedCount(const std::string& body) {
    const auto at = body.find("\"accepted\"");
    if (at == std::string::npos) return -1;
    std::size_t p = at + 10;
    while (p < body.size() && (body[p] == ' ' || body[p] == ':')) ++p;
    if (p >= body.size() || body[p] < '0' || body[p] > '9') return -1;
    return std::strtoll(body.c_str() + p, nullptr, 10);
}

struct Shared {
    explicit Shared(const PublishPlan& p) : plan(p) {}
    const PublishPlan& plan;
    std::atomic<std::uint64_t> nextBatch{0};
    SteadyClock::time_point start;
    SteadyClock::time_point stopAt;
    std::mutex mutex;
    PublishResult result;
    SteadyClock::time_point lastAnswer;
};

void runPublisher(Shared& shared) {
    const PublishPlan& plan = shared.plan;
    HttpConnection connection(plan.host, plan.port);
    PublishResult local;
    std::vector<std::pair<std::uint64_t, std::size_t>> ackedRanges;
    SteadyClock::time_point lastAnswer = shared.start;
    std::string body;
    for (;;) {
        const std::uint64_t k = shared.nextBatch.fetch_add(1);
        const std::uint64_t first = k * plan.batch;
        if (plan.events && first >= plan.events) break;
        const std::size_t count = plan.events ? std::min<std::uint64_t>(plan.batch, plan.events - first) : plan.batch;
        if (plan.rate > 0) {
            const auto due = shared.start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                                 static_cast<double>(first) / plan.rate * 1e9));
            if (!plan.events && due >= shared.stopAt) break;
            std::this_thread::sleep_until(due);
            local.lateNs = std::max<std::int64_t>(local.lateNs, (SteadyClock::now() - due).count());
        } else if (!plan.events && SteadyClock::now() >= shared.stopAt) {
            break;
        }
        for (;;) {
            appendBatchBody(body, plan.runId, first, count, steadyNanos());
            const HttpReply reply = connection.post("/api/ingest", "application/json", body);
            lastAnswer = SteadyClock::now();
            ++local.requests;
            if (reply.status == 503) { // the server asks us to slow down: the batch is not lost
                ++local.retried;
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            local.sent += count;
            const long long accepted = reply.status == 200 ? acceptedCount(reply.body) : -1;
            if (accepted == static_cast<long long>(count)) {
                local.acked += count;
                ackedRanges.emplace_back(first, count);
            } else {
                ++local.errors;
                if (local.firstError.empty())
                    local.firstError = reply.status ? "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200)
                                                    : reply.error;
            }
            break;
        }
    }
    std::lock_guard lock(shared.mutex);
    PublishResult& r = shared.result;
    for (const auto& [first, count] : ackedRanges)
        for (std::size_t i = 0; i < count; ++i) r.acknowledged.insert(first + i);
    r.sent += local.sent;
    r.acked += local.acked;
    r.requests += local.requests;
    r.retried += local.retried;
    r.errors += local.errors;
    r.lateNs = std::max(r.lateNs, local.lateNs);
    if (r.firstError.empty()) r.firstError = local.firstError;
    shared.lastAnswer = std::max(shared.lastAnswer, lastAnswer);
}

} // namespace

PublishResult publish(const PublishPlan& plan) {
    Shared shared(plan);
    shared.start = SteadyClock::now();
    shared.stopAt = shared.start + std::chrono::nanoseconds(static_cast<std::int64_t>(plan.seconds * 1e9));
    shared.lastAnswer = shared.start;
    std::vector<std::thread> publishers;
    for (std::size_t c = 0; c < plan.clients; ++c) publishers.emplace_back([&shared] { runPublisher(shared); });
    for (auto& t : publishers) t.join();
    shared.result.seconds = std::chrono::duration<double>(shared.lastAnswer - shared.start).count();
    return std::move(shared.result);
}

} // namespace mc::loadgen
