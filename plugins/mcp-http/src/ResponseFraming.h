// Whether the bytes a server has sent so far hold its whole HTTP/1.1 response, read without taking
// them off the socket (MSG_PEEK). A response that is all there can be read on the host's I/O thread
// without blocking it (mc_host_api.watch_readable, ABI 2.4); anything else goes to a worker of the
// plugin's own, which reads with blocking calls and a deadline as before.
#pragma once

#include <string_view>

namespace mc::mcp_http {

enum class ResponseFraming {
    Complete,   // the head and the whole body (Content-Length, or chunked up to its last chunk)
    Incomplete, // well formed so far; more bytes are needed
    Unreadable  // not for the host thread: malformed, 1xx, a body that ends when the connection
                // closes, or lengths past what is checked here (the worker's reader decides)
};

// `bytes`: everything the server sent for the response so far, from its status line on.
ResponseFraming responseFraming(std::string_view bytes);

} // namespace mc::mcp_http
