#include "InProcessHost.h"

#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>

namespace mc::test {

InProcessHost::InProcessHost(const Overrides& overrides, Until until) {
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(new Poco::Util::LayeredConfiguration);
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    const Overrides defaults = {
        {"http.port", "0"},
        {"plugins.dir", MC_TEST_PLUGIN_DIR},
        // Tests never multicast on a real network: the mDNS suites enable it inside their own namespace.
        {"discovery.mdns.enabled", "false"},
        // Tests run side by side: no receiver listens on the fixed OTLP port 4318 unless a test asks.
        {"receiver.otlp.listen", ""},
        {"store.sqlite.path", dir.file("mc.db")},
        {"store.migrations.dir", std::string(MC_TEST_BUILD_DIR) + "/share/mission-control/migrations"},
        {"shutdown.drain_timeout_ms", "500"},
        {"gateway.ping_interval_ms", "500"},
        {"gateway.ping_timeout_ms", "1000"},
        {"gateway.reconnect.initial_ms", "100"},
        {"gateway.reconnect.max_ms", "1000"},
    };
    for (const auto& [k, v] : defaults) map->setString(k, v);
    for (const auto& [k, v] : overrides) map->setString(k, v);
    config->add(map, mc::host::kPriorityCommandLine, false);
    mc::host::addConfigurationLayers(*config, "", [](const std::string&) { return std::optional<std::string>(); });
    runtime = std::make_unique<mc::host::HostRuntime>(Poco::AutoPtr<Poco::Util::AbstractConfiguration>(config.get(), true),
                                                      std::string(MC_TEST_BUILD_DIR) + "/bin");
    if (until == Until::Constructed) return;
    runtime->loadPlugins();
    runtime->openStore();
    runtime->startWeb();
    if (until == Until::Everything) runtime->startGateway();
}

} // namespace mc::test
