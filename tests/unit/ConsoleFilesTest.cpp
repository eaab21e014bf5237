// web/ConsoleFiles: what the host serves of the console directory: index.html and assets/ as found at
// start, nothing else (no hidden files, no subdirectories, no paths), and why nothing when it cannot.
#include "web/ConsoleFiles.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace mc::host;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("mc-console-files-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    void write(const std::string& relative, const std::string& body) const {
        fs::create_directories((path / relative).parent_path());
        std::ofstream(path / relative, std::ios::binary) << body;
    }
};

} // namespace

class ConsoleFilesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleFilesTest);
    CPPUNIT_TEST(servesTheIndexAndTheAssetsFoundAtStart);
    CPPUNIT_TEST(servesNothingElse);
    CPPUNIT_TEST(saysWhyWhenThereIsNoConsole);
    CPPUNIT_TEST(refusesAConsoleTooLargeToHold);
    CPPUNIT_TEST_SUITE_END();

public:
    void servesTheIndexAndTheAssetsFoundAtStart() {
        TempDir dir;
        dir.write("index.html", "<!doctype html><title>x</title>");
        dir.write("assets/main-AB12.js", "console.log(1)");
        dir.write("assets/main-CD34.css", "body{}");
        dir.write("assets/main-AB12.js.map", "{}");
        const auto files = ConsoleFiles::load(dir.path.string());
        CPPUNIT_ASSERT(files->available());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), files->fileCount());
        const auto* index = files->find("/");
        CPPUNIT_ASSERT(index);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), index->contentType);
        CPPUNIT_ASSERT(!index->immutable);
        const auto* script = files->find("/assets/main-AB12.js");
        CPPUNIT_ASSERT(script);
        CPPUNIT_ASSERT_EQUAL(std::string("console.log(1)"), script->body);
        CPPUNIT_ASSERT_EQUAL(std::string("text/javascript; charset=utf-8"), script->contentType);
        CPPUNIT_ASSERT(script->immutable);
        CPPUNIT_ASSERT_EQUAL(std::string("text/css; charset=utf-8"), files->find("/assets/main-CD34.css")->contentType);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), files->find("/assets/main-AB12.js.map")->contentType);
        // An ETag is a quoted digest of the body: equal bodies, equal tags; different bodies, different tags.
        CPPUNIT_ASSERT_EQUAL(std::size_t(22), script->etag.size());
        CPPUNIT_ASSERT(script->etag != index->etag);
        CPPUNIT_ASSERT_EQUAL('"', script->etag.front());
    }

    void servesNothingElse() {
        TempDir dir;
        dir.write("index.html", "<p>");
        dir.write("secret.txt", "not served: only index.html and assets/");
        dir.write("assets/.hidden.js", "x");
        dir.write("assets/sub/deeper.js", "x");
        dir.write("assets/we ird.js", "x");
        dir.write("assets/ok.svg", "<svg/>");
        const auto files = ConsoleFiles::load(dir.path.string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), files->fileCount());
        CPPUNIT_ASSERT(files->find("/assets/ok.svg"));
        CPPUNIT_ASSERT_EQUAL(std::string("image/svg+xml"), files->find("/assets/ok.svg")->contentType);
        for (const char* path : {"/secret.txt", "/assets/.hidden.js", "/assets/sub/deeper.js", "/assets/sub", "/assets/we ird.js",
                                 "/assets/../secret.txt", "/index.html", "/assets/", ""})
            CPPUNIT_ASSERT_MESSAGE(path, files->find(path) == nullptr);
    }

    void saysWhyWhenThereIsNoConsole() {
        TempDir dir;
        const auto missing = ConsoleFiles::load((dir.path / "nowhere").string());
        CPPUNIT_ASSERT(!missing->available());
        CPPUNIT_ASSERT(missing->find("/") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("the console is not installed: there is no " + (dir.path / "nowhere" / "index.html").string() +
                                         " (the build makes it from console/ when node and npm are installed; http.console_dir names "
                                         "another place)"),
                             missing->problem());
        const auto off = ConsoleFiles::load("off");
        CPPUNIT_ASSERT(!off->available());
        CPPUNIT_ASSERT_EQUAL(std::string("the console is off (http.console_dir = off)"), off->problem());
        // An index without assets is still a console (a page that loads nothing).
        dir.write("index.html", "<p>");
        CPPUNIT_ASSERT(ConsoleFiles::load(dir.path.string())->available());
    }

    void refusesAConsoleTooLargeToHold() {
        TempDir dir;
        dir.write("index.html", "<p>");
        dir.write("assets/a.js", std::string(ConsoleFiles::kMaxTotalBytes / 2, 'a'));
        dir.write("assets/b.js", std::string(ConsoleFiles::kMaxTotalBytes / 2, 'b'));
        const auto files = ConsoleFiles::load(dir.path.string());
        CPPUNIT_ASSERT(!files->available());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), files->fileCount());
        CPPUNIT_ASSERT_EQUAL(std::string("the console in " + dir.path.string() + " is larger than 32 MiB: not served"), files->problem());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleFilesTest);
