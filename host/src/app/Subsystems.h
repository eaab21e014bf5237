#pragma once
// The host's start-up phases as Poco Subsystems, so the ServerApplication initializes them in order
// (plugins, store, web, gateway) and uninitializes them in reverse. Each one is a thin adapter over a
// HostRuntime phase, which tests drive directly.
#include "app/HostRuntime.h"

#include <Poco/Util/Subsystem.h>

namespace mc::host {

class PluginsSubsystem final : public Poco::Util::Subsystem {
public:
    explicit PluginsSubsystem(HostRuntime& runtime) : runtime_(runtime) {}
    const char* name() const override { return "plugins"; }

protected:
    void initialize(Poco::Util::Application&) override { runtime_.loadPlugins(); }
    void uninitialize() override {}

private:
    HostRuntime& runtime_;
};

class StoreSubsystem final : public Poco::Util::Subsystem {
public:
    explicit StoreSubsystem(HostRuntime& runtime) : runtime_(runtime) {}
    const char* name() const override { return "store"; }

protected:
    void initialize(Poco::Util::Application&) override { runtime_.openStore(); }
    void uninitialize() override {}

private:
    HostRuntime& runtime_;
};

// Connects the configured MCP servers once the web phase is up. Stopping is the web phase's
// runtime.stop(), which closes the gateway too.
class GatewaySubsystem final : public Poco::Util::Subsystem {
public:
    explicit GatewaySubsystem(HostRuntime& runtime) : runtime_(runtime) {}
    const char* name() const override { return "gateway"; }

protected:
    void initialize(Poco::Util::Application&) override { runtime_.startGateway(); }
    void uninitialize() override {}

private:
    HostRuntime& runtime_;
};

class WebSubsystem final : public Poco::Util::Subsystem {
public:
    explicit WebSubsystem(HostRuntime& runtime) : runtime_(runtime) {}
    const char* name() const override { return "web"; }

protected:
    void initialize(Poco::Util::Application&) override { runtime_.startWeb(); }
    // Uninitialized first (reverse order): stops the whole runtime, draining WebSocket clients.
    void uninitialize() override { runtime_.stop(); }

private:
    HostRuntime& runtime_;
};

} // namespace mc::host
