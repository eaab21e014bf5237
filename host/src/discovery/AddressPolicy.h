#pragma once
// Where discovered servers may be reached. Two per-source rules (docs/discovery.md):
//   discovery.<source>.allow_private_addresses: the address classes (loopback, link-local, lan,
//     metadata) a found http/sse server may be probed and connected on; public addresses always may.
//   discovery.<source>.allow_remotes: host patterns of the remote servers it may auto-connect.
// Host names are resolved before the class is judged (checkHostAddresses), and the caller connects
// to the address that was judged, so a name cannot point elsewhere between check and connect.
#include <Poco/Net/IPAddress.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mc::host {

enum class AddressClass { Public, Lan, Loopback, LinkLocal, Metadata, Unusable };

// "public", "lan", "loopback", "link-local", "metadata", "unusable"
const char* addressClassName(AddressClass c);

// The class of one address, the most specific one: 169.254.169.254 is Metadata, not LinkLocal.
// IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are classed by their IPv4 part.
// Unusable: multicast, broadcast, reserved (never probed, whatever is allowed).
AddressClass classifyAddress(const Poco::Net::IPAddress& address);

// A class known from the name alone: "localhost" and *.localhost (RFC 6761) are Loopback, cloud
// metadata names (metadata.google.internal, ...) are Metadata; nullopt for any other name.
std::optional<AddressClass> classifyHostName(const std::string& host);

// "loopback, lan" -> {Loopback, Lan}; empty -> {}. Throws ConfigError naming `key` for anything else.
std::set<AddressClass> parseAddressClasses(const std::string& value, const std::string& key);

// What a host name (or literal address) resolves to, judged against the allowed classes.
struct AddressCheck {
    enum class Outcome { Allowed, Refused, Unresolved } outcome = Outcome::Unresolved;
    std::vector<std::string> addresses; // every resolved address, as text
    std::set<AddressClass> classes;     // their classes (Public included)
    std::string connectAddress;         // Allowed: the address to connect to (the first one)
    std::string refusedAddress;         // Refused: the first address not allowed ("" when the name decided)
    AddressClass refusedClass = AddressClass::Public;
    std::string error;                  // Unresolved: why
};

// Resolves `host` (blocking: call it off the hot paths). Every address must be Public or in
// `allowed`; a host with one address that is not is refused as a whole.
AddressCheck checkHostAddresses(const std::string& host, const std::set<AddressClass>& allowed);

// One entry of allow_remotes: "*", "mcp.example.com", "*.example.com" (any name below it), an IP
// address, any of these with ":port" ("[::1]:3001" for IPv6), or a CIDR block ("10.0.0.0/8",
// "fd00::/8", no port). Patterns match the URL's host as written, not what it resolves to.
struct HostPattern {
    std::string text;        // as configured, for messages
    bool anyHost = false;    // "*"
    std::string name;        // exact name, or the suffix ".example.com" when `suffix`
    bool suffix = false;
    std::optional<Poco::Net::IPAddress> address; // an address, or the network of a CIDR block
    std::optional<unsigned> prefixLength;        // set for a CIDR block
    unsigned port = 0;                           // 0: any port
};

// Comma list of patterns; throws ConfigError naming `key` and the bad entry.
std::vector<HostPattern> parseHostPatterns(const std::string& value, const std::string& key);

// Whether a URL's host (lower-case; IPv6 without brackets) and port match one of `patterns`.
bool matchesHostPattern(const std::vector<HostPattern>& patterns, const std::string& host, unsigned port);

} // namespace mc::host
