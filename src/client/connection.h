// client::Connection: one Unix-socket connection to the local licetd (docs/PROTOCOL.md).
//
// Used by liblicet's C API (one process-wide connection shared by all handles) and by the
// licet CLI. Leases live on a connection: when it closes, licetd frees them. A connection
// that saw an I/O error, an EOF, a timeout or a malformed response is "broken" for good
// (the byte stream may be out of step); every later Call fails with kUnavailable and the
// owner opens a new one.
#ifndef LICET_CLIENT_CONNECTION_H_
#define LICET_CLIENT_CONNECTION_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "protocol/shm.h"

namespace licet::client {

struct ConnectionOptions {
  // A request (or the connect and hello of Open) that gets no complete answer in this time
  // fails with kUnavailable and breaks the connection. (Each blocking send and receive waits
  // at most this long, and a request whose answer trickles in is cut off when it passes the
  // deadline after a partial read.)
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // Sent in `hello` so licetd's log names the client.
  std::string client_name = "liblicet";
  // Let CallInPlace use shared memory when licetd offers it (docs/PROTOCOL.md
  // "Shared-memory crypt"); false keeps every byte on the socket.
  bool use_shm = true;
  // How long a call polls for its answer (yielding the CPU between polls) before it sleeps in
  // recv; 0 sleeps at once. Saves the wake-up of the caller when licetd answers quickly.
  std::chrono::microseconds spin{60};
};

// The largest $LICET_SPIN_US accepted.
inline constexpr long kMaxSpinUs = 10000;

// The id of the calling process, without a system call: cached, and reset in the child by a
// pthread_atfork handler (so a child made by fork() sees its own pid). A process created by a
// raw clone(2) that skips the fork handlers must not use a Connection of its parent.
// Thread-safe and async-signal-safe.
pid_t CurrentPid();

// The timeout liblicet uses: $LICET_TIMEOUT (seconds, 1..3600) when set and valid, else 30 s.
std::chrono::milliseconds TimeoutFromEnvironment();

// $LICET_SPIN_US (microseconds, 0..kMaxSpinUs) when set and valid, else the default spin.
std::chrono::microseconds SpinFromEnvironment();

// False when $LICET_SHM is "0": liblicet then sends crypt buffers over the socket only.
bool ShmFromEnvironment();

class Connection {
 public:
  // Connects to licetd at `socket_path` and says hello (protocol version 1).
  // kUnavailable when nothing listens there (the message names the path and says to start
  // licetd), kUnsupportedVersion when licetd speaks another version, kProtocolError when the
  // peer is not licetd. The socket is close-on-exec.
  [[nodiscard]] static Result<std::unique_ptr<Connection>> Open(
      const std::string& socket_path, const ConnectionOptions& options = {});

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `request` (a map with "op"; "id" is assigned here) and returns the response map
  // when its code is 0, else the Status of its code and message. Thread-safe: concurrent
  // calls are serialised. kUnavailable when the connection is broken, breaks during the
  // call, times out, or is used in a child process forked after Open (the child must open
  // its own: the lease state belongs to the parent's connection).
  [[nodiscard]] Result<nlohmann::json> Call(nlohmann::json request);

  // True when CallInPlace can use shared memory: licetd offered it in hello and the options
  // allow it.
  bool shm_available() const { return shm_available_; }
  // True when licetd also publishes the progress of a shared-memory crypt (hello's
  // `shm_progress`), so that CallInPlace copies results back while licetd still works.
  bool shm_progress_available() const { return shm_progress_available_; }
  // Called with the response of a successful CallInPlace, under the connection's lock: checks
  // it and copies what it needs from it (not the data: CallInPlace copies that).
  using InPlaceCheck = std::function<Status(const nlohmann::json& response)>;
  // Like Call for a `crypt` request (without "data") whose bytes go through the connection's
  // shared memory (docs/PROTOCOL.md "Shared-memory crypt"): copies `buf` into the region
  // (created, or replaced by a larger one, as needed; its descriptor is sent with the first
  // request that uses it), adds "shm_offset" and "shm_length", and copies the result back
  // into `buf`. With `copy_early` and shm_progress_available() it also asks licetd for its
  // progress ("shm_progress") and copies finished pieces back while licetd works on the
  // next (polling for at most options.spin without progress; not while licetd's last answer
  // came from this CPU: the request says where we run, the answer where licetd does, in
  // "cpu"); otherwise it copies after the answer. `check` gets the answer (before the last bytes
  // are copied back) and its Status is returned. On failure `buf` is unchanged, except when the
  // call fails after a part was copied back early (only a connection lost or a bad answer during
  // the call): then `buf` is zeroed, never a mix of input and output. So without `copy_early` (a
  // decrypt) a failure never changes `buf`. Only when shm_available(); `buf` at most
  // protocol::kMaxShmSize less 64 bytes (else kInvalidArgument). Errors as Call.
  [[nodiscard]] Status CallInPlace(nlohmann::json request, std::span<uint8_t> buf, bool copy_early,
                                   const InPlaceCheck& check);

  // True when the connection broke because licetd closed it (EOF, EPIPE, ECONNRESET: it
  // stopped or restarted), as opposed to a timeout or a bad answer. A request that failed so
  // may be retried on a new connection: the leases of this one are gone anyway.
  bool closed_by_peer() const { return closed_by_peer_.load(std::memory_order_acquire); }
  // False once broken (see above). A connection may break silently (licetd exits) and only
  // notice it at the next Call.
  bool usable() const;
  // Cheap liveness check before reusing an idle connection: true when it is usable and
  // licetd has not closed it (licetd never sends unsolicited data, so a readable idle socket
  // means EOF). Breaks the connection when it finds it closed. Never waits for a call in
  // progress (a busy connection is alive).
  bool Probe();
  // The process that opened the connection.
  pid_t owner_pid() const { return owner_pid_; }
  const std::string& socket_path() const { return socket_path_; }
  // licetd's name and version from hello ("licetd 0.1.0").
  const std::string& server() const { return server_; }
  // The state dir licetd serves (empty if it did not say): the CLI uses licetd only for the
  // state dir the user asked for.
  const std::string& home() const { return home_; }

  // For the C API's fork handler only: in a freshly forked child (one thread, locks in an
  // unknown state), closes the child's copy of the socket without taking any lock, so the
  // parent's leases end when the parent closes its copy. The object stays broken.
  void AbandonInForkedChild();

 private:
  Connection(int fd, std::string socket_path, ConnectionOptions options);

  Status Hello();
  // The checks of Call that need no lock: right process, a map with "op".
  Status CheckCaller(const nlohmann::json& request) const;
  // With mu_ held: sends `request` (with an id; with `fd` attached unless it is -1), reads
  // and checks the answer.
  Result<nlohmann::json> Exchange(nlohmann::json request, int fd);
  // The two halves of Exchange, both with mu_ held: Send sets the deadline and the id that
  // Receive expects.
  Status Send(nlohmann::json request, int fd);
  Result<nlohmann::json> Receive();
  // Both with mu_ held. They break the connection on failure.
  Status WriteAll(const uint8_t* data, size_t size, std::chrono::steady_clock::time_point deadline);
  // Reads one response frame into in_ and returns its body (valid until the next call).
  Result<ByteSpan> ReadFrame(std::chrono::steady_clock::time_point deadline);
  // Polls for the first bytes of an answer into in_ for at most options_.spin; the recv
  // result, or -1 when nothing came (then recv blocks as usual).
  ssize_t SpinRecv(size_t room);
  // With mu_ held, while licetd works on a streamed crypt: copies the bytes `progress` says are
  // finished from `result` to `buf`, until all are, the answer is waiting on the socket, or
  // nothing moved for options_.spin. Returns how many bytes were copied (a prefix of `buf`).
  size_t CopyAsDone(const protocol::ShmCounter& progress, ByteSpan result, std::span<uint8_t> buf);
  // True when bytes (or EOF, or an error) wait on the socket; never blocks.
  bool SocketReadable();
  Status Break(Status why);  // closes the socket, remembers why; returns the kUnavailable Status
  Status BrokenStatus() const;

  const pid_t owner_pid_;
  const std::string socket_path_;
  const ConnectionOptions options_;
  std::string server_;
  std::string home_;

  std::atomic<bool> broken_{false};  // read without mu_ so usable() never waits on a call
  std::atomic<bool> closed_by_peer_{false};
  mutable std::mutex mu_;
  int fd_;                  // -1 once broken; guarded by mu_
  uint64_t next_id_ = 1;    // guarded by mu_
  uint64_t pending_id_ = 0;                           // the request Send sent last; guarded by mu_
  std::chrono::steady_clock::time_point deadline_{};  // its answer's deadline; guarded by mu_
  std::string broken_why_;  // guarded by mu_
  Bytes in_;                // response buffer, reused across calls; guarded by mu_
  bool shm_available_ = false;                 // set by Hello
  bool shm_progress_available_ = false;        // set by Hello
  int licetd_cpu_ = -1;  // the CPU licetd answered the last crypt from (-1: unknown); mu_
  std::unique_ptr<protocol::ShmRegion> shm_;   // guarded by mu_
  bool shm_attached_ = false;  // licetd has taken shm_ (a request with it succeeded); mu_
  static constexpr int kSpinBackoffCalls = 16;
  int spin_skip_ = 0;  // calls left that sleep at once after a poll ran out; guarded by mu_
};

}  // namespace licet::client

#endif  // LICET_CLIENT_CONNECTION_H_
