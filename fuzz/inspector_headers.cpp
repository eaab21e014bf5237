// The protocol inspector's view of an HTTP exchange's headers (host/src/gateway/WireLog.cpp): lines
// a transport reports as they came from an MCP server (or as configured), turned into a JSON object
// with secrets redacted.
//
// Checked: no crash/UB/leak; the output is one JSON object; every member whose name marks a secret
// holds "[redacted]" and nothing else; no member's name is empty.
#include "FuzzSupport.h"

#include "gateway/WireLog.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view lines(reinterpret_cast<const char*>(data), size);
    const std::string json = mc::host::WireLog::headersJson(lines);
    Poco::JSON::Object::Ptr object;
    try {
        object = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
        MC_FUZZ_CHECK(false, "not one JSON object: " + mc::fuzz::shown(json, 200));
    }
    for (const auto& name : object->getNames()) {
        MC_FUZZ_CHECK(!name.empty(), "a header without a name");
        if (mc::host::WireLog::isSecretHeader(name))
            MC_FUZZ_CHECK(object->getValue<std::string>(name) == "[redacted]", "secret header '" + mc::fuzz::shown(name, 40) + "' shown");
    }
    return 0;
}
