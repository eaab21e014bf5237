#pragma once
// Who may do what: the roles a caller has (a JWT's `role` claim, docs/security.md).
#include <optional>
#include <string>

namespace mc::host {

enum class Role { Viewer = 1, Operator = 2, Admin = 3 }; // each includes the rights of the ones before

const char* roleName(Role role);
std::optional<Role> parseRole(const std::string& name);

} // namespace mc::host
