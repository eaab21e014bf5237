#include "Subjects.h"

#include <stdexcept>

namespace mc::bus_nats {

bool validSubject(std::string_view subject, bool wildcards) {
    if (subject.empty() || subject.size() > 255) return false;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = subject.find('.', start);
        const std::string_view token = subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (token.empty()) return false;
        const bool last = dot == std::string_view::npos;
        if (wildcards && (token == "*" || (token == ">" && last))) {
            // a wildcard token
        } else {
            for (char c : token) {
                const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                if (!ok) return false;
            }
        }
        if (last) return true;
        start = dot + 1;
    }
}

std::string qualified(std::string_view prefix, std::string_view subject, bool wildcards) {
    if (!validSubject(subject, wildcards))
        throw std::invalid_argument("subject '" + std::string(subject) +
                                    "' is not dot-separated tokens of [A-Za-z0-9_-]" + (wildcards ? " (or * and a final >)" : ""));
    std::string out(prefix);
    out += '.';
    out += subject;
    return out;
}

std::string_view unqualified(std::string_view prefix, std::string_view natsSubject) {
    if (natsSubject.size() <= prefix.size() + 1 || natsSubject.compare(0, prefix.size(), prefix) != 0 ||
        natsSubject[prefix.size()] != '.')
        return {};
    return natsSubject.substr(prefix.size() + 1);
}

} // namespace mc::bus_nats
