#pragma once
// Reading GET /api/discovery in tests: one source's report and one entry it found.
#include "TestHttp.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace mc::test {

inline Poco::JSON::Object::Ptr discovery(unsigned short port) { return httpGet(port, "/api/discovery").json(); }

// The entry of `sources` named `name` ("mdns", "registry"), or nullptr.
inline Poco::JSON::Object::Ptr sourceNamed(const Poco::JSON::Object::Ptr& report, const std::string& name) {
    auto sources = report->getArray("sources");
    for (std::size_t i = 0; i < sources->size(); ++i)
        if (sources->getObject(i)->getValue<std::string>("source") == name) return sources->getObject(i);
    return nullptr;
}

// What `source` found under `key`, or nullptr (also when `source` is nullptr).
inline Poco::JSON::Object::Ptr foundWithKey(const Poco::JSON::Object::Ptr& source, const std::string& key) {
    if (!source) return nullptr;
    auto found = source->getArray("found");
    for (std::size_t i = 0; i < found->size(); ++i)
        if (found->getObject(i)->getValue<std::string>("key") == key) return found->getObject(i);
    return nullptr;
}

} // namespace mc::test
