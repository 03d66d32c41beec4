// TLS 1.3 for the network license server and its clients (docs/NETWORK.md "TLS").
//
// The server presents a certificate that licetd makes on first start (self-signed, ECDSA
// P-256, ten years; key file 0600, both written atomically). Clients trust it by a pinned
// SHA-256 fingerprint of its DER form ("sha256:" + 64 hex digits, colons allowed) or by a CA
// file. Mutual TLS is optional: the server then requires a client certificate from its
// client CA.
#ifndef LICET_NETWORK_TLS_H_
#define LICET_NETWORK_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "network/asio_ssl.h"

namespace licet::network {

using SslContext = boost::asio::ssl::context;

struct ServerTlsConfig {
  std::string cert_file;       // PEM
  std::string key_file;        // PEM
  std::string client_ca_file;  // PEM; non-empty: clients must present a certificate from it
};

struct ClientTlsConfig {
  std::vector<Bytes> pinned;  // SHA-256 fingerprints (32 bytes each) of acceptable servers
  std::string ca_file;        // PEM; used when no fingerprint is pinned
  std::string cert_file;      // client certificate for mutual TLS (optional)
  std::string key_file;
};

// Creates a self-signed certificate and key at these paths when the certificate file does not
// exist yet (directories are created 0700). kIoError when they cannot be written. An existing
// key without its certificate is refused (kInvalidArgument) rather than replaced.
[[nodiscard]] Status EnsureServerCertificate(const std::string& cert_file,
                                             const std::string& key_file,
                                             const std::string& common_name);

// The SHA-256 fingerprint of the first certificate in a PEM file.
[[nodiscard]] Result<Bytes> CertificateFingerprint(const std::string& cert_file);
// "sha256:" + lower-case hex.
std::string FormatFingerprint(ByteSpan fingerprint);
// Accepts "sha256:..." or bare hex, with or without colons. kInvalidArgument otherwise.
[[nodiscard]] Result<Bytes> ParseFingerprint(const std::string& text);

// A server context: TLS 1.3 only, the certificate and key loaded and matched.
[[nodiscard]] Result<std::unique_ptr<SslContext>> MakeServerContext(const ServerTlsConfig& config);
// A client context: TLS 1.3 only; the peer must match a pinned fingerprint, or chain to the
// CA (then the host name is checked by the caller with SetVerifyHost). kInvalidArgument when
// neither pins nor a CA is given.
[[nodiscard]] Result<std::unique_ptr<SslContext>> MakeClientContext(const ClientTlsConfig& config);

}  // namespace licet::network

#endif  // LICET_NETWORK_TLS_H_
