#include "policy/Role.h"

namespace mc::host {

const char* roleName(Role role) {
    switch (role) {
    case Role::Viewer: return "viewer";
    case Role::Operator: return "operator";
    case Role::Admin: return "admin";
    }
    return "viewer";
}

std::optional<Role> parseRole(const std::string& name) {
    if (name == "viewer") return Role::Viewer;
    if (name == "operator") return Role::Operator;
    if (name == "admin") return Role::Admin;
    return std::nullopt;
}

} // namespace mc::host
