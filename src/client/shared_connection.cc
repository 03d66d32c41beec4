#include "client/shared_connection.h"

#include <pthread.h>
#include <unistd.h>

#include <mutex>

#include "licet/licet.h"
#include "protocol/protocol.h"

namespace licet::client {
namespace {

struct Shared {
  std::mutex mu;
  std::shared_ptr<Connection> connection;  // guarded by mu
};

// Never destroyed: handles may be released from other static destructors or atexit.
Shared& Global() {
  static Shared* shared = new Shared;
  return *shared;
}

// fork() while another thread holds mu would leave it locked forever in the child; holding
// it across fork() makes the child's copy consistent.
void PrepareFork() { Global().mu.lock(); }
void ParentAfterFork() { Global().mu.unlock(); }
void ChildAfterFork() {
  Shared& shared = Global();
  if (shared.connection) {
    shared.connection->AbandonInForkedChild();
    // Leaked on purpose: its mutex may have been held by a parent thread that does not exist
    // here, so the object must never be destroyed (or locked) in the child.
    new std::shared_ptr<Connection>(std::move(shared.connection));
  }
  shared.mu.unlock();
}

std::once_flag fork_handlers_once;

}  // namespace

Result<std::shared_ptr<Connection>> SharedConnection() {
  std::call_once(fork_handlers_once,
                 [] { ::pthread_atfork(PrepareFork, ParentAfterFork, ChildAfterFork); });
  Shared& shared = Global();
  std::lock_guard<std::mutex> lock(shared.mu);
  // No probe of the socket here (it cost a poll(2) per access): a connection that licetd
  // closed meanwhile fails the next call with closed_by_peer(), and licet_access retries
  // that once on a new connection (RetryAfterRestart).
  if (shared.connection && shared.connection->owner_pid() == CurrentPid() &&
      shared.connection->usable()) {
    return shared.connection;
  }
  ConnectionOptions options;
  options.timeout = TimeoutFromEnvironment();
  options.client_name = "liblicet " LICET_VERSION;
  options.use_shm = ShmFromEnvironment();
  options.spin = SpinFromEnvironment();
  LICET_ASSIGN_OR_RETURN(std::unique_ptr<Connection> opened,
                         Connection::Open(protocol::DefaultSocketPath(), options));
  shared.connection = std::move(opened);
  return shared.connection;
}

bool RetryAfterRestart(const Status& failure, const Connection& connection) {
  return failure.code() == ErrorCode::kUnavailable && connection.closed_by_peer();
}

void ResetSharedConnectionForTest() {
  Shared& shared = Global();
  std::lock_guard<std::mutex> lock(shared.mu);
  shared.connection.reset();
}

}  // namespace licet::client
