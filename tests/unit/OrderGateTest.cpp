// util/OrderGate: what comes after a record its caller makes later waits for it, in order, and runs at
// once once the gate is open; a gate opens once.
#include "util/OrderGate.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using mc::host::OrderGate;

class OrderGateTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OrderGateTest);
    CPPUNIT_TEST(workWaitsForTheOpeningInOrder);
    CPPUNIT_TEST(workAfterTheOpeningRunsAtOnce);
    CPPUNIT_TEST(workFromAnotherThreadRunsOnceWhicheverComesFirst);
    CPPUNIT_TEST_SUITE_END();

public:
    void workWaitsForTheOpeningInOrder() {
        OrderGate gate;
        std::string ran;
        gate.after([&] { ran += "end1 "; });
        gate.after([&] { ran += "end2 "; });
        CPPUNIT_ASSERT_EQUAL(std::string(), ran);
        ran += "start ";
        gate.open();
        CPPUNIT_ASSERT_EQUAL(std::string("start end1 end2 "), ran);
        gate.open(); // once
        CPPUNIT_ASSERT_EQUAL(std::string("start end1 end2 "), ran);
    }

    void workAfterTheOpeningRunsAtOnce() {
        OrderGate gate;
        gate.open();
        bool ran = false;
        gate.after([&] { ran = true; });
        CPPUNIT_ASSERT(ran);
    }

    // The race the gateway has: a server's answer (another thread) against the start's record.
    void workFromAnotherThreadRunsOnceWhicheverComesFirst() {
        for (int round = 0; round < 500; ++round) {
            OrderGate gate;
            std::atomic<bool> started{false};
            std::atomic<int> ends{0};
            std::atomic<bool> endBeforeStart{false};
            std::thread answer([&] {
                gate.after([&] {
                    if (!started) endBeforeStart = true;
                    ++ends;
                });
            });
            started = true;
            gate.open();
            answer.join();
            CPPUNIT_ASSERT_EQUAL(1, ends.load());
            CPPUNIT_ASSERT(!endBeforeStart);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OrderGateTest);
