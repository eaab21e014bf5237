// Whether the bytes a server has sent so far hold its whole HTTP/1.1 response, read without taking
// them off the socket (MSG_PEEK). A response that is all there is read on the host's I/O thread
// without blocking it (mc_host_api.watch_readable, ABI 2.4), from the parts found here (Poco's reader,
// a character at a time through its streams, is not used for it); anything else goes to a worker of
// the plugin's own, which reads with blocking calls and a deadline as before.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::mcp_http {

enum class ResponseFraming {
    Complete,   // the head and the whole body (Content-Length, or chunked up to its last chunk)
    Incomplete, // well formed so far; more bytes are needed
    Unreadable  // not for the host thread: malformed, 1xx, a body that ends when the connection
                // closes, or lengths past what is checked here (the worker's reader decides)
};

// A whole response's parts; the views are of the bytes it was read from.
struct WholeResponse {
    std::string_view version; // "HTTP/1.1"
    int status = 0;
    std::string_view reason;
    std::vector<std::pair<std::string_view, std::string_view>> fields; // in order, values trimmed
    std::string body;        // its content: a chunked body's chunks joined, trailer fields left out
    std::size_t length = 0;  // the message's bytes, head and body: what to take off the socket
};

// `bytes`: everything the server sent for the response so far, from its status line on. `whole`, when
// given, receives the response's parts when it is Complete (and is left as it was otherwise).
ResponseFraming responseFraming(std::string_view bytes, WholeResponse* whole = nullptr);

} // namespace mc::mcp_http
