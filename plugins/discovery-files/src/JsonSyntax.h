#pragma once
// Where a JSON text first goes wrong, as "line L, column C: what". Poco's parser (1.11) says what is
// wrong but not where; a user editing a config file by hand needs the position.
#include <string>
#include <string_view>

namespace mc::discovery_files {

// "" when `text` is one valid JSON value (RFC 8259), else "line L, column C: <problem>".
std::string jsonSyntaxError(std::string_view text);

} // namespace mc::discovery_files
