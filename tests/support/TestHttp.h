#pragma once
// A real HTTP client over loopback for tests, plus JSON parsing that fails the test on bad JSON.
#include <Poco/JSON/Object.h>

#include <map>
#include <string>

namespace mc::test {

struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    Poco::JSON::Object::Ptr json() const; // throws if the body is not a JSON object
};

// Waits up to 10 s times timeScale() for each read or write.
HttpResult httpRequest(const std::string& method, unsigned short port, const std::string& pathAndQuery,
                       const std::string& body = {}, const std::map<std::string, std::string>& headers = {});
inline HttpResult httpGet(unsigned short port, const std::string& path, const std::map<std::string, std::string>& headers = {}) {
    return httpRequest("GET", port, path, {}, headers);
}

Poco::JSON::Object::Ptr parseObject(const std::string& text);

// A fresh empty directory under /tmp, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    void write(const std::string& name, const std::string& content) const;

private:
    std::string path_;
};

// The whole content of a file ("" when it cannot be read).
std::string readFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short freePort();

// Whether process `pid` itself holds a listening TCP socket (IPv4 or IPv6) on `port`: a port that
// merely accepts connections may belong to another test's process that took it after freePort().
bool listensOn(int pid, unsigned short port);

// How much slower than a plain build this run may be (MC_TEST_TIME_SCALE, e.g. 3 under sanitizers):
// latency bounds of the tests are multiplied by it, never loosened otherwise.
int timeScale();

} // namespace mc::test
