#include "plugin/LoadedPlugin.h"

namespace mc::host {
namespace {
mc_str str(const std::string& s) { return mc_str{s.data(), s.size()}; }
} // namespace

mc_config_key ConfigKeyInfo::abi() const {
    mc_config_key key{};
    key.struct_size = sizeof(mc_config_key);
    key.name = str(name);
    key.type = type;
    key.flags = (required ? uint32_t{MC_CONFIG_REQUIRED} : 0u) | (secret ? uint32_t{MC_CONFIG_SECRET} : 0u) |
                (hasRange ? uint32_t{MC_CONFIG_HAS_RANGE} : 0u);
    key.default_value = str(defaultValue);
    key.min = min;
    key.max = max;
    key.choices = str(choices);
    key.description = str(description);
    key.example = str(example);
    return key;
}

const char* kindName(mc_plugin_kind kind) {
    switch (kind) {
    case MC_KIND_TRANSPORT: return "transport";
    case MC_KIND_DISCOVERY: return "discovery";
    case MC_KIND_STORE: return "store";
    case MC_KIND_RECEIVER: return "receiver";
    case MC_KIND_BUS: return "bus";
    case MC_KIND_INVALID: break;
    }
    return "invalid";
}

const char* configTypeName(mc_config_type type) {
    switch (type) {
    case MC_CONFIG_STRING: return "string";
    case MC_CONFIG_INT: return "int";
    case MC_CONFIG_BOOL: return "bool";
    case MC_CONFIG_DOUBLE: return "double";
    case MC_CONFIG_ENUM: return "enum";
    case MC_CONFIG_LIST: return "list";
    case MC_CONFIG_OBJECT: return "object";
    case MC_CONFIG_INVALID: break;
    }
    return "invalid";
}

} // namespace mc::host
