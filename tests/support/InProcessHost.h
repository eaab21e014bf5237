#pragma once
// The whole host in-process for integration tests: the real plugins from build/plugins, a SQLite file
// in a temporary directory, an ephemeral port, and gateway timings short enough for tests. `overrides`
// win over these defaults; `until` says how far start-up goes.
#include "TestHttp.h"
#include "app/HostRuntime.h"

#include <map>
#include <memory>
#include <string>

namespace mc::test {

class InProcessHost {
public:
    using Overrides = std::map<std::string, std::string>;
    enum class Until {
        Constructed,   // configuration read; no phase started (a test may subscribe first)
        AllButGateway, // plugins, store, web
        Everything     // + the gateway
    };

    explicit InProcessHost(const Overrides& overrides = {}, Until until = Until::Everything);

    unsigned short port() const { return runtime->port(); }

    TempDir dir;
    std::unique_ptr<mc::host::HostRuntime> runtime;
};

} // namespace mc::test
