// Dashboard files: from server.dashboard_dir and from the build embedded into the binary (when npm was
// there at build time: FORESIGHT_DASHBOARD_EMBEDDED), with their content types, caching and gzip.

#include "api/dashboard_assets.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace foresight::api {
namespace {

namespace fs = std::filesystem;

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

#if FORESIGHT_DASHBOARD_EMBEDDED
std::string Gunzip(std::string_view in) {
  z_stream zs{};
  inflateInit2(&zs, 16 + MAX_WBITS);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string("<corrupt>");
}
#endif

HttpRequest Get(const std::string& accept_encoding = "") {
  HttpRequest r;
  r.method = "GET";
  if (!accept_encoding.empty()) r.headers["accept-encoding"] = accept_encoding;
  return r;
}

TEST(DashboardAssets, ServesFromTheFolderWithTypesAndCaching) {
  fs::path dir = fs::temp_directory_path() / ("foresight-dash-" + std::to_string(::getpid()));
  fs::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html><p>from disk</p>";
  std::ofstream(dir / "assets" / "app-1a2b.js") << "console.log(1)";
  std::ofstream(dir / "assets" / "app-1a2b.css") << "p{}";

  auto index = DashboardFile(dir.string(), "/", Get());
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->body, "<!doctype html><p>from disk</p>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(*index, "Cache-Control"), "no-cache");
  auto js = DashboardFile(dir.string(), "/assets/app-1a2b.js", Get());
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(*js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(DashboardFile(dir.string(), "/assets/app-1a2b.css", Get())->content_type, "text/css; charset=utf-8");
  // Nothing outside the folder, and nothing that is not there.
  EXPECT_FALSE(DashboardFile(dir.string(), "/assets/../../etc/passwd", Get()).has_value());
  EXPECT_FALSE(DashboardFile(dir.string(), "/assets/missing-0000.js", Get()).has_value());
  fs::remove_all(dir);
}

#if FORESIGHT_DASHBOARD_EMBEDDED
TEST(DashboardAssets, TheBuildIsEmbeddedAndComplete) {
  ASSERT_GE(EmbeddedAssetCount(), 3u);  // index.html, one JS and one CSS bundle at least
  const EmbeddedAsset* index = FindEmbeddedAsset("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  // Every asset the page names is embedded, with the right type.
  std::string html(index->data);
  std::regex ref(R"((/assets/[A-Za-z0-9_.-]+))");
  int refs = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it, ++refs) {
    const EmbeddedAsset* a = FindEmbeddedAsset((*it)[1].str());
    ASSERT_NE(a, nullptr) << (*it)[1].str();
    EXPECT_FALSE(a->data.empty());
    if (a->path.ends_with(".js")) {
      EXPECT_EQ(a->content_type, "text/javascript; charset=utf-8");
    }
  }
  EXPECT_GE(refs, 2);
}

TEST(DashboardAssets, EmbeddedFilesGoGzippedToClientsThatAcceptIt) {
  const EmbeddedAsset* index = FindEmbeddedAsset("/index.html");
  ASSERT_NE(index, nullptr);
  ASSERT_FALSE(index->gzip.empty());
  EXPECT_EQ(Gunzip(index->gzip), index->data);

  auto gz = DashboardFile("", "/", Get("gzip, deflate, br"));
  ASSERT_TRUE(gz.has_value());
  EXPECT_EQ(HeaderOf(*gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(HeaderOf(*gz, "Vary"), "Accept-Encoding");
  EXPECT_EQ(Gunzip(gz->body), index->data);
  auto plain = DashboardFile("", "/index.html", Get());
  EXPECT_EQ(plain->body, index->data);
  EXPECT_EQ(HeaderOf(*plain, "Content-Encoding"), "");
  auto refused = DashboardFile("", "/index.html", Get("gzip;q=0, identity"));
  EXPECT_EQ(refused->body, index->data);
  // A folder without the file falls back to the embedded build.
  auto fallback = DashboardFile("/nonexistent-folder", "/index.html", Get());
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ(fallback->body, index->data);
}
#else
TEST(DashboardAssets, WithoutNpmNothingIsEmbedded) {
  EXPECT_EQ(EmbeddedAssetCount(), 0u);
  EXPECT_FALSE(DashboardFile("", "/", Get()).has_value());  // GET / falls back to the status page
}
#endif

}  // namespace
}  // namespace foresight::api
