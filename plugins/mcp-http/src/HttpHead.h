// A request's head written in one piece. Poco's HTTPClientSession writes a head with a known body
// length twice: once into a counting stream, a character at a time, to learn its length, then to the
// connection, each name, separator and value through std::ostream: ~24,000 of the host's ~600,000
// instructions per tool call relayed over Streamable HTTP (bench/README.md, "stop 46").
// The session (its connection, buffer and body streams) stays Poco's; only the head's writing changes.
#pragma once

#include <Poco/Net/HTTPMessage.h>
#include <Poco/Net/HTTPRequest.h>

#include <ostream>
#include <string>

namespace mc::mcp_http {

// Appends "Name: value\r\n" per field of `message`, as on the wire: the head's field lines and the
// inspector's copy of a request's or response's fields are one formatting.
void appendFieldLines(std::string& out, const Poco::Net::HTTPMessage& message);
inline std::string headerLines(const Poco::Net::HTTPMessage& message) {
    std::string out;
    appendFieldLines(out, message);
    return out;
}

// A request whose head is formatted once into one string: Poco's counting pass only adds its length.
class OneWriteRequest : public Poco::Net::HTTPRequest {
public:
    // An HTTP/1.1 request of `method` for `uri` (a path and query), with no fields yet.
    OneWriteRequest(const std::string& method, const std::string& uri) : HTTPRequest(method, uri, HTTP_1_1) {}
    // "METHOD uri version", then "Name: value" per field, each line ending in CRLF, then CRLF.
    std::string head() const;
    void write(std::ostream& out) const override;
};

} // namespace mc::mcp_http
