// The network server's borrowed seats (docs/NETWORK.md "Borrowing"): which product items of
// the server's containers are out on loan, to which client container, until when. A borrowed
// seat counts as used (Server subtracts Active() from the item's seats) until it expires or
// the borrowing container gives it back.
//
// The table is persisted in one file (CBOR, written atomically through Env: temp file, fsync,
// rename, fsync of the directory) on every change, so a server restart still counts every
// loan; expired loans are dropped when the file is next written. A change that cannot be
// persisted is not made: the caller refuses the borrow (or the return) with the I/O error.
//
// Not thread-safe: the owner serialises calls (Server holds its table mutex).
#ifndef LICET_NETWORK_BORROW_TABLE_H_
#define LICET_NETWORK_BORROW_TABLE_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"

namespace licet::network {

// At most this many loans are kept (a bound on the file a restart must read).
inline constexpr size_t kMaxBorrows = 100000;
inline constexpr size_t kMaxBorrowFileSize = 32u << 20;

struct BorrowRecord {
  uint64_t id = 0;  // random, non-zero
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  uint32_t feature_code = 0;
  std::string serial;         // the server's container that lent the seat
  std::string client_serial;  // the client container it is bound to
  Bytes client_sig_key;       // verifies the return proof (32 bytes)
  std::string host;           // for the status table
  std::string user;
  std::string address;
  UnixTime issued = 0;
  UnixTime until = 0;
  bool operator==(const BorrowRecord&) const = default;
};

class BorrowTable {
 public:
  // `env` and `clock` must outlive the table. `path` empty: not persisted (tests, fuzzing).
  BorrowTable(std::string path, Env* env, const Clock* clock);
  BorrowTable(const BorrowTable&) = delete;
  BorrowTable& operator=(const BorrowTable&) = delete;

  // Reads the file (a missing file is an empty table); drops expired loans. kCorruptData for
  // a malformed file (licetd refuses to start rather than forget loans), kIoError.
  [[nodiscard]] Status Load();
  // Decodes a table file's bytes (what Load reads). Strict; never throws.
  [[nodiscard]] static Result<std::map<uint64_t, BorrowRecord>> Decode(ByteSpan file);
  static Bytes Encode(const std::map<uint64_t, BorrowRecord>& records);

  // Loans of (firm, product) from container `serial` that have not expired.
  uint32_t Active(uint32_t firm_code, uint32_t product_code, const std::string& serial) const;
  // Adds a loan and persists the table. kAlreadyExists for a known id, kNoMoreLicenses when
  // kMaxBorrows are out, kIoError when the file cannot be written (the loan is not added).
  [[nodiscard]] Status Add(const BorrowRecord& record);
  // The live loan `id`; kEntryNotFound when unknown, returned or expired.
  [[nodiscard]] Result<BorrowRecord> Find(uint64_t id) const;
  // Removes loan `id` and persists the table; returns it. kEntryNotFound when unknown (also
  // a second return of the same loan), kIoError (the loan stays).
  [[nodiscard]] Result<BorrowRecord> Remove(uint64_t id);
  // Forgets expired loans in memory (they stop counting at `until` anyway); returns them.
  std::vector<BorrowRecord> Expire();

  // One row per live loan for the status table: lease rows with mode "borrowed" and "until".
  nlohmann::json Rows(size_t limit) const;
  size_t size() const { return records_.size(); }
  const Clock& clock() const { return *clock_; }

 private:
  [[nodiscard]] Status Save(const std::map<uint64_t, BorrowRecord>& records);

  std::string path_;
  Env* env_;
  const Clock* clock_;
  std::map<uint64_t, BorrowRecord> records_;
};

}  // namespace licet::network

#endif  // LICET_NETWORK_BORROW_TABLE_H_
