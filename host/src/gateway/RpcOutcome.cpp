#include "gateway/RpcOutcome.h"

#include "util/Json.h"

#include <Poco/Exception.h>

namespace mc::host {

std::shared_ptr<const ResultText> ResultText::of(std::string_view json) {
    auto made = std::make_shared<ResultText>();
    made->json.assign(json);
    made->scanned = mc::json::scan(made->json);
    if (!made->scanned.ok() || made->scanned.kind != '{') return nullptr;
    return made;
}

Poco::JSON::Object::Ptr RpcOutcome::resultObject() const {
    if (!result) return nullptr;
    try {
        const auto parsed = json::parse(result->json);
        return parsed.type() == typeid(Poco::JSON::Object::Ptr) ? parsed.extract<Poco::JSON::Object::Ptr>() : nullptr;
    } catch (const Poco::Exception&) { // deeper than the parser goes (the scanner took it): no tree
        return nullptr;
    }
}

RpcOutcome RpcOutcome::resulting(std::string_view json) {
    RpcOutcome outcome;
    outcome.kind = Kind::Result;
    outcome.result = ResultText::of(json);
    return outcome;
}

} // namespace mc::host
