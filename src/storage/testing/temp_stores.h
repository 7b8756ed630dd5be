#pragma once
// Both real stores in a fresh temporary folder, for tests that need the embedded deployment's storage:
// an embedded Tsdb (no background thread, so tests decide when things happen) and a SQLite record
// store. Close() (also the destructor) closes them and removes the folder.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "storage/sqlite/sqlite_record_store.h"
#include "storage/tsdb/tsdb.h"

namespace foresight::storage::testing {

class TempStores {
 public:
  TempStores() = default;
  TempStores(const TempStores&) = delete;
  TempStores& operator=(const TempStores&) = delete;
  ~TempStores() { Close(); }

  // Opens both under <tmp>/foresight-<name>-<pid>, removing what an earlier run left there.
  Status Open(const std::string& name, Clock& clock) {
    dir_ = std::filesystem::temp_directory_path() / ("foresight-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    tsdb::TsdbOptions to;
    to.data_dir = (dir_ / "tsdb").string();
    to.background = false;
    FS_ASSIGN_OR_RETURN(samples_, tsdb::Tsdb::Open(to, clock));
    FS_ASSIGN_OR_RETURN(records_, SqliteRecordStore::Open((dir_ / "records.db").string()));
    return Status::Ok();
  }
  void Close() {
    samples_.reset();
    records_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }

  tsdb::Tsdb& samples() { return *samples_; }
  SqliteRecordStore& records() { return *records_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<tsdb::Tsdb> samples_;
  std::unique_ptr<SqliteRecordStore> records_;
};

}  // namespace foresight::storage::testing
