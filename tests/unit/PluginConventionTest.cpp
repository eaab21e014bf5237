// The plugin folder convention, enforced over the real tree: every folder in plugins/ has
// CMakeLists.txt, README.md, an example config (*.properties.example) and tests/ with a *.cpp; every
// built plugin loads, and its README mentions each config key its descriptor declares. The checker
// itself is proven on scratch trees that break the convention.
#include "TestHttp.h"
#include "plugin/PluginRegistry.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using mc::test::readFile;

namespace {

void writeFile(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::vector<fs::path> sortedEntries(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

bool hasFileMatching(const fs::path& dir, const std::string& suffix) {
    for (const auto& path : sortedEntries(dir)) {
        const std::string name = path.filename().string();
        if (fs::is_regular_file(path) && name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return true;
    }
    return false;
}

// Violations of the folder layout, one line each, e.g. "plugins/x: missing README.md".
std::vector<std::string> checkPluginFolders(const fs::path& pluginsRoot) {
    std::vector<std::string> violations;
    for (const auto& folder : sortedEntries(pluginsRoot)) {
        if (!fs::is_directory(folder)) continue;
        const std::string name = "plugins/" + folder.filename().string();
        for (const char* required : {"CMakeLists.txt", "README.md"})
            if (!fs::is_regular_file(folder / required)) violations.push_back(name + ": missing " + required);
        if (!hasFileMatching(folder, ".properties.example"))
            violations.push_back(name + ": missing an example config *.properties.example");
        if (!hasFileMatching(folder / "tests", ".cpp")) violations.push_back(name + ": missing tests/*.cpp");
    }
    return violations;
}

// Plugin library name (as given to mc_add_plugin) -> the folder whose CMakeLists.txt builds it.
std::map<std::string, fs::path> pluginFoldersByLibrary(const fs::path& pluginsRoot) {
    static const std::regex addPlugin(R"(mc_add_plugin\s*\(\s*([A-Za-z0-9_.+-]+))");
    std::map<std::string, fs::path> out;
    for (const auto& folder : sortedEntries(pluginsRoot)) {
        if (!fs::is_directory(folder)) continue;
        const std::string cmake = readFile(folder / "CMakeLists.txt");
        for (std::sregex_iterator it(cmake.begin(), cmake.end(), addPlugin), end; it != end; ++it)
            out[(*it)[1].str()] = folder;
    }
    return out;
}

// Violations among the built plugins in `builtDir`.
std::vector<std::string> checkBuiltPlugins(const fs::path& pluginsRoot, const fs::path& builtDir) {
    std::vector<std::string> violations;
    const auto folders = pluginFoldersByLibrary(pluginsRoot);
    mc::host::PluginRegistry registry;
    for (const auto& file : sortedEntries(builtDir)) {
        if (file.extension() != ".so") continue;
        const std::string library = file.stem().string();
        registry.loadFile(file.string());
        const auto record = registry.report().back();
        if (!record.loaded) {
            violations.push_back(library + ".so: refused: " + record.reason);
            continue;
        }
        auto folder = folders.find(library);
        if (folder == folders.end()) {
            violations.push_back(library + ".so: no folder in plugins/ builds it with mc_add_plugin(" + library + " ...)");
            continue;
        }
        const std::string readme = readFile(folder->second / "README.md");
        for (const auto& key : record.info.configKeys)
            if (readme.find(key.name) == std::string::npos)
                violations.push_back("plugins/" + folder->second.filename().string() +
                                     "/README.md does not mention config key '" + key.name + "' of plugin '" +
                                     record.info.id + "'");
    }
    return violations;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

class ScratchTree {
public:
    ScratchTree() : root_(fs::temp_directory_path() / ("mc-convention-" + std::to_string(std::random_device{}()))) {
        fs::create_directories(root_);
    }
    ~ScratchTree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    const fs::path& root() const { return root_; }

private:
    fs::path root_;
};

} // namespace

class PluginConventionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginConventionTest);
    CPPUNIT_TEST(everyPluginFolderHasTheRequiredFiles);
    CPPUNIT_TEST(everyBuiltPluginLoadsAndDocumentsItsKeys);
    CPPUNIT_TEST(checkerReportsIncompleteFolders);
    CPPUNIT_TEST(checkerReportsUndocumentedKeysAndRefusedLibraries);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyPluginFolderHasTheRequiredFiles() {
        const auto violations = checkPluginFolders(fs::path(MC_TEST_SOURCE_DIR) / "plugins");
        CPPUNIT_ASSERT_MESSAGE(joined(violations), violations.empty());
    }

    void everyBuiltPluginLoadsAndDocumentsItsKeys() {
        const auto violations = checkBuiltPlugins(fs::path(MC_TEST_SOURCE_DIR) / "plugins", MC_TEST_PLUGIN_DIR);
        CPPUNIT_ASSERT_MESSAGE(joined(violations), violations.empty());
    }

    void checkerReportsIncompleteFolders() {
        ScratchTree tree;
        const fs::path plugins = tree.root() / "plugins";
        writeFile(plugins / "complete" / "CMakeLists.txt", "mc_add_plugin(complete SOURCES src/a.cpp)\n");
        writeFile(plugins / "complete" / "README.md", "# complete\n");
        writeFile(plugins / "complete" / "complete.properties.example", "x = 1\n");
        writeFile(plugins / "complete" / "tests" / "CompleteTest.cpp", "\n");
        writeFile(plugins / "bare" / "CMakeLists.txt", "mc_add_plugin(bare SOURCES src/a.cpp)\n");
        writeFile(plugins / "bare" / "tests" / "notes.txt", "not a test\n");
        writeFile(plugins / "CMakeLists.txt", "# files beside the folders are not plugins\n");
        const std::vector<std::string> expected = {
            "plugins/bare: missing README.md",
            "plugins/bare: missing an example config *.properties.example",
            "plugins/bare: missing tests/*.cpp",
        };
        CPPUNIT_ASSERT_EQUAL(joined(expected), joined(checkPluginFolders(plugins)));
    }

    void checkerReportsUndocumentedKeysAndRefusedLibraries() {
        ScratchTree tree;
        const fs::path plugins = tree.root() / "plugins";
        const fs::path built = tree.root() / "built";
        // good-store.so declares capacity, label, mode, tags, headers, token, compress and ratio; this
        // README forgets "label".
        writeFile(plugins / "store-fixture" / "CMakeLists.txt", "mc_add_plugin(\n  good-store SOURCES src/a.cpp)\n");
        writeFile(plugins / "store-fixture" / "README.md",
                  "Keys: `capacity` (default 100), `mode`, `tags`, `headers.<name>`, `token`, `compress`, `ratio`.\n");
        fs::create_directories(built);
        for (const char* name : {"good-store.so", "good-discovery.so", "not-a-library.so"})
            fs::copy_file(fs::path(MC_TEST_FIXTURE_PLUGIN_DIR) / name, built / name);
        const std::vector<std::string> expected = {
            "good-discovery.so: no folder in plugins/ builds it with mc_add_plugin(good-discovery ...)",
            "plugins/store-fixture/README.md does not mention config key 'label' of plugin 'fixture-store'",
            "not-a-library.so: refused: not a loadable shared library: " + (built / "not-a-library.so").string() +
                ": invalid ELF header",
        };
        CPPUNIT_ASSERT_EQUAL(joined(expected), joined(checkBuiltPlugins(plugins, built)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginConventionTest);
