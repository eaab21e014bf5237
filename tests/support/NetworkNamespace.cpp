#include "NetworkNamespace.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mc::test {
namespace {
constexpr const char* kInsideNamespace = "MC_TEST_IN_NETNS";
} // namespace

// /proc/self/net follows the network namespace; /sys/class/net does not unless sysfs is remounted.
std::vector<std::string> networkInterfaces() {
    std::vector<std::string> out;
    std::ifstream dev("/proc/self/net/dev");
    std::string line;
    while (std::getline(dev, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue; // the two header lines
        const auto start = line.find_first_not_of(' ');
        out.push_back(line.substr(start, colon - start));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void inNetworkNamespace(const std::string& testPath, const std::function<void()>& body) {
    if (std::getenv(kInsideNamespace)) {
        const auto interfaces = networkInterfaces();
        if (interfaces != std::vector<std::string>{"lo"}) {
            std::string list;
            for (const auto& i : interfaces) list += " " + i;
            CPPUNIT_FAIL("refusing to multicast: " + std::string(kInsideNamespace) +
                         " is set but this is not an isolated network namespace (interfaces:" + list + ")");
        }
        body();
        return;
    }
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    Poco::Pipe output;
    Poco::Process::Env env;
    env[kInsideNamespace] = "1";
    const std::vector<std::string> args = {
        "-n", "--", "/bin/sh", "-c",
        "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$1\"",
        self, testPath};
    Poco::ProcessHandle child = Poco::Process::launch("unshare", args, ".", nullptr, &output, &output, env);
    Poco::PipeInputStream in(output);
    std::stringstream text;
    text << in.rdbuf();
    const int status = child.wait();
    if (status == 0) return;
    if (text.str().find("unshare:") != std::string::npos)
        CPPUNIT_FAIL("cannot create a network namespace with `unshare -n` (multicast tests never use a real network; "
                     "they need root or CAP_SYS_ADMIN, util-linux and iproute2):\n" + text.str());
    CPPUNIT_FAIL("'" + testPath + "' failed inside its network namespace (exit " + std::to_string(status) + "):\n" + text.str());
}

MdnsResponder::MdnsResponder(const std::string& instanceName, unsigned short port, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {std::string(MC_TEST_SOURCE_DIR) + "/plugins/discovery-mdns/tests/mdns-responder.py",
                                     "--name", instanceName, "--port", std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/usr/bin/python3", args, &input_, &output_, nullptr));
    in_ = std::make_unique<Poco::PipeInputStream>(output_);
    out_ = std::make_unique<Poco::PipeOutputStream>(input_);
    expectLine("registered");
}

MdnsResponder::~MdnsResponder() {
    if (!handle_) return;
    try {
        Poco::Process::kill(*handle_);
        handle_->wait();
    } catch (...) {
    }
}

void MdnsResponder::unregister() {
    *out_ << "unregister" << std::endl;
    expectLine("unregistered");
}

void MdnsResponder::kill() {
    Poco::Process::kill(*handle_);
    handle_->wait();
    handle_.reset();
}

void MdnsResponder::expectLine(const std::string& want) {
    std::string line;
    if (!std::getline(*in_, line) || line != want)
        CPPUNIT_FAIL("mdns-responder.py: expected '" + want + "', got '" + line +
                     "' (is python3-zeroconf installed? scripts/deps.sh test)");
}

} // namespace mc::test
