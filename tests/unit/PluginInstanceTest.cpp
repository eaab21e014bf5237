// PluginInstance against real fixture libraries (ABI 2): the lifecycle and the status the host sets
// around it, typed discovery output, typed config_json and config_get, calls through the copied
// vtable, and the SDK's exception barrier on a throwing create() and a failing start().
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

mc_status appendToString(void* ctx, mc_str chunk) {
    static_cast<std::string*>(ctx)->append(chunk.ptr, chunk.len);
    return MC_OK;
}

// What a discovery instance reports through its mc_discovery_output.
struct FoundLog {
    std::mutex mutex;
    std::vector<std::string> lines; // "found <key> <name> <server_json> <details_json> <connectable>", "lost <key>", "scan"
    mc_discovery_output output{sizeof(mc_discovery_output), this, &found, &lost, &scan};

    static std::string text(mc_str s) { return s.len ? std::string(s.ptr, s.len) : std::string(); }
    static void found(void* ctx, const mc_found_server* s) {
        auto* self = static_cast<FoundLog*>(ctx);
        std::lock_guard<std::mutex> lock(self->mutex);
        self->lines.push_back("found " + text(s->key) + " " + text(s->name) + " " + text(s->server_json) + " " +
                              text(s->details_json) + " " + std::to_string(s->connectable));
    }
    static void lost(void* ctx, mc_str key) {
        auto* self = static_cast<FoundLog*>(ctx);
        std::lock_guard<std::mutex> lock(self->mutex);
        self->lines.push_back("lost " + text(key));
    }
    static void scan(void* ctx, int64_t started) {
        auto* self = static_cast<FoundLog*>(ctx);
        std::lock_guard<std::mutex> lock(self->mutex);
        self->lines.push_back(started > 0 ? "scan" : "scan without a start time");
    }
    std::vector<std::string> snapshot() {
        std::lock_guard<std::mutex> lock(mutex);
        return lines;
    }
};

// Loaded once for the whole suite, as the host does at start-up.
PluginRegistry& fixtures() {
    static PluginRegistry registry;
    static const bool loaded = [] {
        for (const char* name : {"good-store.so", "good-discovery.so", "throwing-create.so", "failing-start.so"})
            registry.loadFile(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/" + name);
        return true;
    }();
    (void)loaded;
    return registry;
}

std::unique_ptr<HostContext> context(const std::string& pluginId, const std::string& instance,
                                     const std::map<std::string, std::string>& keys = {}) {
    auto plugin = fixtures().find(pluginId);
    CPPUNIT_ASSERT_MESSAGE(pluginId, plugin != nullptr);
    return std::make_unique<HostContext>(pluginId, instance, resolvePluginConfig(keys, plugin->info),
                                         &fixtures().statuses(), kindName(plugin->info.kind));
}

InstanceStatus row(const std::string& plugin, const std::string& instance) {
    InstanceStatus out;
    CPPUNIT_ASSERT_MESSAGE(plugin + "/" + instance, fixtures().statuses().find(plugin, instance, out));
    return out;
}

} // namespace

class PluginInstanceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginInstanceTest);
    CPPUNIT_TEST(discoveryReportsThroughTypedOutput);
    CPPUNIT_TEST(statusFollowsTheLifecycle);
    CPPUNIT_TEST(storeGetsTypedConfigAndAnswersThroughCopiedVtable);
    CPPUNIT_TEST(configGetWritesJsonText);
    CPPUNIT_TEST(throwingCreateBecomesInternalErrorWithMessage);
    CPPUNIT_TEST(failingStartIsPermanentErrorWithReason);
    CPPUNIT_TEST(instanceKeepsLibraryAliveAfterRegistryIsGone);
    CPPUNIT_TEST_SUITE_END();

public:
    void discoveryReportsThroughTypedOutput() {
        FoundLog found;
        auto plugin = fixtures().find("fixture-discovery");
        {
            PluginInstance instance(plugin, context("fixture-discovery", "lan"), &found.output);
            CPPUNIT_ASSERT(instance.handle() != nullptr);
            CPPUNIT_ASSERT(found.snapshot().empty()); // only start() reports
            instance.start();
            CPPUNIT_ASSERT(instance.started());
            const auto lines = found.snapshot();
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), lines.size());
            CPPUNIT_ASSERT_EQUAL(std::string(R"(found fixture#server fixture-server {"transport":"stdio","command":"/bin/true","args":[]} {"source":"fixture"} 1)"),
                                 lines[0]);
            CPPUNIT_ASSERT_EQUAL(std::string("scan"), lines[1]);
            CPPUNIT_ASSERT_EQUAL(MC_OK, instance.plugin().discovery.refresh(instance.handle()));
            CPPUNIT_ASSERT_EQUAL(std::size_t(4), found.snapshot().size());
            instance.stop();
            CPPUNIT_ASSERT(!instance.started());
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), found.snapshot().size()); // nothing after stop
    }

    void statusFollowsTheLifecycle() {
        FoundLog found;
        auto plugin = fixtures().find("fixture-discovery");
        PluginInstance instance(plugin, context("fixture-discovery", "status"), &found.output);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_INVALID, row("fixture-discovery", "status").status);
        CPPUNIT_ASSERT_EQUAL(std::string("discovery"), row("fixture-discovery", "status").kind);
        instance.start();
        // The SDK reports OK after a start that did not report itself.
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, row("fixture-discovery", "status").status);
        CPPUNIT_ASSERT(row("fixture-discovery", "status").sinceUnixUs > 0);
        instance.stop();
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_STOPPED, row("fixture-discovery", "status").status);
        const std::string expected =
            R"({"plugin":"fixture-discovery","instance":"status","kind":"discovery","status":"stopped","message":"","since":")";
        const std::string json = row("fixture-discovery", "status").json();
        CPPUNIT_ASSERT_EQUAL(expected, json.substr(0, expected.size()));
        CPPUNIT_ASSERT_EQUAL(std::string("Z\"}"), json.substr(json.size() - 3));
    }

    void storeGetsTypedConfigAndAnswersThroughCopiedVtable() {
        auto plugin = fixtures().find("fixture-store");
        auto ctx = context("fixture-store", "default",
                           {{"label", "main"}, {"capacity", "7"}, {"mode", "FAST"}, {"tags", " a, ,b "},
                            {"headers.X-One", "1"}, {"compress", "yes"}, {"ratio", "+0.25"}});
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"capacity":7,"label":"main","mode":"fast","tags":["a","b"],"headers":{"X-One":"1"},"compress":true,"ratio":0.25})"),
                             ctx->configJson());
        PluginInstance instance(plugin, std::move(ctx));
        instance.start();
        const mc_store_vtable& store = instance.plugin().store;
        std::string dialect;
        mc_sink dialectSink{&dialect, &appendToString};
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.dialect(instance.handle(), &dialectSink));
        CPPUNIT_ASSERT_EQUAL(std::string("memory"), dialect);

        std::string rows;
        mc_sink sink{&rows, &appendToString};
        const std::string name = "capacity";
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.query(instance.handle(), mc_str{name.data(), name.size()}, mc_str{"{}", 2}, &sink));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"capacity":7})"), rows);

        std::string details;
        mc_sink detailsSink{&details, &appendToString};
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.describe(instance.handle(), &detailsSink));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"label":"main","writes":0})"), details);

        // An SDK Error thrown inside the plugin arrives as its status and reason.
        const std::string unknown = "nope";
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] {
            return store.query(instance.handle(), mc_str{unknown.data(), unknown.size()}, mc_str{"{}", 2}, &sink);
        });
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNSUPPORTED, status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown query 'nope'"), reason);
    }

    void configGetWritesJsonText() {
        auto ctx = context("fixture-store", "get", {{"label", "x"}, {"tags", "p,q"}});
        const mc_host_api* api = HostContext::api();
        CPPUNIT_ASSERT_EQUAL(sizeof(mc_host_api), api->struct_size);
        CPPUNIT_ASSERT_EQUAL(uint32_t(2), api->abi_major);
        const auto get = [&](const std::string& key, std::string& out) {
            mc_sink sink{&out, &appendToString};
            return api->config_get(ctx->handle(), mc_str{key.data(), key.size()}, &sink);
        };
        std::string value;
        CPPUNIT_ASSERT_EQUAL(MC_OK, get("capacity", value));
        CPPUNIT_ASSERT_EQUAL(std::string("100"), value);
        value.clear();
        CPPUNIT_ASSERT_EQUAL(MC_OK, get("label", value));
        CPPUNIT_ASSERT_EQUAL(std::string("\"x\""), value);
        value.clear();
        CPPUNIT_ASSERT_EQUAL(MC_OK, get("tags", value));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["p","q"])"), value);
        value.clear();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_NOT_FOUND, get("token", value)); // unset, no default
        CPPUNIT_ASSERT(value.empty());

        // report_status with an invalid value is recorded as permanent_error naming it.
        api->report_status(ctx->handle(), static_cast<mc_component_status>(42), mc_str{"odd", 3});
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_PERMANENT_ERROR, row("fixture-store", "get").status);
        CPPUNIT_ASSERT_EQUAL(std::string("reported the invalid status 42: odd"), row("fixture-store", "get").message);
        api->report_status(ctx->handle(), MC_COMPONENT_RECOVERABLE_ERROR, mc_str{"retrying", 8});
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_RECOVERABLE_ERROR, row("fixture-store", "get").status);
        CPPUNIT_ASSERT_EQUAL(std::string("retrying"), row("fixture-store", "get").message);
    }

    void throwingCreateBecomesInternalErrorWithMessage() {
        auto plugin = fixtures().find("fixture-throwing");
        CPPUNIT_ASSERT(plugin != nullptr);
        FoundLog found;
        try {
            PluginInstance instance(plugin, context("fixture-throwing", "default"), &found.output);
            CPPUNIT_FAIL("create must fail");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("fixture-throwing/default: create failed (internal): fixture: create always fails"),
                                 std::string(e.what()));
        }
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_PERMANENT_ERROR, row("fixture-throwing", "default").status);
        CPPUNIT_ASSERT_EQUAL(std::string("create failed (internal): fixture: create always fails"),
                             row("fixture-throwing", "default").message);
        // The library is still usable afterwards: the failure left nothing behind.
        auto store = fixtures().find("fixture-store");
        PluginInstance healthy(store, context("fixture-store", "after", {{"label", "x"}}));
        CPPUNIT_ASSERT(healthy.handle() != nullptr);
    }

    void failingStartIsPermanentErrorWithReason() {
        auto plugin = fixtures().find("fixture-failing-start");
        CPPUNIT_ASSERT(plugin != nullptr);
        FoundLog found;
        PluginInstance instance(plugin, context("fixture-failing-start", "default"), &found.output);
        try {
            instance.start();
            CPPUNIT_FAIL("start must fail");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("fixture-failing-start/default: start failed (io): fixture: cannot reach the peer"),
                                 std::string(e.what()));
        }
        CPPUNIT_ASSERT(!instance.started());
        const InstanceStatus status = row("fixture-failing-start", "default");
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_PERMANENT_ERROR, status.status);
        CPPUNIT_ASSERT_EQUAL(std::string("start failed (io): fixture: cannot reach the peer"), status.message);
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_PERMANENT_ERROR, fixtures().statuses().worst());
    }

    void instanceKeepsLibraryAliveAfterRegistryIsGone() {
        FoundLog found;
        std::unique_ptr<PluginInstance> instance;
        // A private copy, so no other registry in this process keeps the same library mapped.
        const auto copy = std::filesystem::temp_directory_path() /
                          ("mc-orphan-discovery-" + std::to_string(std::random_device{}()) + ".so");
        std::filesystem::copy_file(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-discovery.so", copy);
        {
            PluginRegistry registry;
            CPPUNIT_ASSERT(registry.loadFile(copy.string()));
            auto plugin = registry.find("fixture-discovery");
            instance = std::make_unique<PluginInstance>(
                plugin, std::make_unique<HostContext>("fixture-discovery", "orphan", resolvePluginConfig(std::map<std::string, std::string>{}, plugin->info)),
                &found.output);
        }
        instance->start(); // code in the library runs after the registry that loaded it is destroyed
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), found.snapshot().size());
        instance.reset();
        std::filesystem::remove(copy);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginInstanceTest);
