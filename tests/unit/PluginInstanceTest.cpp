// PluginInstance against real fixture libraries: the lifecycle, events emitted through the host API,
// calls through the copied vtable, and the SDK's exception barrier on a throwing create().
#include "config/HostConfig.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginRegistry.h"

#include <Poco/Util/MapConfiguration.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mc::host;

namespace {

struct EmittedEvent {
    std::string source;
    std::string type;
    std::string payload;
};

struct EventLog {
    std::mutex mutex;
    std::vector<EmittedEvent> events;
    EmitFunction emitter() {
        return [this](std::string_view source, std::string_view type, std::string_view payload) {
            std::lock_guard<std::mutex> lock(mutex);
            events.push_back({std::string(source), std::string(type), std::string(payload)});
            return MC_OK;
        };
    }
};

mc_status appendToString(void* ctx, mc_str chunk) {
    static_cast<std::string*>(ctx)->append(chunk.ptr, chunk.len);
    return MC_OK;
}

// Loaded once for the whole suite, as the host does at start-up.
PluginRegistry& fixtures() {
    static PluginRegistry registry;
    static const bool loaded = [] {
        for (const char* name : {"good-store.so", "good-discovery.so", "throwing-create.so"})
            registry.loadFile(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/" + name);
        return true;
    }();
    (void)loaded;
    return registry;
}

} // namespace

class PluginInstanceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginInstanceTest);
    CPPUNIT_TEST(discoveryEmitsOnStartWithQualifiedSource);
    CPPUNIT_TEST(storeAnswersThroughCopiedVtable);
    CPPUNIT_TEST(throwingCreateBecomesInternalErrorWithMessage);
    CPPUNIT_TEST(instanceKeepsLibraryAliveAfterRegistryIsGone);
    CPPUNIT_TEST_SUITE_END();

public:
    void discoveryEmitsOnStartWithQualifiedSource() {
        EventLog log;
        auto plugin = fixtures().find("fixture-discovery");
        CPPUNIT_ASSERT(plugin != nullptr);
        {
            PluginInstance instance(plugin, std::make_unique<HostContext>("fixture-discovery", "lan",
                                                                          std::map<std::string, std::string>{},
                                                                          log.emitter()));
            CPPUNIT_ASSERT(instance.handle() != nullptr);
            CPPUNIT_ASSERT(log.events.empty()); // only start() emits
            instance.start();
            CPPUNIT_ASSERT(instance.started());
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.events.size());
            CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery/lan"), log.events[0].source);
            CPPUNIT_ASSERT_EQUAL(std::string("discovery"), log.events[0].type);
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"server":"fixture-server","transport":"stdio","state":"found"})"),
                                 log.events[0].payload);
            CPPUNIT_ASSERT_EQUAL(MC_OK, instance.plugin().discovery.refresh(instance.handle()));
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), log.events.size());
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"server":"fixture-server","state":"refreshed"})"), log.events[1].payload);
            instance.stop();
            CPPUNIT_ASSERT(!instance.started());
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), log.events.size());
    }

    void storeAnswersThroughCopiedVtable() {
        EventLog log;
        auto plugin = fixtures().find("fixture-store");
        Poco::AutoPtr<Poco::Util::MapConfiguration> raw(new Poco::Util::MapConfiguration);
        raw->setString("store.fixture.label", "main");
        raw->setString("store.fixture.capacity", "7");
        auto config = pluginInstanceConfig(*raw, "store.fixture", plugin->info.configKeys);
        PluginInstance instance(plugin, std::make_unique<HostContext>("fixture-store", "default", config, log.emitter()));
        instance.start();
        const mc_store_vtable& store = instance.plugin().store;
        mc_str dialect = store.dialect(instance.handle());
        CPPUNIT_ASSERT_EQUAL(std::string("memory"), std::string(dialect.ptr, dialect.len));

        std::string rows;
        mc_sink sink{&rows, &appendToString};
        const std::string name = "capacity";
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.query(instance.handle(), mc_str{name.data(), name.size()}, mc_str{"{}", 2}, &sink));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"capacity":7})"), rows);

        // An SDK Error thrown inside the plugin arrives as its status and reason.
        const std::string unknown = "nope";
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] {
            return store.query(instance.handle(), mc_str{unknown.data(), unknown.size()}, mc_str{"{}", 2}, &sink);
        });
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNSUPPORTED, status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown query 'nope'"), reason);
    }

    void throwingCreateBecomesInternalErrorWithMessage() {
        auto plugin = fixtures().find("fixture-throwing");
        CPPUNIT_ASSERT(plugin != nullptr);
        try {
            PluginInstance instance(plugin, std::make_unique<HostContext>("fixture-throwing", "default",
                                                                          std::map<std::string, std::string>{}, nullptr));
            CPPUNIT_FAIL("create must fail");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("fixture-throwing/default: create failed (internal): fixture: create always fails"),
                                 std::string(e.what()));
        }
        // The library is still usable afterwards: the failure left nothing behind.
        auto store = fixtures().find("fixture-store");
        PluginInstance healthy(store, std::make_unique<HostContext>("fixture-store", "after", std::map<std::string, std::string>{{"label", "x"}}, nullptr));
        CPPUNIT_ASSERT(healthy.handle() != nullptr);
    }

    void instanceKeepsLibraryAliveAfterRegistryIsGone() {
        EventLog log;
        std::unique_ptr<PluginInstance> instance;
        // A private copy, so no other registry in this process keeps the same library mapped.
        const auto copy = std::filesystem::temp_directory_path() /
                          ("mc-orphan-discovery-" + std::to_string(std::random_device{}()) + ".so");
        std::filesystem::copy_file(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-discovery.so", copy);
        {
            PluginRegistry registry;
            CPPUNIT_ASSERT(registry.loadFile(copy.string()));
            instance = std::make_unique<PluginInstance>(
                registry.find("fixture-discovery"),
                std::make_unique<HostContext>("fixture-discovery", "orphan", std::map<std::string, std::string>{}, log.emitter()));
        }
        instance->start(); // code in the library runs after the registry that loaded it is destroyed
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery/orphan"), log.events[0].source);
        instance.reset();
        std::filesystem::remove(copy);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginInstanceTest);
