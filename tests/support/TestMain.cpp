// CppUnit driver shared by every test program: `prog` runs all suites, `prog Suite` runs one,
// `prog Suite::testName` one test. Exits non-zero on any failure.
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN); // a peer closing a socket must fail a test, not kill the program
    CppUnit::Test* all = CppUnit::TestFactoryRegistry::getRegistry().makeTest();
    const std::string path = argc > 1 ? argv[1] : "";
    if (!path.empty()) {
        try {
            all->findTest(path);
        } catch (const std::invalid_argument&) {
            std::cerr << "no test or suite named '" << path << "'\n";
            return 2;
        }
    }
    CppUnit::TestResult controller;
    CppUnit::TestResultCollector result;
    controller.addListener(&result);
    CppUnit::BriefTestProgressListener progress;
    controller.addListener(&progress);
    CppUnit::TestRunner runner;
    runner.addTest(all); // the runner owns the tree; a path selects a suite or test within it
    runner.run(controller, path);
    CppUnit::CompilerOutputter(&result, std::cerr).write();
    const int run = result.runTests();
    std::cout << (run - result.testFailuresTotal()) << " passed, " << result.testFailuresTotal() << " failed\n";
    if (run == 0) {
        std::cerr << "no test ran\n";
        return 3;
    }
    return result.wasSuccessful() ? 0 : 1;
}
