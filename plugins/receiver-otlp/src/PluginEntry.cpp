// The descriptor of receiver-otlp: its keys (under receiver.otlp.), declared once in kSettings.
#include "OtlpReceiver.h"

MC_DECLARE_RECEIVER_PLUGIN(mc::receiver_otlp::OtlpReceiver, "receiver-otlp", "0.1.0",
                           "Receives OpenTelemetry (OTLP/HTTP logs, traces and metrics) from agents such as Claude Code",
                           "receiver.otlp", mc::receiver_otlp::kSettings)
