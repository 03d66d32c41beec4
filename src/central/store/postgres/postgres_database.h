// The PostgreSQL backend of the Store (libpq): a fixed pool of connections to one database,
// shared by any number of licet-central instances.
//
// Isolation is PostgreSQL's default READ COMMITTED: every race Central cares about is
// decided by one conditional UPDATE (`... WHERE used < allowed`, a compare-and-set) or an
// `INSERT ... ON CONFLICT DO NOTHING`, which PostgreSQL re-checks against the newest row
// version after waiting for a concurrent writer, so no isolation level above it is needed
// (docs/CENTRAL.md). Statements are the shared portable SQL of the Store with `?`
// placeholders, rewritten by NumberPlaceholders and sent as prepared statements with
// parameters, never spliced into the text.
//
// Error codes follow store/sql.h: SQLSTATE 23505 -> kAlreadyExists; 40001, 40P01, 55P03 ->
// kBusy (Store::Transact retries the transaction); LC001 (raised by the activation
// function of migration 0002) -> kNoMoreLicenses; class 08 but 08P01, class 53 and 57P0x
// (connection lost, server shutting down or full) and 57014 (statement timeout) ->
// kUnavailable; other class 23 (constraints) and class 22 (bad data) -> kInvalidArgument;
// anything else (08P01, a protocol violation, included: a bug) -> kInternal.
//
// Broken connections are reset the next time they are used: by Acquire, and by Begin,
// which reconnects and retries once when the connection turns out to be dead (BEGIN has no
// effect to repeat; with pipelining, BEGIN travels with the transaction's first statements,
// and those are sent again on the new connection, which is as safe: the server rolled back
// whatever the dead session had run). A statement whose connection breaks mid-transaction fails with
// kUnavailable: the server has rolled that transaction back. A COMMIT whose answer is lost
// also fails with kUnavailable: its outcome is unknown, so it is never retried silently.
#ifndef LICET_CENTRAL_STORE_POSTGRES_POSTGRES_DATABASE_H_
#define LICET_CENTRAL_STORE_POSTGRES_POSTGRES_DATABASE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "central/store/sql.h"

namespace licet::central::store {

struct PostgresOptions {
  // A libpq connection URI ("postgresql://user@host:port/db?sslmode=require") or key=value
  // string. Its own parameters win over the defaults below, except the statement timeout,
  // which applies when the URL or the server sets none.
  std::string url;
  int pool_size = 4;  // connections, opened at once; 1..64
  std::chrono::seconds connect_timeout{10};
  // Longest a statement may run (lock waits included) before it fails with kUnavailable.
  std::chrono::milliseconds statement_timeout{30000};
  // libpq's pipeline mode: a transaction's BEGIN goes out with its first statement, and
  // statements held back by Connection::ExecuteLater / QueryLater with the next statement
  // or the COMMIT, so an activation makes 2 round trips instead of 6. false: one round
  // trip per call (the benchmark's what-if).
  bool pipeline = true;
};

// Connects `pool_size` connections. kUnavailable (with libpq's reason, the password never
// shown) when the server cannot be reached or refuses; kInvalidArgument for bad options.
Result<std::unique_ptr<Database>> OpenPostgresDatabase(const PostgresOptions& options);

// Opens, then applies the built-in migrations under a session-level advisory lock, so that
// several instances starting at once take turns: the first migrates, the others find the
// schema current. (Two concurrent CREATE TABLEs would otherwise collide in PostgreSQL's
// catalog before Migrate's own check could see the other's work.)
Result<std::unique_ptr<Database>> OpenAndMigratePostgres(const PostgresOptions& options,
                                                         int64_t now);

// The SQLSTATE that migration 0002's licet_record_activation raises when the ticket has no
// activation left (class LC: Licet's own, unused by PostgreSQL).
inline constexpr std::string_view kNoActivationLeftSqlState = "LC001";

// The error code for a SQLSTATE (five characters), as listed in the file comment.
ErrorCode CodeForSqlState(std::string_view sqlstate);

// `url` with any password replaced by "***", for messages and logs.
std::string RedactPostgresUrl(std::string_view url);

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_POSTGRES_POSTGRES_DATABASE_H_
