#include "web/ConsoleFiles.h"

#include "web/HttpUtil.h"

#include <Poco/SHA1Engine.h>
#include <Poco/DigestStream.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mc::host {
namespace {

namespace fs = std::filesystem;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

// The page itself, and everything it loads, come from this host; it connects only to this host (its
// REST API and /ws) and may not be framed by another site.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string contentTypeOf(const std::string& name) {
    const auto dot = name.rfind('.');
    const std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
    if (ext == "html") return "text/html; charset=utf-8";
    if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "map" || ext == "json") return "application/json";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "woff2") return "font/woff2";
    if (ext == "txt") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

bool plainName(const std::string& name) {
    if (name.empty() || name.front() == '.') return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
    return true;
}

std::string etagOf(const std::string& body) {
    Poco::SHA1Engine sha;
    sha.update(body);
    return "\"" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 20) + "\"";
}

std::optional<std::string> readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void sendFile(RequestContext& ctx, const ConsoleFiles::File& file, bool page) {
    auto& response = ctx.response;
    response.set("ETag", file.etag);
    response.set("Cache-Control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    response.set("X-Content-Type-Options", "nosniff");
    if (page) {
        response.set("Content-Security-Policy", kContentSecurityPolicy);
        response.set("Referrer-Policy", "no-referrer");
        response.set("X-Frame-Options", "DENY");
    }
    if (ctx.request.get("If-None-Match", "") == file.etag) {
        response.setStatus(Status::HTTP_NOT_MODIFIED);
        response.setContentLength(0);
        response.send();
        return;
    }
    http::sendBody(response, Status::HTTP_OK, file.contentType, file.body);
}

} // namespace

std::shared_ptr<const ConsoleFiles> ConsoleFiles::load(const std::string& dir) {
    auto files = std::make_shared<ConsoleFiles>();
    files->dir_ = dir;
    if (dir == "off") {
        files->problem_ = "the console is off (http.console_dir = off)";
        return files;
    }
    std::error_code error;
    const fs::path root(dir);
    const auto index = readFile(root / "index.html");
    if (!index) {
        files->problem_ = "the console is not installed: there is no " + (root / "index.html").string() +
                          " (the build makes it from console/ when node and npm are installed; http.console_dir names another place)";
        return files;
    }
    std::size_t total = index->size();
    std::map<std::string, File> found;
    found["/"] = File{*index, contentTypeOf("index.html"), etagOf(*index), false};
    for (fs::directory_iterator it(root / "assets", error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (!it->is_regular_file(error) || !plainName(name)) continue;
        auto body = readFile(it->path());
        if (!body) continue;
        total += body->size();
        if (total > kMaxTotalBytes) {
            files->problem_ = "the console in " + dir + " is larger than " + std::to_string(kMaxTotalBytes >> 20) +
                              " MiB: not served";
            return files;
        }
        File file{std::move(*body), contentTypeOf(name), "", true};
        file.etag = etagOf(file.body);
        found["/assets/" + name] = std::move(file);
    }
    files->files_ = std::move(found);
    return files;
}

const ConsoleFiles::File* ConsoleFiles::find(const std::string& path) const {
    const auto it = files_.find(path);
    return it == files_.end() ? nullptr : &it->second;
}

void registerConsoleRoutes(Router& router, std::shared_ptr<const ConsoleFiles> files) {
    router.add(Route{"GET", "/", std::nullopt,
                     [files](RequestContext& ctx) {
                         if (const auto* page = files->find("/")) return sendFile(ctx, *page, true);
                         const std::string html =
                             "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mission Control</title></head><body>"
                             "<h1>Mission Control</h1><p>" + http::htmlEscape(files->problem()) + ".</p>"
                             "<p>The API is running: <a href=\"/docs\">/docs</a>, <a href=\"/api/health\">/api/health</a>.</p></body></html>";
                         ctx.response.set("X-Content-Type-Options", "nosniff");
                         http::sendBody(ctx.response, Status::HTTP_NOT_FOUND, "text/html; charset=utf-8", html);
                     },
                     "The web console (console/): fleet, threads, logs, tools, protocol; 404 with the reason when it is not installed.",
                     {}, "text/html"});
    router.add(Route{"GET", "/assets/{file}", std::nullopt,
                     [files](RequestContext& ctx) {
                         const auto* file = files->find("/assets/" + ctx.pathParams["file"]);
                         if (!file) throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "the console has no asset '" + ctx.pathParams["file"] + "'");
                         sendFile(ctx, *file, false);
                     },
                     "The console's scripts and styles (content-hashed names, cached for good)."});
}

} // namespace mc::host
