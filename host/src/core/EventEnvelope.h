#pragma once
// An event on its way between the hosts of a cluster, before the cluster's log numbers it: the event's
// JSON as the broadcaster frames it, cut where the seq goes, with its channels and the host it came
// from. Built once by the host that published the event; every host, that one included, splices in
// the seq the log gave it and fans the frame out. Text, so it reads in a NATS monitor:
//
//   mce1 <origin host id>\n
//   ["channel", ...]\n
//   <length of the head>\n
//   <head: {"type":"…","seq":><tail: ,"timestamp":…}>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

struct EventEnvelope {
    std::string origin;                // the host that published it
    std::vector<std::string> channels;
    std::string head;                  // {"type":"<type>","seq":
    std::string tail;                  // ,"timestamp":"…",…,"payload":{…}}
};

std::string encodeEnvelope(std::string_view origin, const std::vector<std::string>& channels, std::string_view head,
                           std::string_view tail);

// Parses an envelope from the bus, the event's JSON checked by a scan; std::invalid_argument saying
// what is wrong (a peer of another version, a stranger on the subject).
EventEnvelope decodeEnvelope(std::string_view text);

} // namespace mc::host
