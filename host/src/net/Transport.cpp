#include "net/Transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mc::host::net {
namespace {

std::string openSslErrors() {
    std::string out;
    while (unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        out += (out.empty() ? "" : "; ") + std::string(text);
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

} // namespace

TlsContext::TlsContext(const std::string& certificateChainFile, const std::string& privateKeyFile) {
    context_ = SSL_CTX_new(TLS_server_method());
    if (!context_) throw std::runtime_error("cannot create a TLS context: " + openSslErrors());
    SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
    // Writes resume from wherever the queue's buffer is now; partial writes report progress.
    SSL_CTX_set_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(context_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(context_, certificateChainFile.c_str()) != 1) {
        const std::string why = openSslErrors();
        SSL_CTX_free(context_);
        throw std::runtime_error("http.tls.cert '" + certificateChainFile + "' is not a usable PEM certificate chain: " + why);
    }
    if (SSL_CTX_use_PrivateKey_file(context_, privateKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
        const std::string why = openSslErrors();
        SSL_CTX_free(context_);
        throw std::runtime_error("http.tls.key '" + privateKeyFile + "' is not a usable PEM private key: " + why);
    }
    if (SSL_CTX_check_private_key(context_) != 1) {
        const std::string why = openSslErrors();
        SSL_CTX_free(context_);
        throw std::runtime_error("http.tls.key '" + privateKeyFile + "' does not match the certificate in http.tls.cert '" +
                                 certificateChainFile + "': " + why);
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

SSL* TlsContext::newSession(int fd) const {
    SSL* ssl = SSL_new(context_);
    if (!ssl) return nullptr;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return nullptr;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

Transport::Transport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}

std::unique_ptr<Transport> Transport::plain(int fd) { return std::unique_ptr<Transport>(new Transport(fd, nullptr)); }

std::unique_ptr<Transport> Transport::tls(int fd, SSL* session) {
    return std::unique_ptr<Transport>(new Transport(fd, session));
}

Transport::~Transport() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
}

Transport::Step Transport::handshake(std::string& error) {
    if (!ssl_) return Step::Done;
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    wantsWrite_ = false;
    if (rc == 1) return Step::Done;
    switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ: return Step::Again;
    case SSL_ERROR_WANT_WRITE: wantsWrite_ = true; return Step::Again;
    case SSL_ERROR_SYSCALL: error = errno ? std::string("socket error: ") + std::strerror(errno) : "the peer closed the connection"; break;
    default: error = openSslErrors(); break;
    }
    return Step::Failed;
}

ssize_t Transport::read(char* buffer, std::size_t size) {
    if (!ssl_) return ::recv(fd_, buffer, size, 0);
    ERR_clear_error();
    const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    wantsWrite_ = false;
    if (n > 0) return n;
    switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_ZERO_RETURN: return 0; // close_notify
    case SSL_ERROR_WANT_READ: errno = EAGAIN; return -1;
    case SSL_ERROR_WANT_WRITE: wantsWrite_ = true; errno = EAGAIN; return -1;
    case SSL_ERROR_SYSCALL:
        if (errno == 0) return 0; // EOF without close_notify: treated as the end of the stream
        return -1;
    default: errno = EPROTO; return -1;
    }
}

ssize_t Transport::writev(const iovec* parts, int count) {
    if (!ssl_) {
        msghdr message{};
        message.msg_iov = const_cast<iovec*>(parts);
        message.msg_iovlen = static_cast<std::size_t>(count);
        return ::sendmsg(fd_, &message, MSG_NOSIGNAL); // a vanished peer is an error, not a SIGPIPE
    }
    // One TLS record per part: queued frames are already message-sized.
    ssize_t total = 0;
    wantsWrite_ = false;
    for (int i = 0; i < count; ++i) {
        if (parts[i].iov_len == 0) continue;
        ERR_clear_error();
        const int n = SSL_write(ssl_, parts[i].iov_base, static_cast<int>(std::min<std::size_t>(parts[i].iov_len, 1 << 30)));
        if (n > 0) {
            total += n;
            if (static_cast<std::size_t>(n) < parts[i].iov_len) return total;
            continue;
        }
        int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
            wantsWrite_ = error == SSL_ERROR_WANT_WRITE;
            if (total > 0) return total;
            errno = EAGAIN;
            return -1;
        }
        if (total > 0) return total;
        if (error != SSL_ERROR_SYSCALL || errno == 0) errno = EPIPE;
        return -1;
    }
    return total;
}

bool Transport::hasBufferedInput() const { return ssl_ && SSL_pending(ssl_) > 0; }

void Transport::shutdownWrite() {
    if (ssl_) {
        ERR_clear_error();
        SSL_shutdown(ssl_); // best effort: a non-blocking socket may take only part of it
    }
    ::shutdown(fd_, SHUT_WR);
}

} // namespace mc::host::net
