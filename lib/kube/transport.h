// Transport: HTTPS to one API server over Boost.Beast and OpenSSL, with a
// keep-alive connection pool, connect and request timeouts, a client-side
// token-bucket rate limit, bearer-token or client-certificate auth, and
// streamed responses for watches. TLS verification (chain and host name or IP
// address) is always on.
//
// Thread-safe: any number of threads may call Do() and Stream() at once; each
// call uses its own connection (pooled for Do, dedicated for Stream).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "kube/api_error.h"
#include "kube/client_config.h"
#include "kube/clock.h"
#include "kube/rate_limiter.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace oncoatlas::kube {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string target;          // absolute path and query; the config's base_path is prepended
  std::string content_type;    // only with a body
  std::string body;
  std::string accept = "application/json";
};

struct HttpResponse {
  int code = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // "" when absent.
  std::string Header(const std::string& lower_case_name) const;
};

// Told about every request the client completes: the hook for metrics such as
// rest_client_requests_total{code,method}. `code` is 0 when no HTTP response
// arrived (connection or TLS failure, timeout). Called from the requesting
// thread; implementations must be thread-safe and must not block.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequest(const std::string& method, int code, std::chrono::nanoseconds latency) = 0;
  // Told as a request is sent (after the rate limiter; once per Do or Stream
  // call, however many connections it takes), with its target (path and
  // query, without the config's base path). Same rules as OnRequest.
  virtual void OnSend(const std::string& /*method*/, const std::string& /*target*/) {}
};

// Lets another thread stop a Stream() in progress. Cancel() is thread-safe,
// idempotent and permanent: a cancelled token stops every later Stream() too.
class CancelToken {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class Transport;
  // Registers what Cancel() must do to interrupt the stream in progress.
  // Returns false when already cancelled.
  bool SetInterrupt(std::function<void()> interrupt);
  void ClearInterrupt();

  mutable Mutex mutex_;
  bool cancelled_ GUARDED_BY(mutex_) = false;
  std::function<void()> interrupt_ GUARDED_BY(mutex_);
};

using ApiStatus = ApiResult<std::monostate>;

class Transport {
 public:
  struct Options {
    Clock* clock = &RealClock::Instance();  // for the rate limiter; must outlive the transport
    RequestObserver* observer = nullptr;    // optional; must outlive the transport
    std::size_t max_idle_connections = 16;
  };

  // Checks the TLS material (CA, client certificate and key) and builds the
  // TLS context. No connection is made yet.
  static Result<std::unique_ptr<Transport>> Create(const ClientConfig& config, Options options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends a request and reads the whole response. A non-2xx status is a
  // response, not an error; errors are network, TLS and timeout failures.
  Result<HttpResponse> Do(const HttpRequest& request);

  // Sends a request on a dedicated connection and hands the body to
  // `on_data` as it arrives (chunked or not) until the server ends it,
  // `on_data` returns false, `cancel` is cancelled, or no byte arrives for
  // `idle_timeout`. A non-200 response is returned as an ApiError built from
  // its body. Returns OK when the server ended the body or on_data stopped it;
  // a cancelled stream returns a kUnavailable error with message "cancelled".
  ApiStatus Stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data,
                   CancelToken* cancel, std::chrono::milliseconds idle_timeout);

  const ClientConfig& config() const { return config_; }

  class Connection;  // opaque; defined in transport.cc

 private:
  Transport(ClientConfig config, Options options);
  Result<std::unique_ptr<Connection>> Connect();
  std::unique_ptr<Connection> TakeIdle();
  void ReturnIdle(std::unique_ptr<Connection> connection);
  Result<std::string> AuthorizationHeader();

  const ClientConfig config_;
  const Options options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  TokenBucket limiter_;
  Mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(pool_mutex_);
};

}  // namespace oncoatlas::kube
