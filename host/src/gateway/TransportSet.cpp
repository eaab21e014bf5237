#include "gateway/TransportSet.h"

#include "log/Logging.h"

#include <algorithm>

namespace mc::host {

TransportSet::Lease& TransportSet::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        reset();
        set_ = other.set_;
        transport_ = other.transport_;
        other.set_ = nullptr;
        other.transport_ = nullptr;
    }
    return *this;
}

void TransportSet::Lease::reset() {
    if (set_ && transport_) set_->release(transport_);
    set_ = nullptr;
    transport_ = nullptr;
}

TransportSet::~TransportSet() {
    try {
        stop();
    } catch (...) {
    }
}

namespace {
std::unique_ptr<TransportSet::Transport> started(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    auto transport = std::make_unique<TransportSet::Transport>();
    transport->plugin = std::move(plugin);
    try {
        transport->instance = std::make_unique<PluginInstance>(transport->plugin, std::move(context));
        transport->instance->start();
    } catch (const std::exception& e) {
        transport->instance.reset();
        transport->error = e.what();
        logging::get("gateway")->error("transport plugin {} did not start: {}", transport->plugin->info.id, e.what());
    }
    return transport;
}
} // namespace

void TransportSet::add(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    auto transport = started(std::move(plugin), std::move(context));
    std::lock_guard lock(mutex_);
    transports_.push_back(std::move(transport));
}

bool TransportSet::replace(std::shared_ptr<const LoadedPlugin> replacement, std::unique_ptr<HostContext> context, std::string& error) {
    const std::string id = replacement->info.id;
    auto fresh = started(std::move(replacement), std::move(context));
    if (!fresh->instance) {
        error = fresh->error;
        return false;
    }
    std::unique_ptr<Transport> idle; // retired with no lease: stopped here, outside the lock
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(transports_.begin(), transports_.end(), [&](const auto& t) { return t->plugin->info.id == id; });
        if (it == transports_.end()) {
            transports_.push_back(std::move(fresh));
            return true;
        }
        std::swap(*it, fresh); // `fresh` now holds the old one
        fresh->retired = true;
        if (fresh->leases == 0) idle = std::move(fresh);
        else retired_.push_back(std::move(fresh));
    }
    if (idle) stopInstance(*idle, true);
    return true;
}

bool TransportSet::retire(const std::string& pluginId) {
    std::unique_ptr<Transport> idle;
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(transports_.begin(), transports_.end(),
                               [&](const auto& t) { return t->plugin->info.id == pluginId; });
        if (it == transports_.end()) return false;
        auto old = std::move(*it);
        transports_.erase(it);
        old->retired = true;
        if (old->leases == 0) idle = std::move(old);
        else retired_.push_back(std::move(old));
    }
    if (idle) stopInstance(*idle, true);
    return true;
}

void TransportSet::release(Transport* transport) const {
    std::unique_ptr<Transport> idle;
    {
        std::lock_guard lock(mutex_);
        if (transport->leases > 0) --transport->leases;
        if (transport->leases > 0) return;
        auto it = std::find_if(retired_.begin(), retired_.end(), [&](const auto& t) { return t.get() == transport; });
        if (it == retired_.end()) return; // an active one stays
        idle = std::move(*it);
        retired_.erase(it);
    }
    stopInstance(*idle, true);
}

void TransportSet::stopInstance(Transport& transport, bool retired) {
    if (!transport.instance) return;
    transport.instance->stopQuietly(retired);
    transport.instance.reset();
    if (retired)
        logging::get("gateway")->info("transport plugin {} {} retired: no connection left on it, its instance stopped",
                                      transport.plugin->info.id, transport.plugin->info.version);
}

bool TransportSet::has(const std::string& pluginId) const {
    std::lock_guard lock(mutex_);
    return std::any_of(transports_.begin(), transports_.end(),
                       [&](const auto& t) { return t->plugin->info.id == pluginId; });
}

std::size_t TransportSet::retiredCount() const {
    std::lock_guard lock(mutex_);
    return retired_.size();
}

void TransportSet::stop() {
    std::vector<std::unique_ptr<Transport>> retired;
    {
        std::lock_guard lock(mutex_);
        retired.swap(retired_);
        for (auto it = transports_.rbegin(); it != transports_.rend(); ++it) stopInstance(**it, false);
    }
    for (auto& t : retired) stopInstance(*t, true);
}

TransportSet::Lease TransportSet::acquire(const std::string& name, std::string* available) const {
    std::lock_guard lock(mutex_);
    Transport* found = nullptr;
    for (const auto& t : transports_) {
        const auto& served = t->plugin->info.transports;
        if (available) {
            std::string list;
            for (const auto& n : served) list += (list.empty() ? "" : ",") + n;
            *available += (available->empty() ? "" : ", ") + t->plugin->info.id + " (" + list + ")";
        }
        if (!found && std::find(served.begin(), served.end(), name) != served.end()) found = t.get();
    }
    if (!found) return {};
    ++found->leases;
    return Lease(this, found);
}

mc_status TransportSet::validate(const std::string& transport, const std::string& serverJson, std::string& error) const {
    std::string available;
    const Lease t = acquire(transport, &available);
    if (!t) {
        error = "transport: no transport plugin serves '" + transport + "' (loaded transports: " +
                (available.empty() ? "none" : available) + ")";
        return MC_ERR_UNSUPPORTED;
    }
    if (!t->instance) {
        error = "transport: the plugin serving '" + transport + "' (" + t->plugin->info.id + ") did not start: " + t->error;
        return MC_ERR_UNAVAILABLE;
    }
    return HostContext::call(error, [&] {
        return t->vtable().validate(t->handle(), mc_str{serverJson.data(), serverJson.size()});
    });
}

std::vector<std::string> TransportSet::names() const {
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    for (const auto& t : transports_)
        for (const auto& n : t->plugin->info.transports) out.push_back(n);
    return out;
}

} // namespace mc::host
