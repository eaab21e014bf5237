#include "plugin/LoadedPlugin.h"

namespace mc::host {

const char* kindName(mc_plugin_kind kind) {
    switch (kind) {
    case MC_KIND_TRANSPORT: return "transport";
    case MC_KIND_DISCOVERY: return "discovery";
    case MC_KIND_STORE: return "store";
    case MC_KIND_INVALID: break;
    }
    return "invalid";
}

} // namespace mc::host
