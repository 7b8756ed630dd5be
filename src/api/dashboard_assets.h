#pragma once
// The web dashboard's files: built by Vite from dashboard/ and embedded into the binary at build time
// (dashboard/CMakeLists.txt generates the table), or read from server.dashboard_dir when that is set.

#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"

namespace foresight::api {

struct EmbeddedAsset {
  std::string_view path;          // "/index.html", "/assets/index-3f2a.js"; "" ends the table
  std::string_view content_type;
  std::string_view data;          // the file
  std::string_view gzip;          // the file gzip-compressed, or empty when that would not be smaller
};

namespace generated {
extern const EmbeddedAsset kDashboardAssets[];
extern const size_t kDashboardAssetCount;
}  // namespace generated

// The embedded file at `path`, or nullptr. Embedded files count: 0 when built without npm.
const EmbeddedAsset* FindEmbeddedAsset(std::string_view path);
size_t EmbeddedAssetCount();

// A dashboard file for GET `path` ("/" means /index.html): from `dir` when set and the file is there,
// else from the embedded build; nullopt when neither has it or the path climbs out ("..").
// index.html is sent with Cache-Control: no-cache; the content-hashed /assets/* as immutable for a year.
// Embedded files go gzip-compressed to clients that accept it (Vary: Accept-Encoding).
std::optional<HttpResponse> DashboardFile(const std::string& dir, std::string path, const HttpRequest& req);

}  // namespace foresight::api
