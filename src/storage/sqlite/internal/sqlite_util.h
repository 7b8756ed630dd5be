#pragma once
// RAII wrappers over the SQLite C API used by SqliteRecordStore: a connection that closes itself and
// prepared statements that finalize themselves, plus a scoped reset so a statement never stays
// mid-step (and holding a read snapshot) after the call that used it.
// Thread-safety: none; the owner serialises access (SqliteRecordStore holds a mutex).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/sqlite/sqlite_record_store.h"  // DbCloser, StmtFinalizer

namespace foresight::storage::internal {

using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Maps an SQLite result code to a Status: BUSY/LOCKED -> Unavailable, CORRUPT/NOTADB -> DataLoss,
// CONSTRAINT -> InvalidArgument, the rest -> Internal. The message carries `what` and sqlite3_errmsg.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

// Runs one or more statements without results (schema, pragmas, BEGIN/COMMIT).
Status Exec(sqlite3* db, std::string_view sql);

// A prepared statement borrowed for one use: binds by 1-based index, steps, reads columns, and resets
// and clears its bindings when destroyed. REQUIRES: the owning connection outlives it.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Bind(int i, std::string_view v) { sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  template <typename T>
  void Bind(int i, const std::optional<T>& v) {
    if (v) Bind(i, *v); else BindNull(i);
  }

  // Returns true when a row is available, false when done; errors as Status.
  Result<bool> Step();
  // Steps until done (for INSERT/UPDATE); errors as Status.
  Status Run();

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::optional<int64_t> OptInt(int col) const { return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col)); }
  std::optional<double> OptDouble(int col) const { return IsNull(col) ? std::nullopt : std::optional<double>(Double(col)); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace foresight::storage::internal
