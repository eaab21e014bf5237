#pragma once
// export.otlp.* (config/HostConfig.cpp declares the keys): where and how the host exports its own spans.
#include "config/HostConfig.h"

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace mc::host {

struct OtlpExportSettings {
    bool enabled = false;   // export.otlp.endpoint is set
    std::string scheme;     // http, https
    std::string host;
    unsigned short port = 0;
    std::string path;       // /v1/traces, or the path the endpoint named
    std::string url;        // as the logs show it
    bool json = false;      // export.otlp.encoding = json
    bool gzip = false;      // export.otlp.compression = gzip
    std::vector<std::pair<std::string, std::string>> headers;
    std::string serviceName;
    bool includePings = false;
    std::size_t batchMaxSpans = 512;
    std::chrono::milliseconds batchDelay{1000};
    std::size_t queueMaxSpans = 10000;
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds retryInitial{1000};
    std::chrono::milliseconds retryMax{30000};
    std::chrono::milliseconds retryMaxElapsed{300000};
};

// Reads and checks the keys; ConfigError names the key (an endpoint that is not an http(s) URL,
// a header that is not name=value).
OtlpExportSettings readOtlpExportSettings(const Poco::Util::AbstractConfiguration& config);

} // namespace mc::host
