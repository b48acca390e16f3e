#include "store/clickhouse/clickhouse_http.h"

#include <httplib.h>

#include <chrono>
#include <thread>

namespace scanscope::clickhouse_internal {
namespace {

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The first line of a ClickHouse error answer, which names the code and the cause.
std::string FirstLine(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > 600) line = line.substr(0, 600) + "...";
  return line;
}

}  // namespace

Result<std::string> HttpClient::Post(const std::string& query_in_url, std::string_view body,
                                     bool select) const {
  std::string path = "/?";
  if (!endpoint_.database.empty()) path += "database=" + UrlEncode(endpoint_.database) + "&";
  if (select) path += "wait_end_of_query=1&buffer_size=33554432&";
  path += query_in_url;
  // A SELECT is safe to repeat, so a network failure (not a server's error
  // answer) is retried a few times; statements are sent once.
  const int tries = select ? 3 : 1;
  std::string last_error;
  for (int attempt = 0; attempt < tries; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    httplib::Client client(endpoint_.host, endpoint_.port);
    client.set_connection_timeout(10);
    client.set_read_timeout(3600);
    client.set_write_timeout(600);
    client.set_keep_alive(false);
    client.set_tcp_nodelay(true);  // headers and body are separate writes
    // The user and password go in a header (HTTP basic), never in the URL,
    // where proxies and the server's query log would keep them.
    if (!endpoint_.user.empty() || !endpoint_.password.empty()) {
      client.set_basic_auth(endpoint_.user.empty() ? "default" : endpoint_.user,
                            endpoint_.password);
    }
    auto res = client.Post(path.c_str(), body.data(), body.size(), "application/octet-stream");
    if (!res) {
      last_error = "ClickHouse " + Name() + ": " + httplib::to_string(res.error());
      continue;
    }
    if (res->status != 200) {
      return Status::IoError("ClickHouse " + Name() + ": HTTP " + std::to_string(res->status) +
                             ": " + FirstLine(res->body));
    }
    return std::move(res->body);
  }
  return Status::IoError(last_error);
}

Result<std::string> HttpClient::Execute(const std::string& sql) const {
  return Post("", sql, /*select=*/false);
}

Result<std::string> HttpClient::Select(const std::string& sql) const {
  return Post("", sql, /*select=*/true);
}

Status HttpClient::Insert(const std::string& table_and_columns, std::string_view format,
                          std::string_view data, const std::string& settings) const {
  std::string q =
      "query=" + UrlEncode("INSERT INTO " + table_and_columns + " FORMAT " + std::string(format));
  if (!settings.empty()) q += "&" + settings;
  Result<std::string> r = Post(q, data, /*select=*/false);
  return r.ok() ? Status::Ok() : r.status();
}

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void PutString(std::string* out, std::string_view s) {
  uint64_t n = s.size();
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
  out->append(s);
}

std::string_view RowReader::String() {
  uint64_t n = 0;
  int shift = 0;
  for (;;) {
    if (at_ >= data_.size() || shift > 63) {
      failed_ = true;
      at_ = data_.size();
      return {};
    }
    auto b = static_cast<uint8_t>(data_[at_++]);
    n |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  if (data_.size() - at_ < n) {
    failed_ = true;
    at_ = data_.size();
    return {};
  }
  std::string_view s = data_.substr(at_, n);
  at_ += n;
  return s;
}

IpAddress RowReader::Address() {
  if (data_.size() - at_ < 16) {
    failed_ = true;
    at_ = data_.size();
    return {};
  }
  IpAddress a = IpAddress::FromV6Bytes(reinterpret_cast<const uint8_t*>(data_.data() + at_));
  at_ += 16;
  return a;
}

}  // namespace scanscope::clickhouse_internal
