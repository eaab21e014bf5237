// The plugins-directory watch (host/src/plugin/PluginDirectoryWatch.h): one call once the directory
// has been quiet after changes to *.so files, none for other files, and a clear error for a
// directory that cannot be watched.
#include "TestHttp.h"
#include "plugin/PluginDirectoryWatch.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mc::host::PluginDirectoryWatch;

namespace {

struct Dir {
    fs::path path = fs::temp_directory_path() / ("mc-watch-test-" + std::to_string(std::random_device()()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Scaled for slow (instrumented) builds: a quiet period the burst below cannot outlast.
std::chrono::milliseconds quiet() { return std::chrono::milliseconds(300 * mc::test::timeScale()); }

bool waitFor(const std::atomic<int>& calls, int wanted) {
    for (int i = 0; i < 500 * mc::test::timeScale() && calls.load() < wanted; ++i) std::this_thread::sleep_for(10ms);
    return calls.load() >= wanted;
}

} // namespace

class PluginDirectoryWatchTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginDirectoryWatchTest);
    CPPUNIT_TEST(aBurstOfPluginChangesIsOneCall);
    CPPUNIT_TEST(otherFilesAreIgnored);
    CPPUNIT_TEST(aMissingDirectoryIsRefusedNamingIt);
    CPPUNIT_TEST(aRemovedDirectoryEndsTheWatch);
    CPPUNIT_TEST_SUITE_END();

public:
    void aBurstOfPluginChangesIsOneCall() {
        Dir dir;
        std::atomic<int> calls{0};
        PluginDirectoryWatch watch(dir.path.string(), [&] { ++calls; }, quiet());
        for (int i = 0; i < 3; ++i) std::ofstream(dir.path / ("p" + std::to_string(i) + ".so")) << "x";
        fs::rename(dir.path / "p0.so", dir.path / "q.so");
        fs::remove(dir.path / "p1.so");
        CPPUNIT_ASSERT(waitFor(calls, 1));
        std::this_thread::sleep_for(quiet() * 2);
        CPPUNIT_ASSERT_EQUAL(1, calls.load()); // one rescan for the whole burst
        std::ofstream(dir.path / "q.so", std::ios::app) << "y"; // written again: another
        CPPUNIT_ASSERT(waitFor(calls, 2));
    }

    void otherFilesAreIgnored() {
        Dir dir;
        std::atomic<int> calls{0};
        PluginDirectoryWatch watch(dir.path.string(), [&] { ++calls; }, 50ms);
        std::ofstream(dir.path / "notes.txt") << "x";
        std::ofstream(dir.path / "plugin.so.tmp") << "x";
        std::this_thread::sleep_for(quiet());
        CPPUNIT_ASSERT_EQUAL(0, calls.load());
        fs::rename(dir.path / "plugin.so.tmp", dir.path / "plugin.so"); // moved into place: counts
        CPPUNIT_ASSERT(waitFor(calls, 1));
    }

    void aMissingDirectoryIsRefusedNamingIt() {
        const std::string missing = (fs::temp_directory_path() / "mc-watch-test-absent" / "plugins").string();
        try {
            PluginDirectoryWatch watch(missing, [] {});
            CPPUNIT_FAIL("watching a missing directory was accepted");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_EQUAL("cannot watch plugins directory '" + missing + "': No such file or directory", std::string(e.what()));
        }
    }

    void aRemovedDirectoryEndsTheWatch() {
        auto dir = std::make_unique<Dir>();
        std::atomic<int> calls{0};
        PluginDirectoryWatch watch(dir->path.string(), [&] { ++calls; }, 50ms);
        dir.reset(); // removed while watched: the thread ends by itself, stop() still returns
        std::this_thread::sleep_for(200ms);
        watch.stop();
        CPPUNIT_ASSERT_EQUAL(0, calls.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginDirectoryWatchTest);
