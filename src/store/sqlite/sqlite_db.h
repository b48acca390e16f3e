#pragma once
// Thin RAII wrappers over the SQLite C API for the store: a connection and
// prepared statements that reset themselves after each use. Internal to
// src/store/sqlite/.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace scanscope::sqlite_internal {

class Statement;

// One connection, serialized (SQLITE_OPEN_FULLMUTEX): an ingest writer appends
// raw chunks on one thread while another reads the point's stored records
// through different statements of the same connection. One per Store.
class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // `path` is used in every error message.
  Status Open(const std::string& path);
  Status Exec(std::string_view sql);
  Status Prepare(std::string_view sql, Statement* out);
  // A one-line error for a failed call: "PATH: WHAT: sqlite message".
  Status Error(std::string_view what, int rc) const;
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement, reused. Use: Bind*, then Step (until DONE), then the
// Scope's destructor resets it (so that no read transaction lingers).
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() { return sqlite3_step(s_); }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string_view Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  std::string_view Blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  friend class Db;
  sqlite3_stmt* s_ = nullptr;
};

// Resets a statement when leaving scope.
class Scope {
 public:
  explicit Scope(Statement* s) : s_(s) {}
  ~Scope() { s_->Reset(); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Statement* s_;
};

}  // namespace scanscope::sqlite_internal
