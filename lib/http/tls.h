// The connection steps every HTTP client of the project shares (lib/http's
// Client and the Kubernetes transport): an OpenSSL client context that always
// verifies the server's chain, a TCP connect with a deadline, and a TLS
// handshake that verifies the host name or IP address. Errors name the server
// and the step, never key material.
//
// Threading: a context may be shared by any number of threads once built; a
// stream and its io_context are used by one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>

#include "core/status.h"

namespace oncoatlas::http {

using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;
using Deadline = std::chrono::steady_clock::time_point;

struct TlsOptions {
  std::string ca_pem;           // the CAs to trust (PEM text), or
  std::string ca_file;          // a PEM file of them; with neither, the system's trust store
  std::string client_cert_pem;  // optional client certificate chain (PEM) and its key
  std::string client_key_pem;
};

// TLS 1.2 or later with peer verification on; fails on unreadable or invalid
// CA or client material, saying which.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsOptions& options);

// Runs one asynchronous operation on `ioc` to completion and returns its
// error; `start` receives the completion handler. The tcp_stream's expiry,
// set by the caller, bounds it.
template <typename Start>
boost::beast::error_code RunOp(boost::asio::io_context& ioc, Start&& start) {
  boost::beast::error_code result = boost::asio::error::would_block;
  start([&result](boost::beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

// Resolves host:port and connects `stream` (Nagle off) by `deadline`.
// Unavailable, or DeadlineExceeded on timeout; `where` names the server.
Status Connect(boost::asio::io_context& ioc, boost::beast::tcp_stream& stream, const std::string& host,
               const std::string& port, Deadline deadline, const std::string& where);

// Sends SNI for a DNS name, requires the certificate to carry `verify_name`
// (a DNS name or an IP address) and does the handshake by `deadline`.
Status Handshake(boost::asio::io_context& ioc, TlsStream& stream, const std::string& verify_name, Deadline deadline,
                 const std::string& where);

}  // namespace oncoatlas::http
