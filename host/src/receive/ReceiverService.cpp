#include "receive/ReceiverService.h"

#include "log/Logging.h"
#include "mc/abi_text.hpp"
#include "mc/records/JsonText.h"
#include "mc/records/RecordAbi.h"
#include "util/Clock.h"
#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <atomic>
#include <cstring>
#include <utility>
#include <stdexcept>

namespace mc::host {
namespace {


// What mc_receiver_vtable.routes wrote, read strictly: a receiver that declares nonsense does not start.
void readRoutes(const std::string& pluginId, const std::string& text, std::vector<ReceiverRoute>& routes,
                std::vector<std::string>& listen) {
    const auto fail = [&](const std::string& why) {
        throw std::runtime_error("receiver '" + pluginId + "': routes() " + why);
    };
    Poco::Dynamic::Var parsed;
    try {
        parsed = json::parse(text);
    } catch (const Poco::Exception& e) {
        fail("wrote no JSON (" + e.displayText() + ")");
    }
    const auto root = parsed.type() == typeid(Poco::JSON::Object::Ptr) ? parsed.extract<Poco::JSON::Object::Ptr>() : nullptr;
    if (!root) fail("wrote no JSON object");
    const auto list = root->getArray("routes");
    if (!list || list->size() == 0) fail("declares no routes");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto r = list->getObject(static_cast<unsigned>(i));
        if (!r || !r->has("path") || !r->get("path").isString()) fail("route " + std::to_string(i) + " has no path");
        ReceiverRoute route;
        route.method = r->optValue<std::string>("method", "POST");
        route.path = r->getValue<std::string>("path");
        if (route.path.empty() || route.path[0] != '/' || route.path.rfind("/api/", 0) == 0 || route.path == "/ws" ||
            route.path == "/health")
            fail("route '" + route.path + "' is not a path a receiver may serve (one of its own, outside /api and /ws)");
        if (const auto types = r->getArray("media_types"))
            for (std::size_t k = 0; k < types->size(); ++k) route.mediaTypes.push_back(types->getElement<std::string>(static_cast<unsigned>(k)));
        routes.push_back(std::move(route));
    }
    if (const auto addresses = root->getArray("listen"))
        for (std::size_t i = 0; i < addresses->size(); ++i) {
            const std::string address = addresses->getElement<std::string>(static_cast<unsigned>(i));
            if (!address.empty()) listen.push_back(address);
        }
}

} // namespace

struct Receiver::Version {
    std::unique_ptr<Output> output;
    std::unique_ptr<PluginInstance> instance;
    std::atomic<bool> retired{false};
    ~Version() {
        if (!instance) return;
        instance->stopQuietly(retired); // a no-op stop when ReceiverService::stop() stopped it
        if (retired)
            logging::get("receiver")->info("receiver {} {} retired: what it took is answered, its instance stopped",
                                           instance->plugin().info.id, instance->plugin().info.version);
    }
};

std::shared_ptr<Receiver::Version> Receiver::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

mc_status Receiver::handle(const mc_http_request& request, const mc_http_responder& responder, std::string& error,
                           bool& reached) {
    const auto version = current(); // held for the call: a reload does not stop it under the request
    reached = version != nullptr;
    if (!version) {
        error = "the receiver plugin '" + pluginId_ + "' was removed from plugins.dir";
        return MC_ERR_UNAVAILABLE;
    }
    const mc_receiver_vtable& vt = version->instance->plugin().receiver;
    mc_instance* handle = version->instance->handle();
    return HostContext::call(error, [&] { return vt.handle(handle, &request, &responder); });
}

Receiver& ReceiverService::add(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    auto receiver = std::make_unique<Receiver>();
    receiver->pluginId_ = plugin->info.id;
    auto version = makeVersion(plugin, std::move(context), receiver->routes_, receiver->listen_);
    version->instance->start();
    receiver->current_ = std::move(version);
    receivers_.push_back(std::move(receiver));
    return *receivers_.back();
}

std::shared_ptr<Receiver::Version> ReceiverService::makeVersion(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                                std::unique_ptr<HostContext> context,
                                                                std::vector<ReceiverRoute>& routes,
                                                                std::vector<std::string>& listen) {
    auto version = std::make_shared<Receiver::Version>();
    version->output = std::make_unique<Receiver::Output>();
    version->output->api = mc_receiver_output{sizeof(mc_receiver_output), version->output.get(), &ReceiverService::submit};
    version->output->service = this;
    version->output->source = plugin->info.id;
    version->output->version = version;
    version->instance = std::make_unique<PluginInstance>(plugin, std::move(context), &version->output->api);
    std::string text;
    mc_sink sink{&text, [](void* ctx, mc_str chunk) {
                     static_cast<std::string*>(ctx)->append(mc::sdk::view(chunk));
                     return MC_OK;
                 }};
    std::string reason;
    const mc_status status = HostContext::call(reason, [&] {
        return plugin->receiver.routes(version->instance->handle(), &sink);
    });
    if (status != MC_OK)
        throw std::runtime_error("receiver '" + plugin->info.id + "': routes() failed (" + statusName(status) + "): " + reason);
    readRoutes(plugin->info.id, text, routes, listen);
    return version;
}

namespace {
bool sameRoutes(const std::vector<ReceiverRoute>& a, const std::vector<ReceiverRoute>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].method != b[i].method || a[i].path != b[i].path || a[i].mediaTypes != b[i].mediaTypes) return false;
    return true;
}
} // namespace

bool ReceiverService::reload(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    Receiver* receiver = nullptr;
    for (auto& r : receivers_)
        if (r->pluginId_ == plugin->info.id) receiver = r.get();
    if (!receiver) return false;
    std::vector<ReceiverRoute> routes;
    std::vector<std::string> listen;
    auto fresh = makeVersion(plugin, std::move(context), routes, listen);
    if (!sameRoutes(routes, receiver->routes_) || listen != receiver->listen_)
        throw std::runtime_error("receiver '" + plugin->info.id + "' " + plugin->info.version +
                                 " declares other routes or listening addresses than the running one; they are bound at "
                                 "start, so it takes effect at the next start");
    fresh->instance->start();
    std::shared_ptr<Receiver::Version> old;
    {
        std::lock_guard lock(receiver->mutex_);
        old = std::exchange(receiver->current_, fresh);
    }
    if (old) {
        old->retired = true;
        old->instance->context().detachStatus();
    }
    logging::get("receiver")->info("receiver {} {} loaded: it takes every new request{}", plugin->info.id, plugin->info.version,
                                   old ? "; the old version stops once what it took is answered" : "");
    return true;
}

bool ReceiverService::remove(const std::string& pluginId) {
    for (auto& r : receivers_) {
        if (r->pluginId_ != pluginId) continue;
        std::shared_ptr<Receiver::Version> old;
        {
            std::lock_guard lock(r->mutex_);
            old = std::exchange(r->current_, nullptr);
        }
        if (old) old->retired = true;
        return old != nullptr;
    }
    return false;
}

void ReceiverService::stop() {
    for (auto& r : receivers_) {
        const auto version = r->current();
        if (!version) continue;
        try {
            version->instance->stop();
        } catch (const std::exception& e) {
            logging::get("receiver")->warn("{}", e.what());
        }
    }
}

std::vector<RawEvent> ReceiverService::eventsOf(const mc_record* records, std::size_t count, std::size_t recordSize) {
    std::vector<RawEvent> events(count);
    for (std::size_t i = 0; i < count; ++i) {
        try {
            events[i].typed = mc::records::normalizeRecord(mc::records::recordAt(records, i, recordSize),
                                                           [] { return mc::records::formatTimestamp(nowUnixUs()); });
        } catch (const std::invalid_argument& e) {
            events[i].error = e.what();
        }
    }
    return events;
}

std::vector<ReceiverService::UsagePoint> ReceiverService::usageOf(const std::vector<RawEvent>& events) {
    std::vector<UsagePoint> out;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& typed = events[i].typed;
        if (!typed || typed->spec->kind != "metric") continue;
        const auto usage = typed->record.text(*typed->spec, "usage");
        const auto service = typed->record.text(*typed->spec, "service");
        const auto& increment = typed->record.value(*typed->spec, "increment");
        const auto kind = usage ? AgentUsage::kindOf(*usage) : std::nullopt;
        if (!kind || !service) continue;
        if (const auto* real = std::get_if<double>(&increment)) out.push_back(UsagePoint{i, *service, *kind, *real});
        else if (const auto* integer = std::get_if<std::int64_t>(&increment)) out.push_back(UsagePoint{i, *service, *kind, double(*integer)});
    }
    return out;
}

void ReceiverService::joinServers(std::vector<RawEvent>& events, const ServiceJoin& join) {
    if (!join) return;
    for (auto& event : events) {
        if (!event.typed) continue;
        auto& typed = *event.typed;
        const auto& kind = typed.spec->kind;
        if (kind == "log" || kind == "thread") {
            // The receiver names the source by its service.name; an MCP server exporting its own
            // telemetry under another name is joined to the server the operator said it is.
            for (std::size_t i = 0; i < typed.spec->fields.size() && i < typed.record.values.size(); ++i) {
                if (typed.spec->fields[i].jsonName != "mcp_id") continue;
                const auto* service = std::get_if<std::string>(&typed.record.values[i]);
                if (!service || service->empty()) break;
                if (auto id = join(*service); id && *id != *service) typed.record.values[i] = *id;
                break;
            }
        } else if (kind == "span" || kind == "metric") {
            // Spans and points carry an mcp_id only when their service is one of the MCP servers: an
            // agent's own telemetry is the agent's, not a server's.
            const auto service = typed.record.text(*typed.spec, "service");
            if (!service || service->empty()) continue;
            const auto id = join(*service);
            if (!id) continue;
            for (std::size_t i = 0; i < typed.spec->fields.size() && i < typed.record.values.size(); ++i)
                if (typed.spec->fields[i].jsonName == "mcp_id") {
                    typed.record.values[i] = *id;
                    if (i < typed.record.present.size()) typed.record.present[i] = true;
                }
        }
    }
}

mc_status ReceiverService::submit(void* ctx, const mc_record* records, std::size_t count, std::size_t recordSize,
                                  mc_submit_done_fn done, void* doneCtx) {
    auto* output = static_cast<Receiver::Output*>(ctx);
    if (!output || !done || (count && !records) || recordSize < sizeof(std::size_t)) return MC_ERR_INVALID_ARGUMENT;
    std::vector<RawEvent> events;
    try {
        events = eventsOf(records, count, recordSize);
    } catch (const std::exception&) {
        return MC_ERR_INTERNAL;
    }
    joinServers(events, output->service->join_);
    auto usage = usageOf(events);
    // `done` is the plugin's code: its version (and library) stays until the commit is answered.
    auto pinned = output->version.lock();
    output->service->ingest_.submitWithoutWaiting(
        std::move(events), output->source,
        [done, doneCtx, usage = std::move(usage), totals = &output->service->usage_, pinned](IngestReply reply) {
            // Added up once the store took them: a refused point adds nothing.
            std::size_t r = 0;
            for (const auto& u : usage) {
                while (r < reply.rejected.size() && reply.rejected[r].first < u.index) ++r;
                if (r < reply.rejected.size() && reply.rejected[r].first == u.index) continue;
                totals->add(u.agent, u.kind, u.amount);
            }
            const std::string json = reply.json();
            done(doneCtx, MC_OK, mc_str{json.data(), json.size()});
        },
        [done, doneCtx, pinned](IngestService::Submitted) { done(doneCtx, MC_ERR_UNAVAILABLE, mc_str{nullptr, 0}); },
        IngestService::Trust::Receiver);
    return MC_OK;
}

} // namespace mc::host
