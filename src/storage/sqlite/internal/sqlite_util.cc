#include "storage/sqlite/internal/sqlite_util.h"

#include <string>

namespace foresight::storage::internal {

void DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void StmtFinalizer::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable("sqlite", what, detail);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::DataLoss("sqlite", what, detail);
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument("sqlite", what, detail);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return Status::FailedPrecondition("sqlite", what, detail);
    default:
      return Status::Internal("sqlite", what, detail);
  }
}

Status Exec(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status st = SqliteError(db, rc, err ? std::string_view(err) : std::string_view(sql));
    sqlite3_free(err);
    return st;
  }
  return Status::Ok();
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, sqlite3_sql(stmt_) ? std::string_view(sqlite3_sql(stmt_)).substr(0, 40) : "step");
}

Status Stmt::Run() {
  while (true) {
    FS_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

}  // namespace foresight::storage::internal
