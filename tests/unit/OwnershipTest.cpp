// Which host connects which server: leases in a store (here an in-memory one with a controllable
// clock), renewed by their holder, spread by fair share, given back above it, taken over when their
// holder stops renewing, and closed by a host that cannot renew before another can take them.
#include "cluster/Ownership.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace mc::host;

namespace {

// Leases as a store keeps them, on a clock the test moves.
struct LeaseTable {
    std::mutex mutex;
    std::int64_t now = 0;
    bool down = false;
    std::map<std::string, std::pair<std::string, std::int64_t>> leases; // name -> holder, expires at
    mc_status lease(mc_lease_op op, const std::string& name, const std::string& who, std::int64_t ttl, std::string& holder,
                    std::string& error) {
        std::lock_guard lock(mutex);
        if (down) {
            error = "the store is down";
            return MC_ERR_UNAVAILABLE;
        }
        auto it = leases.find(name);
        const bool live = it != leases.end() && it->second.second >= now;
        if (op == MC_LEASE_ACQUIRE && (!live || it->second.first == who)) leases[name] = {who, now + ttl};
        if (op == MC_LEASE_RELEASE && live && it->second.first == who) leases.erase(name);
        it = leases.find(name);
        holder = it != leases.end() && it->second.second >= now ? it->second.first : "";
        return MC_OK;
    }
};

// One host: what it connects, through an Ownership on the shared table.
struct Host {
    std::string id;
    std::set<std::string> connected;
    std::map<std::string, std::string> owners;
    bool leading = false;
    std::unique_ptr<Ownership> ownership;
    Host(std::string name, LeaseTable& table, const std::vector<std::string>& servers, const std::size_t& members) : id(std::move(name)) {
        Ownership::Hooks hooks;
        hooks.lease = [this, &table](mc_lease_op op, const std::string& n, std::int64_t ttl, std::string& holder, std::string& error) {
            return table.lease(op, n, id, ttl, holder, error);
        };
        hooks.servers = [servers] { return servers; };
        hooks.members = [&members] { return members; };
        hooks.claim = [this](const std::string& s) { CPPUNIT_ASSERT(connected.insert(s).second); };
        hooks.yield = [this](const std::string& s) { CPPUNIT_ASSERT(connected.erase(s) == 1); };
        hooks.owner = [this](const std::string& s, const std::string& holder) { owners[s] = holder; };
        hooks.lead = [this](bool lead) {
            CPPUNIT_ASSERT(lead != leading); // told only of changes
            leading = lead;
        };
        ownership = std::make_unique<Ownership>(id, std::chrono::milliseconds(3000), std::move(hooks));
    }
};

} // namespace

class OwnershipTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OwnershipTest);
    CPPUNIT_TEST(testServersSpreadAndEachHasOneHost);
    CPPUNIT_TEST(testAHostAboveItsShareGivesBack);
    CPPUNIT_TEST(testLeasesOfAHostThatStoppedRenewingAreTakenOver);
    CPPUNIT_TEST(testAHostThatCannotRenewClosesItsServers);
    CPPUNIT_TEST(testStopReleases);
    CPPUNIT_TEST(testOneLeaderWhichMovesWhenItStops);
    CPPUNIT_TEST_SUITE_END();

public:
    void testServersSpreadAndEachHasOneHost() {
        LeaseTable table;
        const std::vector<std::string> servers{"a", "b", "c", "d", "e"};
        std::size_t members = 3;
        Host h1("h1", table, servers, members), h2("h2", table, servers, members), h3("h3", table, servers, members);
        for (int r = 0; r < 2; ++r)
            for (Host* h : {&h1, &h2, &h3}) h->ownership->round();
        std::set<std::string> all;
        for (Host* h : {&h1, &h2, &h3}) {
            CPPUNIT_ASSERT(h->connected.size() <= 2); // ceil(5 / 3)
            for (const auto& s : h->connected) CPPUNIT_ASSERT_MESSAGE(s + " twice", all.insert(s).second);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), all.size());
        // Every host knows every owner.
        for (const auto& s : servers) {
            const auto owner = h1.ownership->ownerOf(s);
            CPPUNIT_ASSERT(owner);
            CPPUNIT_ASSERT_EQUAL(*owner, h3.owners[s]);
        }
        CPPUNIT_ASSERT(h1.ownership->healthJson().find("\"ttl_ms\":3000") != std::string::npos);
    }

    void testAHostAboveItsShareGivesBack() {
        LeaseTable table;
        const std::vector<std::string> servers{"a", "b", "c", "d"};
        std::size_t members = 1;
        Host h1("h1", table, servers, members);
        h1.ownership->round();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), h1.connected.size()); // alone: all of them
        members = 2;
        Host h2("h2", table, servers, members);
        h1.ownership->round(); // gives back two
        h2.ownership->round(); // takes them
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h1.connected.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h2.connected.size());
        for (const auto& s : h2.connected) CPPUNIT_ASSERT(!h1.connected.count(s));
    }

    void testLeasesOfAHostThatStoppedRenewingAreTakenOver() {
        LeaseTable table;
        const std::vector<std::string> servers{"a", "b"};
        std::size_t members = 2;
        Host h1("h1", table, servers, members), h2("h2", table, servers, members);
        h1.ownership->round();
        h2.ownership->round();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h1.connected.size());
        const std::string h1s = *h1.connected.begin();
        // h1 dies (renews no more); within the lease nothing moves, after it h2 takes it.
        members = 1;
        table.now += 2000;
        h2.ownership->round();
        CPPUNIT_ASSERT(!h2.connected.count(h1s));
        table.now += 1500;
        h2.ownership->round();
        CPPUNIT_ASSERT(h2.connected.count(h1s));
        CPPUNIT_ASSERT_EQUAL(std::string("h2"), *h2.ownership->ownerOf(h1s));
    }

    void testAHostThatCannotRenewClosesItsServers() {
        LeaseTable table;
        std::size_t members = 1;
        Host h1("h1", table, {"a"}, members);
        h1.ownership->round();
        CPPUNIT_ASSERT(h1.connected.count("a"));
        table.down = true;
        h1.ownership->round(); // just failed: it keeps the server for now
        CPPUNIT_ASSERT(h1.connected.count("a"));
        std::this_thread::sleep_for(std::chrono::milliseconds(2100)); // more than ttl - ttl/3 without renewal
        h1.ownership->round();
        CPPUNIT_ASSERT(h1.connected.empty());
        CPPUNIT_ASSERT(h1.ownership->healthJson().find("\"last_error\":\"the store is down\"") != std::string::npos);
    }

    void testOneLeaderWhichMovesWhenItStops() {
        LeaseTable table;
        std::size_t members = 2;
        Host h1("h1", table, {"a"}, members), h2("h2", table, {"a"}, members);
        h1.ownership->round();
        h2.ownership->round();
        CPPUNIT_ASSERT(h1.leading);
        CPPUNIT_ASSERT(!h2.leading);
        h2.ownership->round(); // still not: h1 renews
        h1.ownership->round();
        CPPUNIT_ASSERT(!h2.leading);
        CPPUNIT_ASSERT(h2.ownership->healthJson().find("\"leader\":\"h1\"") != std::string::npos);
        h1.ownership->stop(); // releases: the next round of h2 takes it
        CPPUNIT_ASSERT(!h1.leading);
        h2.ownership->round();
        CPPUNIT_ASSERT(h2.leading);
    }

    void testStopReleases() {
        LeaseTable table;
        std::size_t members = 1;
        Host h1("h1", table, {"a"}, members);
        h1.ownership->round();
        h1.ownership->stop();
        CPPUNIT_ASSERT(h1.connected.empty());
        std::string holder, error;
        table.lease(MC_LEASE_READ, "mcp:a", "", 0, holder, error);
        CPPUNIT_ASSERT_EQUAL(std::string(), holder); // free at once for another host
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OwnershipTest);
