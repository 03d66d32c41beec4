// Boost.Asio with SSL for the network module. Boost 1.74's asio/awaitable.hpp uses
// std::exchange without including <utility> (see daemon/asio.h): include Asio through here.
// This module may include OpenSSL for TLS and X.509 only; all other crypto goes through
// crypto/crypto.h.
#ifndef LICET_NETWORK_ASIO_SSL_H_
#define LICET_NETWORK_ASIO_SSL_H_

// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on

#endif  // LICET_NETWORK_ASIO_SSL_H_
