#pragma once
// A connected non-blocking socket, plain or TLS, with the read/write semantics of recv/writev
// (-1 with errno EAGAIN when it would block), so HTTP connections and WebSocket sessions are written
// once for both. Owns the descriptor (and the TLS session): the destructor closes them.
#include <sys/types.h>
#include <sys/uio.h>

#include <memory>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace mc::host::net {

// The server side of TLS: one certificate chain and key, loaded once (http.tls.cert, http.tls.key).
class TlsContext {
public:
    // Throws std::runtime_error naming the file and OpenSSL's reason when either cannot be used.
    TlsContext(const std::string& certificateChainFile, const std::string& privateKeyFile);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    SSL* newSession(int fd) const; // nullptr when OpenSSL cannot allocate one

private:
    SSL_CTX* context_ = nullptr;
};

class Transport {
public:
    static std::unique_ptr<Transport> plain(int fd);
    // The handshake runs through handshake() before any read or write.
    static std::unique_ptr<Transport> tls(int fd, SSL* session);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    int fd() const { return fd_; }
    bool secure() const { return ssl_ != nullptr; }

    enum class Step { Done, Again, Failed };
    // TLS: advances the server handshake (Again: wantsWrite() says whether to wait for writability).
    // Plain sockets are Done at once. On Failed, `error` says why.
    Step handshake(std::string& error);

    // Like recv(): bytes read, 0 at the peer's orderly end, -1 with errno (EAGAIN: try again later).
    ssize_t read(char* buffer, std::size_t size);
    // Like writev(): bytes written (possibly fewer than offered), -1 with errno (EAGAIN included).
    ssize_t writev(const iovec* parts, int count);
    // TLS: the last call cannot progress until the socket is writable (watch EPOLLOUT).
    bool wantsWrite() const { return wantsWrite_; }
    // TLS: decrypted bytes wait inside the TLS session, where epoll cannot see them.
    bool hasBufferedInput() const;
    // Sends TLS close_notify (best effort) and shuts the write side down (FIN).
    void shutdownWrite();

private:
    Transport(int fd, SSL* ssl);
    int fd_;
    SSL* ssl_;
    bool wantsWrite_ = false;
};

} // namespace mc::host::net
