#pragma once
// Test helpers for the tsdb tests: temporary directories, byte flips, a logger that records warnings.

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

namespace foresight::storage::tsdb {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tsdb_test_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
}

// A logger that keeps its output so tests can check the warning path.
class CapturingLogger {
 public:
  CapturingLogger() {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    logger = std::make_shared<spdlog::logger>("tsdb_test", sink_);
    logger->set_level(spdlog::level::info);
  }
  std::string text() {
    logger->flush();
    return out_.str();
  }
  int warnings() {
    std::string t = text();
    int n = 0;
    for (size_t p = t.find("[warning]"); p != std::string::npos; p = t.find("[warning]", p + 1)) ++n;
    return n;
  }
  std::shared_ptr<spdlog::logger> logger;

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace foresight::storage::tsdb
