#pragma once
// Multicast tests without a real network: a test re-runs itself inside a network namespace it creates
// (`unshare -n`, lo up with multicast and 224.0.0.0/4 routed to it), and announces services there
// with an independent mDNS responder (Debian's python3-zeroconf).
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mc::test {

// Runs `body` inside a fresh network namespace: this test program re-executes itself there with only
// `testPath` ("Suite::test") selected, and the calling test fails with the inner output if it fails.
// Inside, it refuses to run unless lo is the only interface. Fails (never skips) when the namespace
// cannot be made, saying why.
void inNetworkNamespace(const std::string& testPath, const std::function<void()>& body);

// The interfaces of this process's network namespace, sorted.
std::vector<std::string> networkInterfaces();

// python3-zeroconf announcing one DNS-SD service on 127.0.0.1 (plugins/discovery-mdns/tests/mdns-responder.py).
// The constructor returns once the service is registered (probed and announced).
class MdnsResponder {
public:
    // `extra`: more responder arguments ("--ttl", "3", "--type", "_x._tcp") and TXT entries ("path=/mcp").
    MdnsResponder(const std::string& instanceName, unsigned short port, const std::vector<std::string>& extra = {});
    ~MdnsResponder();
    MdnsResponder(const MdnsResponder&) = delete;
    MdnsResponder& operator=(const MdnsResponder&) = delete;

    void unregister(); // goodbye packets (TTL 0)
    void kill();       // gone without a goodbye: browsers lose it when its TTL runs out

private:
    void expectLine(const std::string& want);
    Poco::Pipe input_;
    Poco::Pipe output_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
    std::unique_ptr<Poco::PipeInputStream> in_;
    std::unique_ptr<Poco::PipeOutputStream> out_;
};

} // namespace mc::test
