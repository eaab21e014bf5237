// The descriptor of bus-nats: its keys (under bus.nats.), declared once in kSettings.
#include "NatsBus.h"

MC_DECLARE_BUS_PLUGIN(mc::bus_nats::NatsBus, "bus-nats", "0.1.0",
                      "Carries the cluster's event log (a JetStream stream) and requests between hosts over NATS",
                      "bus.nats", mc::bus_nats::kSettings)
