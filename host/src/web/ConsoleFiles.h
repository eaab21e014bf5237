#pragma once
// The web console's files (console/, built into <share>/mission-control/console), served at / and
// /assets/<name>. They are read once when the host starts: only the files found then are served (a
// request names a key of that table, never a path on disk), and a rebuilt console is picked up by a
// restart. The page may only load what the host serves and talk to this host (Content-Security-Policy).
#include "web/Router.h"

#include <map>
#include <memory>
#include <string>

namespace mc::host {

class ConsoleFiles {
public:
    struct File {
        std::string body;
        std::string contentType;
        std::string etag;
        bool immutable = false; // a content-hashed asset: browsers may keep it for good
    };

    // Reads `dir`/index.html and the regular files of `dir`/assets. Never throws: when the console is
    // not there (or too big), nothing is served and problem() says why. "off" serves nothing either.
    static std::shared_ptr<const ConsoleFiles> load(const std::string& dir);

    // "/" or "/assets/<name>" → the file, or nullptr.
    const File* find(const std::string& path) const;
    bool available() const { return problem_.empty(); }
    const std::string& problem() const { return problem_; }
    const std::string& dir() const { return dir_; }
    std::size_t fileCount() const { return files_.size(); }

    // The largest console the host reads into memory.
    static constexpr std::size_t kMaxTotalBytes = 32u << 20;

private:
    std::string dir_;
    std::string problem_;
    std::map<std::string, File> files_;
};

// GET / and GET /assets/{file}: open to everyone (they hold no data; the console asks for a token
// when the API wants one). Without a console, / answers 404 with a page that says why.
void registerConsoleRoutes(Router& router, std::shared_ptr<const ConsoleFiles> files);

} // namespace mc::host
