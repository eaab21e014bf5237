#include "gateway/TransportSet.h"

#include "log/Logging.h"

#include <algorithm>

namespace mc::host {

TransportSet::~TransportSet() {
    try {
        stop();
    } catch (...) {
    }
}

void TransportSet::add(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    auto transport = std::make_unique<Transport>();
    transport->plugin = plugin;
    try {
        transport->instance = std::make_unique<PluginInstance>(plugin, std::move(context));
        transport->instance->start();
    } catch (const std::exception& e) {
        transport->instance.reset();
        transport->error = e.what();
        logging::get("gateway")->error("transport plugin {} did not start: {}", plugin->info.id, e.what());
    }
    std::lock_guard lock(mutex_);
    transports_.push_back(std::move(transport));
}

bool TransportSet::has(const std::string& pluginId) const {
    std::lock_guard lock(mutex_);
    return std::any_of(transports_.begin(), transports_.end(),
                       [&](const auto& t) { return t->plugin->info.id == pluginId; });
}

void TransportSet::stop() {
    std::lock_guard lock(mutex_);
    for (auto it = transports_.rbegin(); it != transports_.rend(); ++it) {
        if (!(*it)->instance) continue;
        try {
            (*it)->instance->stop();
        } catch (const std::exception& e) {
            logging::get("gateway")->warn("{}", e.what());
        }
        (*it)->instance.reset();
    }
}

const TransportSet::Transport* TransportSet::find(const std::string& name, std::string* available) const {
    const Transport* found = nullptr;
    std::lock_guard lock(mutex_);
    for (const auto& t : transports_) {
        const auto& served = t->plugin->info.transports;
        if (available) {
            std::string list;
            for (const auto& n : served) list += (list.empty() ? "" : ",") + n;
            *available += (available->empty() ? "" : ", ") + t->plugin->info.id + " (" + list + ")";
        }
        if (!found && std::find(served.begin(), served.end(), name) != served.end()) found = t.get();
    }
    return found;
}

mc_status TransportSet::validate(const std::string& transport, const std::string& serverJson, std::string& error) const {
    std::string available;
    const Transport* t = find(transport, &available);
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
