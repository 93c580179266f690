#include "http/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace oncoatlas::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& options) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  if (!options.ca_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(options.ca_pem), ec);
    if (ec) return InvalidArgumentError("the CA certificate is not valid PEM (" + ec.message() + ")");
  } else if (!options.ca_file.empty()) {
    ctx->load_verify_file(options.ca_file, ec);
    if (ec) return InvalidArgumentError("cannot load the CA bundle " + options.ca_file + ": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) return InvalidArgumentError("cannot load the system's CA bundle: " + ec.message());
  }
  if (!options.client_cert_pem.empty()) {
    ctx->use_certificate_chain(asio::buffer(options.client_cert_pem), ec);
    if (ec) return InvalidArgumentError("the client certificate is not valid PEM (" + ec.message() + ")");
    ctx->use_private_key(asio::buffer(options.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return InvalidArgumentError("the client key is not valid PEM or does not match (" + ec.message() + ")");
  }
  return ctx;
}

Status Connect(asio::io_context& ioc, beast::tcp_stream& stream, const std::string& host, const std::string& port,
               Deadline deadline, const std::string& where) {
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return UnavailableError("cannot resolve " + where + ": " + ec.message());
  stream.expires_at(deadline);
  ec = RunOp(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
  if (ec == beast::error::timeout) return DeadlineExceededError("connecting to " + where + " timed out");
  if (ec) return UnavailableError("cannot connect to " + where + ": " + ec.message());
  // A request goes out as several writes (header, body; TLS records); with
  // Nagle on, the later ones wait for the server's delayed ACK of the first.
  stream.socket().set_option(tcp::no_delay(true), ec);
  return Status::Ok();
}

Status Handshake(asio::io_context& ioc, TlsStream& stream, const std::string& verify_name, Deadline deadline,
                 const std::string& where) {
  SSL* ssl = stream.native_handle();
  beast::error_code addr_ec;
  asio::ip::make_address(verify_name, addr_ec);
  if (addr_ec) {  // a DNS name: send SNI and verify the name
    // SSL_set_tlsext_host_name() is a macro with an old-style cast; this is what it expands to.
    if (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 static_cast<void*>(const_cast<char*>(verify_name.c_str()))) != 1 ||
        SSL_set1_host(ssl, verify_name.c_str()) != 1) {
      return InternalError("cannot set the TLS host name to verify for " + where);
    }
  } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), verify_name.c_str()) != 1) {
    return InternalError("cannot set the TLS IP address to verify for " + where);
  }
  beast::get_lowest_layer(stream).expires_at(deadline);
  beast::error_code ec =
      RunOp(ioc, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
  if (ec == beast::error::timeout) return DeadlineExceededError("TLS handshake with " + where + " timed out");
  if (ec) {
    std::string detail = ec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) detail += ": " + std::string(X509_verify_cert_error_string(verify));
    return UnavailableError("TLS handshake with " + where + " failed: " + detail +
                            " (check the server certificate and the CA bundle)");
  }
  return Status::Ok();
}

}  // namespace oncoatlas::http
