// The process-wide connection of the C API: every licet_handle of a process shares it, so
// licetd sees one peer per process (DESIGN §2) and frees all of its leases when it closes.
#ifndef LICET_CLIENT_SHARED_CONNECTION_H_
#define LICET_CLIENT_SHARED_CONNECTION_H_

#include <memory>

#include "client/connection.h"
#include "common/status.h"

namespace licet::client {

// The shared connection, opened on first use to protocol::DefaultSocketPath() with
// TimeoutFromEnvironment(). Reopened when the current one is broken (licetd restarted:
// handles on the old connection stay invalid, new accesses work; see RetryAfterRestart for
// a restart noticed only by the call itself), and in
// a forked child, which never uses its parent's socket: a pthread_atfork handler closes the
// child's copy, so that the parent's leases end with the parent.
// Thread-safe. The errors of Connection::Open.
[[nodiscard]] Result<std::shared_ptr<Connection>> SharedConnection();

// True when a call on `connection` failed only because licetd had closed it before the call
// (it stopped or restarted while the connection was idle): the caller may open a new one
// with SharedConnection() and repeat the call once. Requests that create nothing on a dead
// connection (access, list) are safe to repeat: licetd freed whatever the old one held.
bool RetryAfterRestart(const Status& failure, const Connection& connection);

// Drops the shared connection (closing it once no handle uses it). For tests.
void ResetSharedConnectionForTest();

}  // namespace licet::client

#endif  // LICET_CLIENT_SHARED_CONNECTION_H_
