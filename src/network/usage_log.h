// The signed usage log of the network license server (docs/NETWORK.md, "Usage log"): one
// file per firm, one JSON object per line, each line carrying the SHA-256 of the line before
// it (a hash chain), with Ed25519-signed checkpoints every few records. Anyone holding the
// server's usage-log public key can audit a firm's file with VerifyUsageLog alone.
//
// Line format (keys sorted, as nlohmann::json::dump writes them; no spaces):
//   record:     {"address","client","event","firm","host","lease","mode","prev","product",
//                "reason","seq","time","user","v"}  event = grant | release | expire | deny
//   checkpoint: {"event":"checkpoint","firm","prev","seq","sig","time","v"}
// Version 2 (written now): "client" is the client licetd's id (hex), "address" its IP address
// as the server saw it. Version 1 records (still verified, also mixed with version 2 lines in
// one file after an upgrade) have no "address" and hold the address in "client".
// `seq` counts lines from 0; `prev` is hex SHA-256 of the previous line's bytes (without its
// newline), 64 zeros for line 0. A checkpoint's `sig` is Ed25519 over
// CheckpointMessage(firm, seq, time, prev), which commits to every line before it.
#ifndef LICET_NETWORK_USAGE_LOG_H_
#define LICET_NETWORK_USAGE_LOG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace licet::network {

inline constexpr int kUsageLogVersion = 2;
inline constexpr int kUsageLogOldestVersion = 1;  // still verified
inline constexpr size_t kUsageLogMaxLine = 4096;  // bytes, newline excluded

// One event of the seat table worth auditing.
struct UsageEvent {
  std::string event;  // "grant", "release", "expire", "deny"
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  std::string client;  // the client licetd's id, hex (its hello's client_id)
  std::string host;
  std::string user;
  std::string mode;    // access mode name; may be empty (release, expire)
  uint64_t lease = 0;  // 0 when none (deny)
  std::string reason;  // the refusal for "deny"; empty otherwise
  std::string address;  // the client's IP address as the server saw it
};

// "licet-usage-checkpoint-v1" || firm (u32 BE) || seq (u64 BE) || time (i64 BE) || prev (32).
Bytes CheckpointMessage(uint32_t firm_code, uint64_t seq, int64_t time, ByteSpan prev);

// What an audit found in a log that verifies.
struct UsageAudit {
  uint32_t firm_code = 0;
  uint64_t lines = 0;    // records and checkpoints
  uint64_t records = 0;  // events
  uint64_t checkpoints = 0;
  uint64_t unsigned_tail = 0;  // records after the last checkpoint: chained, not yet signed
};

// Verifies a whole log file against the usage-log public key. Strict: every line complete
// (ending in '\n'), at most kUsageLogMaxLine bytes, a flat JSON object of exactly the keys
// above with the right types, seq = line number, prev = hash of the line before, one firm,
// every checkpoint signature valid. The first broken line makes the error, whose message
// starts "line N (seq N-1): ". kCorruptData for a malformed or broken chain, kBadSignature
// for a checkpoint that does not verify, kInvalidArgument for a public key of the wrong size.
// Never throws; memory is bounded by one line plus the input.
[[nodiscard]] Result<UsageAudit> VerifyUsageLog(ByteSpan file, ByteSpan public_key);

// Loads the server's usage-log signing key (the 32-byte Ed25519 seed, raw) from `path`, or
// creates it (mode 0600, atomically) when the file does not exist. kCorruptData for a file of
// another size, kIoError when it cannot be read or written.
[[nodiscard]] Result<SecretBytes> LoadOrCreateUsageKey(const std::string& path);

struct UsageLogOptions {
  uint64_t checkpoint_every = 64;    // records between signed checkpoints
  int64_t checkpoint_interval = 60;  // seconds: a record later than this checkpoints too
};

// The per-firm log files under one directory (`<dir>/<firm_code>.log`, created 0700/0600).
// Each record is appended with one write(2); a checkpoint is appended and then fsync'd, so a
// crash loses at most the records since the last checkpoint, and a torn last line is cut off
// when the file is opened again. Thread-safe (one mutex); `clock` must outlive the set.
class UsageLogSet {
 public:
  // kInvalidArgument/kCryptoError for a bad key.
  static Result<std::unique_ptr<UsageLogSet>> Create(const std::string& dir, const SecretBytes& key,
                                                     const Clock* clock,
                                                     UsageLogOptions options = {});
  ~UsageLogSet();  // checkpoints and closes every file
  UsageLogSet(const UsageLogSet&) = delete;
  UsageLogSet& operator=(const UsageLogSet&) = delete;

  // Appends one record to its firm's file (opened on first use, continuing its chain).
  // kIoError when the file cannot be written; kCorruptData when its last line is unreadable.
  [[nodiscard]] Status Append(const UsageEvent& event);
  // Signs a checkpoint into every file with records since its last one, and fsyncs it.
  [[nodiscard]] Status CheckpointAll();
  // Checkpoints the files whose oldest unsigned record is checkpoint_interval old (a timer
  // calls it, so a quiet server still signs its last records). Cheap when nothing is due.
  [[nodiscard]] Status CheckpointDue();
  const Bytes& public_key() const { return signer_.public_key(); }
  std::string PathFor(uint32_t firm_code) const;

 private:
  class File;
  Status Checkpoint(bool only_due);
  UsageLogSet(std::string dir, crypto::Ed25519Signer signer, const Clock* clock,
              UsageLogOptions options);

  std::string dir_;
  crypto::Ed25519Signer signer_;
  const Clock* clock_;
  UsageLogOptions options_;
  std::mutex mu_;
  std::map<uint32_t, std::unique_ptr<File>> files_;  // guarded by mu_
};

}  // namespace licet::network

#endif  // LICET_NETWORK_USAGE_LOG_H_
