#include "network/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <exception>

#include "common/env.h"
#include "crypto/crypto.h"

namespace licet::network {
namespace {

namespace ssl = boost::asio::ssl;

constexpr long kCertificateDays = 3650;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Status TlsError(const std::string& what) {
  return Error(ErrorCode::kCryptoError, what + " failed (OpenSSL)");
}

Bytes BioBytes(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return Bytes(reinterpret_cast<uint8_t*>(data), reinterpret_cast<uint8_t*>(data) + n);
}

Result<Bytes> DerOf(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return TlsError("i2d_X509");
  Bytes der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  if (i2d_X509(cert, &p) != n) return TlsError("i2d_X509");
  return der;
}

Bytes FingerprintOf(X509* cert) {
  auto der = DerOf(cert);
  if (!der.ok()) return {};
  crypto::Hash h = crypto::Sha256(*der);
  return Bytes(h.begin(), h.end());
}

// TLS 1.3 only: no downgrade to older versions or their cipher suites.
Status RestrictToTls13(SslContext& ctx) {
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return TlsError("restricting TLS to version 1.3");
  }
  // No session tickets: nothing to resume, nothing to steal.
  SSL_CTX_set_num_tickets(native, 0);
  return Status::Ok();
}

}  // namespace

Status EnsureServerCertificate(const std::string& cert_file, const std::string& key_file,
                               const std::string& common_name) {
  Env& env = Env::Default();
  if (env.FileExists(cert_file)) return Status::Ok();
  if (env.FileExists(key_file)) {
    return Error(ErrorCode::kInvalidArgument, "the network server's key " + key_file +
                                                  " exists without its certificate " + cert_file +
                                                  ": restore the certificate or remove the key");
  }
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return TlsError("generating the server key");
  X509Ptr cert(X509_new());
  if (!cert) return TlsError("X509_new");
  X509_set_version(cert.get(), 2);
  Bytes serial = crypto::RandomBytes(16);
  serial[0] &= 0x7f;  // a positive serial
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  ASN1_INTEGER* asn_serial = bn ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr;
  BN_free(bn);
  if (asn_serial == nullptr) return TlsError("certificate serial");
  X509_set_serialNumber(cert.get(), asn_serial);
  ASN1_INTEGER_free(asn_serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kCertificateDays * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = common_name.empty() ? "licetd" : common_name.substr(0, 64);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Licet network server"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + cn + ",DNS:localhost,IP:127.0.0.1";
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  if (ext != nullptr) {
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    return TlsError("signing the certificate");

  BioPtr key_bio(BIO_new(BIO_s_mem()));
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return TlsError("writing PEM");
  }
  SecretBytes key_pem(BioBytes(key_bio.get()));
  Bytes cert_pem = BioBytes(cert_bio.get());
  // The BIO's copy of the key is cleared before it is freed.
  char* raw = nullptr;
  long raw_len = BIO_get_mem_data(key_bio.get(), &raw);
  if (raw != nullptr && raw_len > 0) SecureWipe(raw, static_cast<size_t>(raw_len));

  LICET_RETURN_IF_ERROR(env.CreateDirectories(DirName(key_file), 0700));
  LICET_RETURN_IF_ERROR(env.CreateDirectories(DirName(cert_file), 0700));
  // The key first: a crash between the two writes leaves a key without a certificate, which
  // the next start reports instead of silently making a new identity.
  LICET_RETURN_IF_ERROR(env.WriteFileAtomic(key_file, key_pem.span(), 0600));
  LICET_RETURN_IF_ERROR(env.WriteFileAtomic(cert_file, cert_pem, 0644));
  return Status::Ok();
}

Result<Bytes> CertificateFingerprint(const std::string& cert_file) {
  LICET_ASSIGN_OR_RETURN(Bytes pem, Env::Default().ReadFile(cert_file, 1u << 20));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return TlsError("BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return Error(ErrorCode::kCorruptData, cert_file + " holds no PEM certificate");
  }
  Bytes fp = FingerprintOf(cert.get());
  if (fp.empty()) return TlsError("fingerprint");
  return fp;
}

std::string FormatFingerprint(ByteSpan fingerprint) { return "sha256:" + HexEncode(fingerprint); }

Result<Bytes> ParseFingerprint(const std::string& text) {
  std::string t = text;
  std::string lower = t.substr(0, 7);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "sha256:") t = t.substr(7);
  t.erase(std::remove(t.begin(), t.end(), ':'), t.end());
  auto bytes = HexDecode(t);
  if (!bytes.ok() || bytes->size() != crypto::kHashSize) {
    return Error(
        ErrorCode::kInvalidArgument,
        "'" + text.substr(0, 120) + "' is not a SHA-256 fingerprint (sha256: and 64 hex digits)");
  }
  return *bytes;
}

Result<std::unique_ptr<SslContext>> MakeServerContext(const ServerTlsConfig& config) {
  try {
    auto ctx = std::make_unique<SslContext>(SslContext::tls_server);
    LICET_RETURN_IF_ERROR(RestrictToTls13(*ctx));
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(config.cert_file, ec);
    if (ec) {
      return Error(ErrorCode::kIoError,
                   "cannot load the server certificate " + config.cert_file + ": " + ec.message());
    }
    ctx->use_private_key_file(config.key_file, SslContext::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return Error(ErrorCode::kIoError, "cannot load the server key " + config.key_file +
                                            " (or it does not match the certificate)");
    }
    if (!config.client_ca_file.empty()) {
      ctx->load_verify_file(config.client_ca_file, ec);
      if (ec) {
        return Error(ErrorCode::kIoError,
                     "cannot load the client CA " + config.client_ca_file + ": " + ec.message());
      }
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else {
      ctx->set_verify_mode(ssl::verify_none);
    }
    return ctx;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kCryptoError, std::string("TLS server context: ") + e.what());
  }
}

Result<std::unique_ptr<SslContext>> MakeClientContext(const ClientTlsConfig& config) {
  if (config.pinned.empty() && config.ca_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "no way to trust a network server: pin its certificate fingerprint or name a CA");
  }
  try {
    auto ctx = std::make_unique<SslContext>(SslContext::tls_client);
    LICET_RETURN_IF_ERROR(RestrictToTls13(*ctx));
    boost::system::error_code ec;
    if (!config.cert_file.empty()) {
      ctx->use_certificate_chain_file(config.cert_file, ec);
      if (!ec) ctx->use_private_key_file(config.key_file, SslContext::pem, ec);
      if (ec) {
        return Error(ErrorCode::kIoError,
                     "cannot load the client certificate or key: " + ec.message());
      }
    }
    ctx->set_verify_mode(ssl::verify_peer);
    if (!config.pinned.empty()) {
      // Pinning: the leaf must be one of the pinned certificates; its chain does not matter
      // (the usual certificate is self-signed).
      ctx->set_verify_callback([pins = config.pinned](bool, ssl::verify_context& vc) {
        X509_STORE_CTX* store = vc.native_handle();
        if (X509_STORE_CTX_get_error_depth(store) > 0) return true;
        X509* leaf = X509_STORE_CTX_get_current_cert(store);
        if (leaf == nullptr) return false;
        Bytes fp = FingerprintOf(leaf);
        for (const Bytes& pin : pins) {
          if (crypto::ConstantTimeEqual(fp, pin)) {
            X509_STORE_CTX_set_error(store, X509_V_OK);
            return true;
          }
        }
        return false;
      });
    } else {
      ctx->load_verify_file(config.ca_file, ec);
      if (ec) {
        return Error(ErrorCode::kIoError,
                     "cannot load the CA file " + config.ca_file + ": " + ec.message());
      }
    }
    return ctx;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kCryptoError, std::string("TLS client context: ") + e.what());
  }
}

}  // namespace licet::network
