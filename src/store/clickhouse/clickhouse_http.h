#pragma once
// Talking to one ClickHouse server over its HTTP interface (cpp-httplib), and
// the RowBinary encoding of the values scanscope sends and reads.
//
// Every SELECT is sent with wait_end_of_query=1, so that an error the server
// meets after the first rows is an HTTP 500 and never bytes appended to a 200
// answer (which is what ClickHouse 18.16 does without it); answers above
// 32 MiB are buffered in the server's tmp_path until complete.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/status.h"

namespace scanscope::clickhouse_internal {

struct Endpoint {
  std::string host;
  int port = 8123;
  std::string user;  // empty: the server's default user
  std::string password;
  std::string database;  // the database queries run in; empty: none named
};

// One server. Thread-compatible: each call opens its own connection, so
// different threads may call one HttpClient's const methods at once.
class HttpClient {
 public:
  explicit HttpClient(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}
  const Endpoint& endpoint() const { return endpoint_; }
  std::string Name() const { return endpoint_.host + ":" + std::to_string(endpoint_.port); }

  // Runs a statement (DDL, ALTER, INSERT ... VALUES) and returns the answer's
  // body. Errors of the server or the network become IoError naming the server.
  Result<std::string> Execute(const std::string& sql) const;
  // Runs a SELECT and returns its whole answer (complete: see above).
  Result<std::string> Select(const std::string& sql) const;
  // INSERT INTO `table_and_columns` FORMAT `format` (RowBinary, Native) with
  // `data`. `settings` are extra URL parameters ("insert_distributed_sync=1").
  Status Insert(const std::string& table_and_columns, std::string_view format,
                std::string_view data, const std::string& settings = "") const;

 private:
  Result<std::string> Post(const std::string& query_in_url, std::string_view body,
                           bool select) const;
  Endpoint endpoint_;
};

// SQL string literal: 'text' with \ and ' escaped.
std::string Quote(std::string_view text);

// RowBinary writers (little-endian fixed-size values, strings as LEB128
// length + bytes, FixedString(16) as the 16 bytes).
template <typename T>
inline void PutFixed(std::string* out, T value) {
  char b[sizeof(T)];
  std::memcpy(b, &value, sizeof(T));  // x86-64 and arm64 are little-endian
  out->append(b, sizeof(T));
}
void PutString(std::string* out, std::string_view s);
inline void PutAddress(std::string* out, const IpAddress& a) {
  out->append(reinterpret_cast<const char*>(a.bytes().data()), 16);
}

// Reads RowBinary values from an answer; any read past the end sets failed().
class RowReader {
 public:
  explicit RowReader(std::string_view data) : data_(data) {}
  bool done() const { return at_ >= data_.size(); }
  bool failed() const { return failed_; }
  template <typename T>
  T Fixed() {
    T v{};
    if (data_.size() - at_ < sizeof(T)) {
      failed_ = true;
      at_ = data_.size();
      return v;
    }
    std::memcpy(&v, data_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::string_view String();
  IpAddress Address();

 private:
  std::string_view data_;
  size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace scanscope::clickhouse_internal
