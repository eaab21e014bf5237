#include "api/QueryRouteParams.h"

#include "mc/records/QueryCatalog.h"

namespace mc::host {
namespace {

ParamType routeType(mc::records::ParamKind kind) {
    using mc::records::ParamKind;
    switch (kind) {
    case ParamKind::Integer: return ParamType::Integer;
    case ParamKind::Boolean: return ParamType::Boolean;
    case ParamKind::Timestamp: return ParamType::Timestamp;
    case ParamKind::Enum: return ParamType::Enum;
    case ParamKind::EnumList: return ParamType::EnumList;
    default: return ParamType::String;
    }
}

} // namespace

std::vector<QueryParam> routeParams(const std::string& queryName, const std::string& pathParam) {
    std::vector<QueryParam> out;
    for (const auto& p : mc::records::queryParameters(queryName)) {
        if (p.name == pathParam) continue;
        out.push_back(QueryParam{p.name, routeType(p.kind), p.description, p.values, p.minimum, p.maximum, p.required,
                                 p.defaultValue});
    }
    return out;
}

} // namespace mc::host
