#include "transport/collector_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/host_port.h"

namespace scanscope {

struct CollectorClient::Impl {
  ClientOptions options;
  std::unique_ptr<httplib::Client> http;
};

namespace {

// "https://HOST:PORT" or "http://HOST:PORT", HOST a name, an IPv4 address or
// a bracketed IPv6 address; nothing after the port but an optional "/".
Status CheckUrl(const std::string& url, bool allow_plain) {
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    if (!allow_plain) {
      return Status::InvalidArgument("collector URL " + url +
                                     " is plain http; use https:// (or allow plain, for tests)");
    }
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("collector URL " + url + " must start with https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("collector URL " + url + " must not have a path");
  }
  Result<HostPort> hp = ParseHostPort(rest);
  if (!hp.ok()) {
    return Status::InvalidArgument("collector URL " + url + ": " + hp.status().message());
  }
  if (url.rfind("http://", 0) == 0 && !IsLoopbackHost(hp->host)) {
    return Status::InvalidArgument("collector URL " + url +
                                   ": plain http is allowed only to a loopback collector");
  }
  return Status::Ok();
}

// The collector's one-line reason: the "error" of its JSON answer, else the body.
std::string Reason(const httplib::Response& res) {
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  return res.body.substr(0, 200);
}

}  // namespace

CollectorClient::CollectorClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CollectorClient::~CollectorClient() = default;

Result<std::unique_ptr<CollectorClient>> CollectorClient::Create(const ClientOptions& options) {
  SCANSCOPE_RETURN_IF_ERROR(CheckUrl(options.url, options.allow_plain));
  if (options.token.empty()) return Status::InvalidArgument("no sensor token given");
  const bool tls = options.url.rfind("https://", 0) == 0;
  if (tls) {
    if (options.ca_file.empty()) {
      return Status::InvalidArgument("https collector needs a CA file (--ca-file)");
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.ca_file, ec)) {
      return Status::InvalidArgument("CA file " + options.ca_file + " is not a readable file");
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::string url = options.url;
  if (url.back() == '/') url.pop_back();
  impl->http = std::make_unique<httplib::Client>(url);
  if (!impl->http->is_valid())
    return Status::InvalidArgument("collector URL " + url + " is not usable");
  if (tls) {
    impl->http->set_ca_cert_path(options.ca_file);
    impl->http->enable_server_certificate_verification(true);
    // Both ends are ours: TLS 1.3 only (no renegotiation, no legacy suites).
    if (SSL_CTX* ctx = impl->http->ssl_context(); ctx != nullptr) {
      SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    }
  }
  impl->http->set_bearer_token_auth(options.token);
  impl->http->set_keep_alive(true);
  // The request goes out as headers then body: without TCP_NODELAY the body
  // waits for the collector's delayed ACK, 40 ms a batch.
  impl->http->set_tcp_nodelay(true);
  impl->http->set_connection_timeout(options.connect_timeout_ms / 1000,
                                     (options.connect_timeout_ms % 1000) * 1000);
  impl->http->set_read_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
  impl->http->set_write_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
  return std::unique_ptr<CollectorClient>(new CollectorClient(std::move(impl)));
}

namespace {

// Maps an HTTP answer other than 200 to the Status the header promises.
Status FromHttp(const std::string& what, const httplib::Response& res, int* retry_after) {
  std::string reason = Reason(res);
  std::string m = fmt::format("{}: collector answered {}: {}", what, res.status, reason);
  if (res.has_header("Retry-After")) {
    *retry_after = std::atoi(res.get_header_value("Retry-After").c_str());
  }
  switch (res.status) {
    case 400:
    case 413:
    case 422:
      return Status::InvalidArgument(m);
    case 401:
    case 403:
      return Status::PermissionDenied(m);
    default:
      return Status::Unavailable(m);  // 429, 503, 500, anything unexpected: try again later
  }
}

}  // namespace

Status CollectorClient::Send(const WireBatch& batch) {
  retry_after_seconds_ = 0;
  refused_for_good_ = false;
  std::string body = EncodeWireBatch(batch);
  std::string what = "batch " + batch.batch_id;
  auto res = impl_->http->Post("/v1/batch", body, "application/octet-stream");
  if (!res) {
    return Status::Unavailable(fmt::format("{}: cannot reach collector {}: {}", what,
                                           impl_->options.url, httplib::to_string(res.error())));
  }
  if (res->status != 200) {
    refused_for_good_ =
        res->status == 400 || res->status == 403 || res->status == 413 || res->status == 422;
    return FromHttp(what, *res, &retry_after_seconds_);
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("batch_id") || !j["batch_id"].is_string() ||
      j["batch_id"].get<std::string>() != batch.batch_id || !j.contains("result") ||
      !j["result"].is_string()) {
    return Status::Unavailable(
        what + ": collector's answer is not an acknowledgement of it: " + res->body.substr(0, 200));
  }
  std::string result = j["result"].get<std::string>();
  if (result != "committed" && result != "duplicate") {
    return Status::Unavailable(what + ": collector answered result \"" + result + "\"");
  }
  return Status::Ok();
}

Status CollectorClient::Report(const std::string& point, const std::string& status_json) {
  retry_after_seconds_ = 0;
  auto status = nlohmann::json::parse(status_json, nullptr, false);
  if (!status.is_object()) return Status::InvalidArgument("status report is not a JSON object");
  nlohmann::json body = {{"point", point}, {"status", status}};
  auto res = impl_->http->Post("/v1/status", body.dump(), "application/json");
  if (!res) {
    return Status::Unavailable(fmt::format("status of {}: cannot reach collector {}: {}", point,
                                           impl_->options.url, httplib::to_string(res.error())));
  }
  if (res->status != 200) return FromHttp("status of " + point, *res, &retry_after_seconds_);
  return Status::Ok();
}

}  // namespace scanscope
