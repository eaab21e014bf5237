#pragma once
// A self-signed certificate for 127.0.0.1 and localhost made by the test itself (OpenSSL), written as
// PEM files into a temporary directory: what http.tls.cert / http.tls.key and a client's trust need.
#include "TestHttp.h"

#include <string>

namespace mc::test {

class SelfSignedCertificate {
public:
    SelfSignedCertificate();
    const std::string& certificateFile() const { return certificate_; }
    const std::string& keyFile() const { return key_; }

private:
    TempDir dir_;
    std::string certificate_;
    std::string key_;
};

} // namespace mc::test
