// A message another host of the cluster sends this one on its subject (host/src/cluster/RemoteMessage.cpp):
// a forwarded tool call, or the outcome of one this host forwarded; written by a peer, or by anything
// that can publish on the bus.
//
// Checked: no crash/UB/leak; what decodes has a type; a call has an mcp_id, a tool, object arguments
// and a timeout within 1..3600000 ms; encoding what was decoded decodes to the same.
#include "FuzzSupport.h"

#include "cluster/RemoteMessage.h"

#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    mc::host::RemoteMessage m;
    try {
        m = mc::host::decodeRemoteMessage(text);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    if (m.type == mc::host::RemoteMessage::Type::Call) {
        MC_FUZZ_CHECK(!m.mcpId.empty() && !m.request.tool.empty(), "a call without mcp_id or tool");
        MC_FUZZ_CHECK(!m.request.argumentsJson.empty() && m.request.argumentsJson.front() == '{', "arguments not an object");
        MC_FUZZ_CHECK(m.request.timeout.count() >= 1 && m.request.timeout.count() <= 3600000, "timeout out of range");
        const auto again = mc::host::decodeRemoteMessage(mc::host::encodeRemoteCall(m.call, m.mcpId, m.request));
        MC_FUZZ_CHECK(again.call == m.call && again.mcpId == m.mcpId && again.request.tool == m.request.tool &&
                          again.request.argumentsJson == m.request.argumentsJson && again.request.user == m.request.user,
                      "encode(decode(call)) does not decode to the same");
    } else {
        const auto again = mc::host::decodeRemoteMessage(mc::host::encodeRemoteResult(m.call, m.outcome));
        MC_FUZZ_CHECK(again.call == m.call && again.outcome.outcome == m.outcome.outcome &&
                          again.outcome.refusal == m.outcome.refusal && again.outcome.resultJson == m.outcome.resultJson,
                      "encode(decode(result)) does not decode to the same");
    }
    return 0;
}
