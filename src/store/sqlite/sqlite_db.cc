#include "store/sqlite/sqlite_db.h"

namespace scanscope::sqlite_internal {

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Db::Open(const std::string& path) {
  path_ = path;
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status st = Error("cannot open", rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return st;
  }
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(s.substr(0, 60), rc);
  return Status::Ok();
}

Status Db::Prepare(std::string_view sql, Statement* out) {
  if (out->s_ != nullptr) {  // re-preparing a Statement replaces its statement
    sqlite3_finalize(out->s_);
    out->s_ = nullptr;
  }
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &out->s_, nullptr);
  if (rc != SQLITE_OK) return Error(std::string("prepare ") + std::string(sql.substr(0, 60)), rc);
  return Status::Ok();
}

Status Db::Error(std::string_view what, int rc) const {
  std::string msg = path_ + ": " + std::string(what) + ": ";
  msg += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PERM:
      return Status::IoError(msg);
    default:
      return Status::Internal(msg);
  }
}

Statement::~Statement() {
  if (s_ != nullptr) sqlite3_finalize(s_);
}

}  // namespace scanscope::sqlite_internal
