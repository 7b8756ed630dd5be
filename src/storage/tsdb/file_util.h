#pragma once
// Small POSIX helpers shared by the WAL and segment files. Errors are Status::Unavailable with the path
// and strerror, since every failure here is an I/O failure.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace foresight::storage::tsdb {

Status ErrnoStatus(std::string_view what, const std::string& path);
Status WriteAll(int fd, const char* data, size_t n, const std::string& path);
Status PreadAll(int fd, char* data, size_t n, uint64_t offset, const std::string& path);
Result<std::string> ReadWholeFile(const std::string& path);
Status SyncDir(const std::string& dir);
Status EnsureDir(const std::string& dir);

// An exclusive advisory lock (flock) on `dir`/LOCK, held while the object lives, so two processes never
// open one store: the second gets FailedPrecondition naming the directory and the holder's pid. The lock
// goes with the process, so a crashed holder leaves nothing to clean up.
class DirLock {
 public:
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace foresight::storage::tsdb
