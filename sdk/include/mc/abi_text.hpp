// mc_str <-> std::string_view: the one conversion both sides of the ABI use (the host's plugin,
// gateway and receiver code, and every plugin through sdk.hpp). Header-only, no dependencies beyond
// plugin_abi.h.
#pragma once

#include "mc/plugin_abi.h"

#include <string_view>

namespace mc::sdk {

constexpr mc_str str(std::string_view s) noexcept { return mc_str{s.data(), s.size()}; }
// NULL with length 0 is the empty text.
constexpr std::string_view view(mc_str s) noexcept {
    return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

} // namespace mc::sdk
