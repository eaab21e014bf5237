// Tests hello-discovery.so as the host would drive it, with the SDK's fake host (no Mission Control
// needed): the descriptor loads, configuration is validated, start announces the server.
#include <mc/sdk_test.hpp>

#include <iostream>

namespace {
int failures = 0;
void check(bool ok, const char* what) {
    if (!ok) {
        ++failures;
        std::cerr << "FAILED: " << what << "\n";
    }
}
} // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : HELLO_DISCOVERY_SO;
    mc::sdk::test::FakeHost host(path);
    for (const auto& problem : host.problems()) std::cerr << "descriptor: " << problem << "\n";
    check(host.problems().empty(), "the host would load the plugin");

    auto bad = host.create({{"server_name", ""}});
    check(bad->created().status == MC_ERR_CONFIG && bad->created().error == "server_name = '': expected a name",
          "an empty server_name is refused, naming the key");
    check(host.resolve({{"policy", "sometimes"}}).error ==
              "discovery.hello.policy = 'sometimes': expected one of auto-connect, list-only",
          "a bad policy is refused before create");

    auto hello = host.create({{"server_name", "alpha"}, {"command", "/usr/bin/my-server"}, {"args", "--stdio, -v"}});
    check(hello->created().ok(), "create");
    check(hello->start().ok(), "start");
    check(hello->logged("hello from hello-discovery: announcing 'alpha'"), "start logs");
    const auto servers = hello->servers();
    check(servers.count("hello#alpha") == 1, "start reports the server");
    if (servers.count("hello#alpha"))
        check(servers.at("hello#alpha").serverJson ==
                  R"({"transport":"stdio","command":"/usr/bin/my-server","args":["--stdio","-v"]})",
              "the server definition");
    check(hello->lastStatus() && hello->lastStatus()->status == MC_COMPONENT_OK, "status ok after start");
    check(hello->refresh().ok() && hello->scans() == 2, "refresh scans again");
    check(hello->stop().ok(), "stop");
    for (const auto& v : hello->violations()) std::cerr << "violation: " << v << "\n";
    check(hello->violations().empty(), "no ABI rule broken");

    std::cout << (failures ? "FAILED\n" : "ok\n");
    return failures ? 1 : 0;
}
