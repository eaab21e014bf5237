#include "export/ExportSettings.h"

#include <Poco/URI.h>

namespace mc::host {
namespace {

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// OTEL_EXPORTER_OTLP_HEADERS' form: name=value pairs separated by commas, values percent-encoded.
std::vector<std::pair<std::string, std::string>> parseHeaders(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto comma = text.find(',', at);
        const std::string item = trim(text.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        at = comma == std::string::npos ? text.size() + 1 : comma + 1;
        if (item.empty()) continue;
        const auto eq = item.find('=');
        const std::string name = eq == std::string::npos ? std::string() : trim(item.substr(0, eq));
        if (name.empty() || name.find_first_of(" \t:\r\n") != std::string::npos)
            throw badValue("export.otlp.headers", item, "name=value pairs separated by commas (Authorization=Bearer%20token)");
        std::string value;
        Poco::URI::decode(trim(item.substr(eq + 1)), value);
        if (value.find_first_of("\r\n") != std::string::npos)
            throw badValue("export.otlp.headers", item, "a header value without line breaks");
        headers.emplace_back(name, value);
    }
    return headers;
}

} // namespace

OtlpExportSettings readOtlpExportSettings(const Poco::Util::AbstractConfiguration& config) {
    OtlpExportSettings s;
    const std::string endpoint = readValue(config, "export.otlp.endpoint");
    s.json = readEnum(config, "export.otlp.encoding") == "json";
    s.gzip = readEnum(config, "export.otlp.compression") == "gzip";
    s.headers = parseHeaders(readValue(config, "export.otlp.headers"));
    s.serviceName = readValue(config, "export.otlp.service_name");
    if (s.serviceName.empty()) throw badValue("export.otlp.service_name", "", "a service name");
    s.includePings = readBool(config, "export.otlp.include_pings");
    s.batchMaxSpans = static_cast<std::size_t>(readInt(config, "export.otlp.batch_max_spans"));
    s.batchDelay = std::chrono::milliseconds(readInt(config, "export.otlp.batch_delay_ms"));
    s.queueMaxSpans = static_cast<std::size_t>(readInt(config, "export.otlp.queue_max_spans"));
    s.timeout = std::chrono::milliseconds(readInt(config, "export.otlp.timeout_ms"));
    s.retryInitial = std::chrono::milliseconds(readInt(config, "export.otlp.retry.initial_ms"));
    s.retryMax = std::chrono::milliseconds(readInt(config, "export.otlp.retry.max_ms"));
    s.retryMaxElapsed = std::chrono::milliseconds(readInt(config, "export.otlp.retry.max_elapsed_ms"));
    if (s.retryMax < s.retryInitial)
        throw badValue("export.otlp.retry.max_ms", std::to_string(s.retryMax.count()),
                       "at least export.otlp.retry.initial_ms (" + std::to_string(s.retryInitial.count()) + ")");
    if (endpoint.empty()) return s;

    const std::string expected = "an http:// or https:// URL (http://127.0.0.1:4318, or the full .../v1/traces URL)";
    Poco::URI uri;
    try {
        uri = Poco::URI(endpoint);
    } catch (const Poco::Exception&) {
        throw badValue("export.otlp.endpoint", endpoint, expected);
    }
    s.scheme = uri.getScheme();
    if ((s.scheme != "http" && s.scheme != "https") || uri.getHost().empty() || !uri.getQuery().empty() ||
        !uri.getFragment().empty() || !uri.getUserInfo().empty())
        throw badValue("export.otlp.endpoint", endpoint, expected);
    s.host = uri.getHost();
    s.port = uri.getPort();
    std::string path = uri.getPath();
    const std::string signal = "/v1/traces";
    if (path.size() < signal.size() || path.compare(path.size() - signal.size(), signal.size(), signal) != 0) {
        while (!path.empty() && path.back() == '/') path.pop_back();
        path += signal; // a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is
    }
    s.path = path;
    s.url = s.scheme + "://" + uri.getAuthority() + path;
    s.enabled = true;
    return s;
}

} // namespace mc::host
