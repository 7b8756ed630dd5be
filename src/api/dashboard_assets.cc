#include "api/dashboard_assets.h"

#include <fstream>
#include <sstream>

namespace foresight::api {
namespace {

std::string ContentTypeFor(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  return "application/octet-stream";
}

void SetCaching(HttpResponse& r, std::string_view path) {
  if (path.starts_with("/assets/")) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");  // names carry a content hash
  } else {
    r.headers.emplace_back("Cache-Control", "no-cache");  // revalidate: it names the current assets
  }
}

bool AcceptsGzip(const HttpRequest& req) {
  std::string ae = req.Header("accept-encoding");
  size_t at = ae.find("gzip");
  if (at == std::string::npos) return false;
  // "gzip;q=0" refuses it.
  size_t end = ae.find(',', at);
  std::string params = ae.substr(at + 4, end == std::string::npos ? std::string::npos : end - at - 4);
  return params.find("q=0") == std::string::npos || params.find("q=0.") != std::string::npos;
}

}  // namespace

const EmbeddedAsset* FindEmbeddedAsset(std::string_view path) {
  for (size_t i = 0; i < generated::kDashboardAssetCount; ++i) {
    if (generated::kDashboardAssets[i].path == path) return &generated::kDashboardAssets[i];
  }
  return nullptr;
}

size_t EmbeddedAssetCount() { return generated::kDashboardAssetCount; }

std::optional<HttpResponse> DashboardFile(const std::string& dir, std::string path, const HttpRequest& req) {
  if (path.empty() || path == "/") path = "/index.html";
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos) return std::nullopt;
  if (!dir.empty()) {
    std::ifstream in(dir + path, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      HttpResponse r = HttpResponse::Text(200, ss.str(), ContentTypeFor(path));
      SetCaching(r, path);
      return r;
    }
  }
  const EmbeddedAsset* a = FindEmbeddedAsset(path);
  if (!a) return std::nullopt;
  HttpResponse r;
  r.status = 200;
  r.content_type = std::string(a->content_type);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (!a->gzip.empty() && AcceptsGzip(req)) {
    r.body = std::string(a->gzip);
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = std::string(a->data);
  }
  SetCaching(r, path);
  return r;
}

}  // namespace foresight::api
