// The plugin loader against real libraries: every refusal is proven with its own broken fixture,
// loaded from a fresh directory next to the two good fixtures, which must still load.
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
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace mc::host;

namespace {

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

    const PluginLoadRecord& record(const std::string& name) const {
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
    CPPUNIT_TEST(refusesTextFileNamedLikeALibrary);
    CPPUNIT_TEST(refusesLibraryWithMissingDependency);
    CPPUNIT_TEST(refusesLibraryWithoutEntrySymbol);
    CPPUNIT_TEST(refusesNullDescriptor);
    CPPUNIT_TEST(refusesTooSmallDescriptor);
    CPPUNIT_TEST(refusesOtherAbiMajor);
    CPPUNIT_TEST(refusesNewerAbiMinor);
    CPPUNIT_TEST(refusesInvalidKind);
    CPPUNIT_TEST(refusesInvalidId);
    CPPUNIT_TEST(refusesDuplicateIdNamingBothFiles);
    CPPUNIT_TEST(refusesNullConfigKeys);
    CPPUNIT_TEST(refusesNullVtable);
    CPPUNIT_TEST(refusesTooSmallVtable);
    CPPUNIT_TEST(refusesMissingRequiredFunction);
    CPPUNIT_TEST(missingDirectoryIsOneRefusedRecord);
    CPPUNIT_TEST(ignoresFilesWithoutSoSuffixAndSubdirectories);
    CPPUNIT_TEST(olderLayoutReadsOnlyDeclaredBytes);
    CPPUNIT_TEST(wholeFixtureDirectoryLoadsOnlyTheGoodOnes);
    CPPUNIT_TEST(reportJsonDescribesEveryFile);
    CPPUNIT_TEST(resolvesConfigWithDefaultsAndChecksTypes);
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

public:
    void loadsGoodPluginsInFileNameOrder() {
        LoadRun run({"good-store.so", "good-discovery.so", "older-layout.so"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), run.registry.report().size());
        // good-discovery < good-store < older-layout
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery"), run.registry.report()[0].info.id);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), run.registry.report()[1].info.id);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-older-layout"), run.registry.report()[2].info.id);
        CPPUNIT_ASSERT(run.warnings.empty());

        auto store = run.registry.find("fixture-store");
        CPPUNIT_ASSERT(store != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), store->info.version);
        CPPUNIT_ASSERT_EQUAL(std::string("In-memory store for loader tests"), store->info.description);
        CPPUNIT_ASSERT_EQUAL(MC_KIND_STORE, store->info.kind);
        CPPUNIT_ASSERT_EQUAL(run.dir.file("good-store.so"), store->info.path);
        CPPUNIT_ASSERT_EQUAL(sizeof(mc_store_vtable), store->store.struct_size);
        CPPUNIT_ASSERT(store->store.health != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store->info.configKeys.size());
        CPPUNIT_ASSERT_EQUAL(std::string("capacity"), store->info.configKeys[0].name);
        CPPUNIT_ASSERT_EQUAL(MC_CONFIG_INT, store->info.configKeys[0].type);
        CPPUNIT_ASSERT_EQUAL(std::string("100"), store->info.configKeys[0].defaultValue);
        CPPUNIT_ASSERT(store->info.configKeys[0].hasDefault);
        CPPUNIT_ASSERT(!store->info.configKeys[0].required);
        CPPUNIT_ASSERT_EQUAL(std::string("label"), store->info.configKeys[1].name);
        CPPUNIT_ASSERT(!store->info.configKeys[1].hasDefault);
        CPPUNIT_ASSERT(store->info.configKeys[1].required);

        auto stores = run.registry.ofKind(MC_KIND_STORE);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), stores.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), stores[0]->info.id);
        auto discoveries = run.registry.ofKind(MC_KIND_DISCOVERY);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), discoveries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery"), discoveries[0]->info.id);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-older-layout"), discoveries[1]->info.id);
        CPPUNIT_ASSERT(run.registry.ofKind(MC_KIND_TRANSPORT).empty());
        CPPUNIT_ASSERT(run.registry.find("no-such-plugin") == nullptr);
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
        const std::size_t declared = offsetof(mc_plugin_descriptor, vtable);
        const std::size_t needed = offsetof(mc_plugin_descriptor, vtable_size) + sizeof(std::size_t);
        expectRefusal("refuse-small-descriptor.so", "descriptor struct_size " + std::to_string(declared) +
                                                        " is smaller than the " + std::to_string(needed) +
                                                        " bytes the host needs");
    }

    void refusesOtherAbiMajor() {
        expectRefusal("refuse-abi-major.so", "plugin ABI 2.0 is incompatible with host ABI 1.0: different major version");
    }

    void refusesNewerAbiMinor() {
        expectRefusal("refuse-abi-minor.so", "plugin built for ABI 1.3, host supports up to 1.0: newer minor version");
    }

    void refusesInvalidKind() {
        expectRefusal("refuse-invalid-kind.so",
                      "invalid plugin kind 0: expected 1 (transport), 2 (discovery) or 3 (store)");
    }

    void refusesInvalidId() {
        expectRefusal("refuse-invalid-id.so", "invalid plugin id 'Fixture_Bad': must match [a-z0-9][a-z0-9-]*");
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

    void refusesNullConfigKeys() {
        expectRefusal("refuse-null-config-keys.so", "descriptor declares 3 config keys but config_keys is NULL");
    }

    void refusesNullVtable() { expectRefusal("refuse-null-vtable.so", "descriptor has a NULL store vtable"); }

    void refusesTooSmallVtable() {
        expectRefusal("refuse-small-vtable.so",
                      "store vtable is too small: " + std::to_string(offsetof(mc_store_vtable, dialect)) +
                          " bytes, the host needs at least " + std::to_string(sizeof(mc_store_vtable)));
    }

    void refusesMissingRequiredFunction() {
        expectRefusal("refuse-missing-function.so", "required function 'schema_version' of the store vtable is missing");
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

    void olderLayoutReadsOnlyDeclaredBytes() {
        LoadRun run({"older-layout.so"});
        auto plugin = run.registry.find("fixture-older-layout");
        CPPUNIT_ASSERT(plugin != nullptr);
        // The library's structs do hold a config key and a refresh hook, past the sizes it declares.
        CPPUNIT_ASSERT(plugin->info.configKeys.empty());
        CPPUNIT_ASSERT(plugin->discovery.refresh == nullptr);
        CPPUNIT_ASSERT(plugin->discovery.create != nullptr);
        CPPUNIT_ASSERT_EQUAL(offsetof(mc_discovery_vtable, refresh), plugin->discovery.struct_size);
    }

    void wholeFixtureDirectoryLoadsOnlyTheGoodOnes() {
        PluginRegistry registry;
        registry.loadDirectory(kFixtureDir);
        std::vector<std::string> loaded;
        for (const auto& r : registry.report())
            if (r.loaded) loaded.push_back(fs::path(r.path).filename().string());
        const std::vector<std::string> expected = {"forging-discovery.so", "good-discovery.so", "good-store.so",
                                                   "older-layout.so", "throwing-create.so"};
        CPPUNIT_ASSERT(expected == loaded);
        CPPUNIT_ASSERT_EQUAL(std::size_t(14), registry.refusedCount());
        for (const auto& r : registry.report())
            if (!r.loaded) CPPUNIT_ASSERT_MESSAGE(r.path, !r.reason.empty());
    }

    void reportJsonDescribesEveryFile() {
        LoadRun run({"good-store.so", "refuse-abi-major.so"});
        Poco::JSON::Parser parser;
        auto root = parser.parse(run.registry.reportJson()).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(1, root->getValue<int>("loaded"));
        CPPUNIT_ASSERT_EQUAL(1, root->getValue<int>("refused"));
        auto plugins = root->getArray("plugins");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plugins->size());

        auto store = plugins->getObject(0);
        CPPUNIT_ASSERT_EQUAL(run.dir.file("good-store.so"), store->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(std::string("loaded"), store->getValue<std::string>("status"));
        CPPUNIT_ASSERT(store->isNull("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), store->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), store->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(std::string("store"), store->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0"), store->getValue<std::string>("abi"));
        CPPUNIT_ASSERT_EQUAL(std::string("In-memory store for loader tests"), store->getValue<std::string>("description"));
        auto keys = store->getArray("config_keys");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), keys->size());
        auto capacity = keys->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("capacity"), capacity->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("int"), capacity->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("100"), capacity->getValue<std::string>("default"));
        CPPUNIT_ASSERT_EQUAL(false, capacity->getValue<bool>("required"));
        CPPUNIT_ASSERT_EQUAL(std::string("How many records the store keeps"), capacity->getValue<std::string>("description"));
        auto label = keys->getObject(1);
        CPPUNIT_ASSERT(label->isNull("default"));
        CPPUNIT_ASSERT_EQUAL(true, label->getValue<bool>("required"));

        auto refused = plugins->getObject(1);
        CPPUNIT_ASSERT_EQUAL(std::string("refused"), refused->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("plugin ABI 2.0 is incompatible with host ABI 1.0: different major version"),
                             refused->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("2.0"), refused->getValue<std::string>("abi"));
        CPPUNIT_ASSERT(refused->isNull("id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), refused->getArray("config_keys")->size());
    }

    void resolvesConfigWithDefaultsAndChecksTypes() {
        LoadRun run({"good-store.so"});
        const PluginInfo& info = run.registry.find("fixture-store")->info;
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("store.fixture.label", "primary");
        config->setString("store.fixture.extra", "kept");
        auto resolved = pluginInstanceConfig(*config, "store.fixture", info.configKeys);
        CPPUNIT_ASSERT_EQUAL(std::string("100"), resolved.at("capacity"));
        CPPUNIT_ASSERT_EQUAL(std::string("primary"), resolved.at("label"));
        CPPUNIT_ASSERT_EQUAL(std::string("kept"), resolved.at("extra"));
        config->setString("store.fixture.capacity", "12abc");
        try {
            pluginInstanceConfig(*config, "store.fixture", info.configKeys);
            CPPUNIT_FAIL("a non-integer must be refused");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: store.fixture.capacity = '12abc': expected an integer"),
                                 std::string(e.what()));
        }
        config->remove("store.fixture.capacity");
        config->remove("store.fixture.label");
        try {
            pluginInstanceConfig(*config, "store.fixture", info.configKeys);
            CPPUNIT_FAIL("a missing required key must be refused");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("invalid configuration: store.fixture.label is required") == 0);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginLoaderTest);
