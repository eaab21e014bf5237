#include "mc/records/RandomId.h"

#include <sys/random.h>

#include <array>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace mc::records {
namespace {

// Random bytes handed out 16 at a time; refilled from getrandom() when used up. A forked child
// would share its parent's unused bytes: the host forks only to exec (mcp-stdio), never to go on.
class RandomPool {
public:
    void take(std::uint8_t* out, std::size_t n) {
        if (used_ + n > bytes_.size()) refill();
        std::memcpy(out, bytes_.data() + used_, n);
        std::memset(bytes_.data() + used_, 0, n); // a byte given out is not kept
        used_ += n;
    }

private:
    void refill() {
        std::size_t got = 0;
        while (got < bytes_.size()) {
            const ssize_t n = ::getrandom(bytes_.data() + got, bytes_.size() - got, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
            }
            got += static_cast<std::size_t>(n);
        }
        used_ = 0;
    }

    std::array<std::uint8_t, 4096> bytes_{};
    std::size_t used_ = bytes_.size();
};

std::string uuidText(const std::uint8_t (&b)[16]) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += kHex[b[i] >> 4];
        out += kHex[b[i] & 0x0f];
    }
    return out;
}

thread_local RandomPool t_pool;

} // namespace

std::string randomUuid() {
    std::uint8_t b[16];
    t_pool.take(b, sizeof b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80); // variant 10
    return uuidText(b);
}

std::string timeOrderedUuid() {
    std::uint8_t b[16];
    t_pool.take(b + 8, 8);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const auto millis = static_cast<std::uint64_t>(micros / 1000);
    const auto fraction = static_cast<std::uint32_t>((micros % 1000) * 4096 / 1000); // 12 bits
    for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(millis >> (8 * (5 - i)));
    b[6] = static_cast<std::uint8_t>(0x70 | (fraction >> 8)); // version 7
    b[7] = static_cast<std::uint8_t>(fraction & 0xff);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80); // variant 10
    return uuidText(b);
}

} // namespace mc::records
