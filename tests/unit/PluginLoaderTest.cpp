// The plugin loader (ABI 2) against real libraries: every refusal is proven with its own broken
// fixture, loaded from a fresh directory next to the two good fixtures, which must still load; and
// the typed configuration the loader resolves from the declared keys.
#include "log/Logging.h"
#include "config/HostConfig.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginRegistry.h"

#include <Poco/Util/MapConfiguration.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>
#include <spdlog/sinks/base_sink.h>

#include <cstddef>
#include <map>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace mc::host;

namespace {

// "2.3": the ABI this host speaks, as the loader writes it.
std::string hostAbi() { return std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR); }

const std::string kFixtureDir = MC_TEST_FIXTURE_PLUGIN_DIR;

class ScratchDir {
public:
    ScratchDir() {
        std::random_device random;
        path_ = fs::temp_directory_path() / ("mc-loader-test-" + std::to_string(random()) + std::to_string(random()));
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

struct LogLine {
    std::string logger;
    spdlog::level::level_enum level;
    std::string message;
};

class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<LogLine> lines() {
        std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        lines_.push_back({std::string(msg.logger_name.data(), msg.logger_name.size()), msg.level,
                          std::string(msg.payload.data(), msg.payload.size())});
    }
    void flush_() override {}

private:
    std::vector<LogLine> lines_;
};

// Copies the named fixtures into a scratch directory and loads it, capturing the loader's log.
struct LoadRun {
    ScratchDir dir;
    PluginRegistry registry;
    std::vector<LogLine> warnings; // plugin-loader lines at warn or above

    explicit LoadRun(const std::vector<std::string>& fixtures) {
        for (const auto& name : fixtures) fs::copy_file(kFixtureDir + "/" + name, dir.path() / name);
        auto sink = std::make_shared<CapturingSink>();
        logging::setCaptureSink(sink);
        registry.loadDirectory(dir.path().string());
        logging::setCaptureSink(nullptr);
        for (auto& line : sink->lines())
            if (line.logger == "plugin-loader" && line.level >= spdlog::level::warn) warnings.push_back(line);
    }

    PluginLoadRecord record(const std::string& name) const {
        for (const auto& r : registry.report())
            if (fs::path(r.path).filename() == name) return r;
        throw std::runtime_error("no load record for " + name);
    }
};

const std::vector<std::string> kGood = {"good-store.so", "good-discovery.so"};

} // namespace

class PluginLoaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginLoaderTest);
    CPPUNIT_TEST(loadsGoodPluginsInFileNameOrder);
    CPPUNIT_TEST(readsDeclaredKeysWithRangesChoicesAndFlags);
    CPPUNIT_TEST(readsTransportNames);
    CPPUNIT_TEST(refusesTextFileNamedLikeALibrary);
    CPPUNIT_TEST(refusesLibraryWithMissingDependency);
    CPPUNIT_TEST(refusesLibraryWithoutEntrySymbol);
    CPPUNIT_TEST(refusesNullDescriptor);
    CPPUNIT_TEST(refusesTooSmallDescriptor);
    CPPUNIT_TEST(refusesAbi1PluginByMajor);
    CPPUNIT_TEST(refusesNewerAbiMinor);
    CPPUNIT_TEST(refusesInvalidKind);
    CPPUNIT_TEST(refusesUnknownKind);
    CPPUNIT_TEST(refusesInvalidId);
    CPPUNIT_TEST(refusesBadPrefix);
    CPPUNIT_TEST(refusesDuplicateIdNamingBothFiles);
    CPPUNIT_TEST(refusesDuplicatePrefix);
    CPPUNIT_TEST(refusesNullConfigKeys);
    CPPUNIT_TEST(refusesSmallKeyStride);
    CPPUNIT_TEST(refusesBadKeyDeclaration);
    CPPUNIT_TEST(refusesNullVtable);
    CPPUNIT_TEST(refusesTooSmallVtable);
    CPPUNIT_TEST(refusesMissingRequiredFunction);
    CPPUNIT_TEST(missingDirectoryIsOneRefusedRecord);
    CPPUNIT_TEST(ignoresFilesWithoutSoSuffixAndSubdirectories);
    CPPUNIT_TEST(wholeFixtureDirectoryLoadsOnlyTheGoodOnes);
    CPPUNIT_TEST(reportJsonDescribesEveryFile);
    CPPUNIT_TEST(resolvesTypedConfigWithDefaults);
    CPPUNIT_TEST(refusesBadValuesNamingTheKey);
    CPPUNIT_TEST(refusesUndeclaredKeyUnderThePrefix);
    CPPUNIT_TEST(resolvesSecretsThroughTheResolver);
    CPPUNIT_TEST(helpTextListsKeysWithRangesAndChoices);
    CPPUNIT_TEST(rescanPicksUpAddedReplacedRemovedAndRefusedFiles);
    CPPUNIT_TEST(rescanOfAVanishedDirectoryDropsNothing);
    CPPUNIT_TEST_SUITE_END();

    // Loads kGood + `broken`, and checks the refusal reason, its single log line and the neighbours.
    void expectRefusal(const std::string& broken, const std::string& expectedReasonWithPath) {
        std::vector<std::string> files = kGood;
        files.push_back(broken);
        LoadRun run(files);
        const std::string path = run.dir.file(broken);
        const auto& record = run.record(broken);
        CPPUNIT_ASSERT(!record.loaded);
        std::string expected = expectedReasonWithPath;
        for (auto at = expected.find("{path}"); at != std::string::npos; at = expected.find("{path}"))
            expected.replace(at, 6, path);
        for (auto at = expected.find("{dir}"); at != std::string::npos; at = expected.find("{dir}"))
            expected.replace(at, 5, run.dir.path().string());
        CPPUNIT_ASSERT_EQUAL(expected, record.reason);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), run.warnings.size());
        CPPUNIT_ASSERT_EQUAL("refused plugin '" + path + "': " + expected, run.warnings[0].message);

        CPPUNIT_ASSERT_EQUAL(std::size_t(2), run.registry.loadedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), run.registry.refusedCount());
        CPPUNIT_ASSERT(run.record("good-store.so").loaded);
        CPPUNIT_ASSERT(run.record("good-discovery.so").loaded);
        CPPUNIT_ASSERT(run.registry.find("fixture-store") != nullptr);
        CPPUNIT_ASSERT(run.registry.find("fixture-discovery") != nullptr);
    }

    static PluginInfo storeInfo(LoadRun& run) { return run.registry.find("fixture-store")->info; }

    static void expectConfigError(const PluginInfo& info, const std::map<std::string, std::string>& keys,
                                  const std::string& expected) {
        try {
            resolvePluginConfig(keys, info);
            CPPUNIT_FAIL("expected: " + expected);
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(expected, std::string(e.what()));
        }
    }

public:
    void loadsGoodPluginsInFileNameOrder() {
        LoadRun run({"good-store.so", "good-discovery.so", "handmade-discovery.so"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), run.registry.report().size());
        // good-discovery < good-store < handmade-discovery
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery"), run.registry.report()[0].info.id);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), run.registry.report()[1].info.id);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-handmade-discovery"), run.registry.report()[2].info.id);
        CPPUNIT_ASSERT(run.warnings.empty());

        auto store = run.registry.find("fixture-store");
        CPPUNIT_ASSERT(store != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), store->info.version);
        CPPUNIT_ASSERT_EQUAL(std::string("In-memory store for loader tests"), store->info.description);
        CPPUNIT_ASSERT_EQUAL(std::string("store.fixture"), store->info.configPrefix);
        CPPUNIT_ASSERT_EQUAL(MC_KIND_STORE, store->info.kind);
        CPPUNIT_ASSERT_EQUAL(uint32_t(2), store->info.abiMajor);
        CPPUNIT_ASSERT_EQUAL(run.dir.file("good-store.so"), store->info.path);
        CPPUNIT_ASSERT_EQUAL(sizeof(mc_store_vtable), store->store.struct_size);
        CPPUNIT_ASSERT(store->store.describe != nullptr);

        // The C plugin without the SDK loads too, with its one ranged key.
        auto handmade = run.registry.find("fixture-handmade-discovery");
        CPPUNIT_ASSERT(handmade != nullptr);
        CPPUNIT_ASSERT(handmade->discovery.refresh != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), handmade->info.configKeys.size());
        CPPUNIT_ASSERT_EQUAL(std::string("size"), handmade->info.configKeys[0].name);
        CPPUNIT_ASSERT(handmade->info.configKeys[0].hasRange);

        auto stores = run.registry.ofKind(MC_KIND_STORE);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), stores.size());
        auto discoveries = run.registry.ofKind(MC_KIND_DISCOVERY);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), discoveries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery"), discoveries[0]->info.id);
        CPPUNIT_ASSERT(run.registry.ofKind(MC_KIND_TRANSPORT).empty());
        CPPUNIT_ASSERT(run.registry.find("no-such-plugin") == nullptr);
    }

    void readsDeclaredKeysWithRangesChoicesAndFlags() {
        LoadRun run({"good-store.so"});
        const auto keys = storeInfo(run).configKeys;
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), keys.size());
        CPPUNIT_ASSERT_EQUAL(std::string("capacity"), keys[0].name);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_INT, keys[0].type);
        CPPUNIT_ASSERT_EQUAL(std::string("100"), keys[0].defaultValue);
        CPPUNIT_ASSERT(keys[0].hasDefault && keys[0].hasRange && !keys[0].required && !keys[0].secret);
        CPPUNIT_ASSERT_EQUAL(1.0, keys[0].min);
        CPPUNIT_ASSERT_EQUAL(10000.0, keys[0].max);
        CPPUNIT_ASSERT_EQUAL(std::string("an integer in [1, 10000]"), expectedValue(keys[0]));
        CPPUNIT_ASSERT_EQUAL(std::string("label"), keys[1].name);
        CPPUNIT_ASSERT(keys[1].required && !keys[1].hasDefault);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_ENUM, keys[2].type);
        CPPUNIT_ASSERT_EQUAL(std::string("fast,safe"), keys[2].choices);
        CPPUNIT_ASSERT_EQUAL(std::string("one of fast, safe"), expectedValue(keys[2]));
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_LIST, keys[3].type);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_OBJECT, keys[4].type);
        CPPUNIT_ASSERT_EQUAL(std::string("token"), keys[5].name);
        CPPUNIT_ASSERT(keys[5].secret);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_BOOL, keys[6].type);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_DOUBLE, keys[7].type);
        CPPUNIT_ASSERT_EQUAL(std::string("a number in [0, 1]"), expectedValue(keys[7]));
    }

    void readsTransportNames() {
        LoadRun run({"good-transport.so"});
        auto transport = run.registry.find("fixture-transport");
        CPPUNIT_ASSERT(transport != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), transport->info.transports.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture"), transport->info.transports[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp.fixture"), transport->info.configPrefix);
        CPPUNIT_ASSERT(transport->transport.validate != nullptr);
        CPPUNIT_ASSERT(transport->transport.open_connection != nullptr);
    }

    void refusesTextFileNamedLikeALibrary() {
        expectRefusal("not-a-library.so", "not a loadable shared library: {path}: invalid ELF header");
    }

    void refusesLibraryWithMissingDependency() {
        expectRefusal("refuse-missing-dependency.so",
                      "not a loadable shared library: libmc-fixture-helper.so: cannot open shared object file: "
                      "No such file or directory");
    }

    void refusesLibraryWithoutEntrySymbol() {
        expectRefusal("refuse-no-entry.so", "missing entry symbol 'mc_plugin_entry'");
    }

    void refusesNullDescriptor() {
        expectRefusal("refuse-null-descriptor.so", "entry symbol 'mc_plugin_entry' returned NULL");
    }

    void refusesTooSmallDescriptor() {
        expectRefusal("refuse-small-descriptor.so",
                      "descriptor struct_size " + std::to_string(offsetof(mc_plugin_descriptor, config_prefix)) +
                          " is smaller than the " + std::to_string(sizeof(mc_plugin_descriptor)) +
                          " bytes of ABI " + hostAbi() + "'s descriptor");
    }

    void refusesAbi1PluginByMajor() {
        expectRefusal("refuse-abi-major.so", "plugin ABI 1.0 is incompatible with host ABI " + hostAbi() + ": different major version");
    }

    void refusesNewerAbiMinor() {
        expectRefusal("refuse-abi-minor.so", "plugin built for ABI " + std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR + 1) +
                                                 ", host supports up to " + hostAbi() + ": newer minor version");
    }

    void refusesInvalidKind() {
        expectRefusal("refuse-invalid-kind.so",
                      "invalid plugin kind 0: expected 1 (transport), 2 (discovery), 3 (store), 4 (receiver) or 5 (bus)");
    }

    void refusesUnknownKind() {
        expectRefusal("refuse-unknown-kind.so",
                      "invalid plugin kind 6: expected 1 (transport), 2 (discovery), 3 (store), 4 (receiver) or 5 (bus)");
    }

    void refusesInvalidId() {
        expectRefusal("refuse-invalid-id.so", "invalid plugin id 'Fixture_Bad': must match [a-z0-9][a-z0-9-]*");
    }

    void refusesBadPrefix() {
        expectRefusal("refuse-bad-prefix.so", "invalid config_prefix 'Store..Bad': must be dot-separated "
                                              "[a-z0-9][a-z0-9_-]* parts, e.g. \"discovery.files\"");
    }

    void refusesDuplicateIdNamingBothFiles() {
        std::vector<std::string> files = kGood;
        files.push_back("refuse-duplicate-id.so");
        LoadRun run(files);
        const auto& record = run.record("refuse-duplicate-id.so");
        CPPUNIT_ASSERT(!record.loaded);
        CPPUNIT_ASSERT_EQUAL("duplicate plugin id 'fixture-store': '" + run.dir.file("refuse-duplicate-id.so") +
                                 "' conflicts with '" + run.dir.file("good-store.so") + "', which was loaded first",
                             record.reason);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), record.info.id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), run.warnings.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), run.registry.loadedCount());
        // The first one keeps the id.
        CPPUNIT_ASSERT_EQUAL(run.dir.file("good-store.so"), run.registry.find("fixture-store")->info.path);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), run.registry.find("fixture-store")->info.version);
    }

    void refusesDuplicatePrefix() {
        expectRefusal("refuse-duplicate-prefix.so", "config_prefix 'store.fixture' is already the prefix of "
                                                    "'fixture-store' ({dir}/good-store.so), which was loaded first");
    }

    void refusesNullConfigKeys() {
        expectRefusal("refuse-null-config-keys.so", "descriptor declares 3 config keys but config_keys is NULL");
    }

    void refusesSmallKeyStride() {
        const std::size_t stride = sizeof(mc_config_key) - 2 * sizeof(double) - sizeof(mc_str);
        expectRefusal("refuse-small-key-stride.so",
                      "config_key_size (the key stride) " + std::to_string(stride) + " is smaller than the " +
                          std::to_string(sizeof(mc_config_key)) + " bytes of ABI " + hostAbi() + "'s mc_config_key");
    }

    void refusesBadKeyDeclaration() {
        expectRefusal("refuse-bad-key.so", "config key 'mode' (#0): an ENUM key needs choices");
    }

    void refusesNullVtable() { expectRefusal("refuse-null-vtable.so", "descriptor has a NULL store vtable"); }

    void refusesTooSmallVtable() {
        expectRefusal("refuse-small-vtable.so",
                      "store vtable is too small: " + std::to_string(offsetof(mc_store_vtable, dialect)) +
                          " bytes, the host needs at least " + std::to_string(sizeof(mc_store_vtable)));
    }

    void refusesMissingRequiredFunction() {
        expectRefusal("refuse-missing-function.so", "required function 'schema_version' of the store vtable is missing");
        // A receiver (ABI 2.1) must take the requests of the routes it declares.
        expectRefusal("refuse-receiver-without-handle.so", "required function 'handle' of the receiver vtable is missing");
    }

    void missingDirectoryIsOneRefusedRecord() {
        ScratchDir scratch;
        const std::string missing = scratch.file("does-not-exist");
        PluginRegistry registry;
        registry.loadDirectory(missing);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), registry.report().size());
        CPPUNIT_ASSERT_EQUAL(missing, registry.report()[0].path);
        CPPUNIT_ASSERT_EQUAL("plugins directory '" + missing + "' does not exist", registry.report()[0].reason);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), registry.loadedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), registry.refusedCount());

        const std::string file = scratch.file("plain-file");
        fs::copy_file(kFixtureDir + "/not-a-library.so", file);
        PluginRegistry second;
        second.loadDirectory(file);
        CPPUNIT_ASSERT_EQUAL("plugins directory '" + file + "' is not a directory", second.report().at(0).reason);
    }

    void ignoresFilesWithoutSoSuffixAndSubdirectories() {
        LoadRun run({"good-store.so"});
        fs::copy_file(kFixtureDir + "/good-discovery.so", run.dir.path() / "good-discovery.so.disabled");
        fs::create_directories(run.dir.path() / "nested.so");
        fs::copy_file(kFixtureDir + "/good-discovery.so", run.dir.path() / "nested.so" / "good-discovery.so");
        PluginRegistry registry;
        registry.loadDirectory(run.dir.path().string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), registry.report().size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), registry.report()[0].info.id);
    }

    void wholeFixtureDirectoryLoadsOnlyTheGoodOnes() {
        PluginRegistry registry;
        registry.loadDirectory(kFixtureDir);
        std::vector<std::string> loaded;
        for (const auto& r : registry.report())
            if (r.loaded) loaded.push_back(fs::path(r.path).filename().string());
        const std::vector<std::string> expected = {"failing-receiver.so",   "failing-start.so",  "good-discovery.so", "good-store.so",
                                                   "good-transport.so",     "handmade-discovery.so",
                                                   "throwing-create.so"};
        CPPUNIT_ASSERT(expected == loaded);
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), registry.refusedCount()); // one per refuse-*.so, and not-a-library.so
        for (const auto& r : registry.report())
            if (!r.loaded) CPPUNIT_ASSERT_MESSAGE(r.path, !r.reason.empty());
    }

    void reportJsonDescribesEveryFile() {
        LoadRun run({"good-store.so", "refuse-abi-major.so"});
        // An instance's status row appears under its plugin.
        auto ctx = std::make_unique<HostContext>("fixture-store", "default",
                                                 resolvePluginConfig({{"label", "x"}}, storeInfo(run)),
                                                 &run.registry.statuses(), "store");
        ctx->reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, "database locked");
        Poco::JSON::Parser parser;
        auto root = parser.parse(run.registry.reportJson()).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(1, root->getValue<int>("loaded"));
        CPPUNIT_ASSERT_EQUAL(1, root->getValue<int>("refused"));
        auto plugins = root->getArray("plugins");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plugins->size());

        auto refused = plugins->getObject(1); // refuse-abi-major.so sorts after good-store.so
        CPPUNIT_ASSERT_EQUAL(std::string("refused"), refused->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("plugin ABI 1.0 is incompatible with host ABI " + hostAbi() + ": different major version"),
                             refused->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0"), refused->getValue<std::string>("abi"));
        CPPUNIT_ASSERT(refused->isNull("id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), refused->getArray("config_keys")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), refused->getArray("instances")->size());

        auto store = plugins->getObject(0);
        CPPUNIT_ASSERT_EQUAL(run.dir.file("good-store.so"), store->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(std::string("loaded"), store->getValue<std::string>("status"));
        CPPUNIT_ASSERT(store->isNull("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), store->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), store->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(std::string("store"), store->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(hostAbi(), store->getValue<std::string>("abi"));
        CPPUNIT_ASSERT_EQUAL(std::string("store.fixture"), store->getValue<std::string>("config_prefix"));
        CPPUNIT_ASSERT_EQUAL(std::string("In-memory store for loader tests"), store->getValue<std::string>("description"));
        auto keys = store->getArray("config_keys");
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), keys->size());
        auto capacity = keys->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("capacity"), capacity->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("int"), capacity->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("100"), capacity->getValue<std::string>("default"));
        CPPUNIT_ASSERT_EQUAL(false, capacity->getValue<bool>("required"));
        CPPUNIT_ASSERT_EQUAL(1, capacity->getValue<int>("min"));
        CPPUNIT_ASSERT_EQUAL(10000, capacity->getValue<int>("max"));
        CPPUNIT_ASSERT(capacity->isNull("choices"));
        CPPUNIT_ASSERT_EQUAL(std::string("an integer in [1, 10000]"), capacity->getValue<std::string>("expected"));
        CPPUNIT_ASSERT_EQUAL(std::string("How many records the store keeps"), capacity->getValue<std::string>("description"));
        auto label = keys->getObject(1);
        CPPUNIT_ASSERT(label->isNull("default"));
        CPPUNIT_ASSERT_EQUAL(true, label->getValue<bool>("required"));
        auto mode = keys->getObject(2);
        CPPUNIT_ASSERT_EQUAL(std::string("enum"), mode->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), mode->getArray("choices")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("safe"), mode->getArray("choices")->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(true, keys->getObject(5)->getValue<bool>("secret"));

        auto instances = store->getArray("instances");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), instances->size());
        auto instance = instances->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), instance->getValue<std::string>("plugin"));
        CPPUNIT_ASSERT_EQUAL(std::string("default"), instance->getValue<std::string>("instance"));
        CPPUNIT_ASSERT_EQUAL(std::string("store"), instance->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("recoverable_error"), instance->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("database locked"), instance->getValue<std::string>("message"));
        CPPUNIT_ASSERT(!instance->isNull("since"));
    }

    void resolvesTypedConfigWithDefaults() {
        LoadRun run({"good-store.so"});
        const PluginInfo info = storeInfo(run);
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("store.fixture.label", " primary ");
        config->setString("store.fixture.tags", "a,b");
        config->setString("store.fixture.headers.Authorization", "Bearer x");
        config->setString("store.fixture.headers.X-Trace", "on");
        config->setString("store.fixture.mode", "Fast");
        config->setString("store.fixture.compress", "ON");
        const auto resolved = resolvePluginConfig(*config, info);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"capacity":100,"label":"primary","mode":"fast","tags":["a","b"],)"
                                         R"("headers":{"Authorization":"Bearer x","X-Trace":"on"},"compress":true,"ratio":0.5})"),
                             resolved.json);
        CPPUNIT_ASSERT_EQUAL(std::string("100"), resolved.values.at("capacity"));
        CPPUNIT_ASSERT_EQUAL(std::string("true"), resolved.values.at("compress"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), resolved.values.count("token"));
        // The environment layer cannot enumerate: a declared key is still found when asked for.
        CPPUNIT_ASSERT(firstMissingRequiredKey(*config, "store.fixture", info.configKeys) == nullptr);
        config->remove("store.fixture.label");
        CPPUNIT_ASSERT_EQUAL(std::string("label"), firstMissingRequiredKey(*config, "store.fixture", info.configKeys)->name);
    }

    void refusesBadValuesNamingTheKey() {
        LoadRun run({"good-store.so"});
        const PluginInfo info = storeInfo(run);
        expectConfigError(info, {{"label", "x"}, {"capacity", "12abc"}},
                          "invalid configuration: store.fixture.capacity = '12abc': expected an integer in [1, 10000]");
        expectConfigError(info, {{"label", "x"}, {"capacity", "0"}},
                          "invalid configuration: store.fixture.capacity = '0': expected an integer in [1, 10000]");
        expectConfigError(info, {{"label", "x"}, {"mode", "slow"}},
                          "invalid configuration: store.fixture.mode = 'slow': expected one of fast, safe");
        expectConfigError(info, {{"label", "x"}, {"compress", "maybe"}},
                          "invalid configuration: store.fixture.compress = 'maybe': expected true or false");
        expectConfigError(info, {{"label", "x"}, {"ratio", "2"}},
                          "invalid configuration: store.fixture.ratio = '2': expected a number in [0, 1]");
        expectConfigError(info, {{"label", "x"}, {"headers", "x"}},
                          "invalid configuration: store.fixture.headers = 'x': expected sub-keys headers.<name> "
                          "(in config_json an object of strings)");
        expectConfigError(info, {}, "invalid configuration: store.fixture.label is required and not set (A free-form label)");
    }

    void refusesUndeclaredKeyUnderThePrefix() {
        LoadRun run({"good-store.so"});
        const PluginInfo info = storeInfo(run);
        expectConfigError(info, {{"label", "x"}, {"capacty", "5"}},
                          "invalid configuration: store.fixture.capacty is not a key of fixture-store (its keys: capacity, "
                          "label, mode, tags, headers.<name>, token, compress, ratio)");
        // A key the host reads itself is not the plugin's to declare.
        PluginConfigOptions options;
        options.hostKeys = {"enabled"};
        const auto resolved = resolvePluginConfig({{"label", "x"}, {"enabled", "true"}}, info, options);
        CPPUNIT_ASSERT(resolved.json.find("enabled") == std::string::npos);
    }

    void resolvesSecretsThroughTheResolver() {
        LoadRun run({"good-store.so"});
        const PluginInfo info = storeInfo(run);
        PluginConfigOptions options;
        std::vector<std::string> asked;
        options.secrets = [&asked](const std::string& key, const std::string& text) {
            asked.push_back(key + "=" + text);
            if (text == "${env:MISSING}") throw std::runtime_error("cannot resolve " + key + ": ${env:MISSING}: not set");
            return std::string("s3cret");
        };
        const auto resolved = resolvePluginConfig({{"label", "${env:LABEL}"}, {"token", "${env:TOKEN}"}}, info, options);
        // Only SECRET keys are resolved; the label is taken as written.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), asked.size());
        CPPUNIT_ASSERT_EQUAL(std::string("store.fixture.token=${env:TOKEN}"), asked[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("\"s3cret\""), resolved.values.at("token"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"${env:LABEL}\""), resolved.values.at("label"));
        try {
            resolvePluginConfig({{"label", "x"}, {"token", "${env:MISSING}"}}, info, options);
            CPPUNIT_FAIL("an unresolvable secret must be refused");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: cannot resolve store.fixture.token: ${env:MISSING}: not set"),
                                 std::string(e.what()));
        }
    }

    void helpTextListsKeysWithRangesAndChoices() {
        LoadRun run({"good-store.so", "refuse-abi-major.so"});
        const std::string text = pluginKeysText(run.registry);
        CPPUNIT_ASSERT(text.find("fixture-store 1.2.3 (store): In-memory store for loader tests\n") == 0);
        CPPUNIT_ASSERT(text.find("  store.fixture.capacity = 100  (an integer in [1, 10000])\n      How many records the store keeps\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(text.find("  store.fixture.label =   (a string, required)\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("  store.fixture.mode = safe  (one of fast, safe)\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("  store.fixture.headers.<name> =   (sub-keys headers.<name>") != std::string::npos);
        CPPUNIT_ASSERT(text.find("  store.fixture.token =   (a string, secret: ${env:NAME} or ${file:/path})\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("refused: " + run.dir.file("refuse-abi-major.so") +
                                 ": plugin ABI 1.0 is incompatible with host ABI " + hostAbi() + ": different major version\n") != std::string::npos);
    }

    void rescanPicksUpAddedReplacedRemovedAndRefusedFiles() {
        LoadRun run({"good-store.so"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), run.registry.loadedCount());
        const std::string dir = run.dir.path().string();
        const std::string dropped = run.dir.file("good-discovery.so");
        const auto touch = [&](const std::string& path, int seconds) {
            fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(seconds));
        };

        fs::copy_file(kFixtureDir + "/good-discovery.so", dropped);
        auto changes = run.registry.rescan(dir);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":["fixture-discovery"],"removed":[],"replaced":[],"refused":[]})"),
                             changes.json());
        const auto first = run.registry.find("fixture-discovery");
        CPPUNIT_ASSERT(first);
        CPPUNIT_ASSERT_EQUAL(dropped, first->info.path); // the operator's path, not the private copy
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), run.registry.loadedCount());
        CPPUNIT_ASSERT(run.registry.rescan(dir).empty()); // nothing changed since

        // Overwritten in place (same inode, new content time): loaded again from a fresh copy.
        fs::copy_file(kFixtureDir + "/good-discovery.so", dropped, fs::copy_options::overwrite_existing);
        touch(dropped, 2);
        changes = run.registry.rescan(dir);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.replaced.size());
        CPPUNIT_ASSERT(changes.replaced[0].first == first);
        CPPUNIT_ASSERT(changes.replaced[0].second == run.registry.find("fixture-discovery"));
        CPPUNIT_ASSERT(changes.replaced[0].second != first);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), run.registry.report().size());

        // Replaced by something that is not a plugin: refused, and the loaded version runs on.
        fs::copy_file(kFixtureDir + "/not-a-library.so", dropped, fs::copy_options::overwrite_existing);
        touch(dropped, 4);
        changes = run.registry.rescan(dir);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.refused.size());
        CPPUNIT_ASSERT_EQUAL(dropped, changes.refused[0].first);
        CPPUNIT_ASSERT_MESSAGE(changes.refused[0].second,
                               changes.refused[0].second.find("not a loadable shared library") == 0);
        const auto kept = run.record("good-discovery.so");
        CPPUNIT_ASSERT(kept.loaded);
        CPPUNIT_ASSERT_MESSAGE(kept.reason, kept.reason.find("the version loaded before keeps running") != std::string::npos);
        CPPUNIT_ASSERT(run.registry.find("fixture-discovery"));

        // Removed: no longer listed; a refused file stays refused until it changes.
        fs::remove(dropped);
        fs::copy_file(kFixtureDir + "/not-a-library.so", run.dir.path() / "junk.so");
        changes = run.registry.rescan(dir);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"added\":[],\"removed\":[\"fixture-discovery\"],\"replaced\":[],\"refused\":[{\"file\":\"" +
                                         run.dir.file("junk.so") + "\",\"reason\":\"" + changes.refused.at(0).second + "\"}]}"),
                             changes.json());
        CPPUNIT_ASSERT(!run.registry.find("fixture-discovery"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), run.registry.loadedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), run.registry.refusedCount()); // junk.so
        CPPUNIT_ASSERT(run.registry.rescan(dir).empty());
    }

    void rescanOfAVanishedDirectoryDropsNothing() {
        LoadRun run({"good-store.so", "good-discovery.so"});
        const std::string dir = run.dir.path().string();
        fs::remove_all(run.dir.path());
        const auto changes = run.registry.rescan(dir);
        CPPUNIT_ASSERT(changes.removed.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.refused.size());
        CPPUNIT_ASSERT_EQUAL("plugins directory '" + dir + "' does not exist", changes.refused[0].second);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), run.registry.loadedCount());
        fs::create_directories(run.dir.path()); // for ScratchDir's cleanup
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginLoaderTest);
