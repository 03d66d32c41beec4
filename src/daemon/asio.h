// Boost.Asio for licetd. Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>, which GCC 12 in C++20 mode does not pull in otherwise: include Asio through here.
#ifndef LICET_DAEMON_ASIO_H_
#define LICET_DAEMON_ASIO_H_

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

#endif  // LICET_DAEMON_ASIO_H_
