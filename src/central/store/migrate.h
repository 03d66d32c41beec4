// Schema migrations: versioned SQL files in store/migrations/ (NNNN_name.sql), shared by
// every backend and compiled into the binary. Each is applied once, in its own transaction
// together with its row in schema_version, so a crash or a failing statement leaves the
// previous version whole.
//
// One version list serves every backend. A migration is portable SQL (store/sql.h) unless
// its first line is `-- dialect: NAME` (NAME as Connection::Dialect() says it): then it
// runs on that dialect only, and other dialects record its version with nothing run. Such
// a step may only add what the portable code can do without (a server-side function that
// saves round trips, docs/CENTRAL.md "Dialect-specific migrations"), never a table or a
// column the shared statements read.
#ifndef LICET_CENTRAL_STORE_MIGRATE_H_
#define LICET_CENTRAL_STORE_MIGRATE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "central/store/sql.h"

namespace licet::central::store {

struct Migration {
  int64_t version;        // NNNN of the file name; strictly increasing
  std::string_view name;  // the file name without .sql
  std::string_view sql;
};

// The migrations compiled into this binary, in version order.
std::span<const Migration> BuiltinMigrations();

// The dialect named by `sql`'s first line (`-- dialect: NAME`), or "" for portable SQL.
std::string_view MigrationDialect(std::string_view sql);

// The highest version recorded in schema_version; 0 for an empty database.
Result<int64_t> SchemaVersion(Connection& conn);

// Applies every migration above the database's version. Safe to run from several instances
// at once on one database: a migration another instance applied meanwhile is skipped.
// kUnsupportedVersion when the database is newer than this binary (refuse to run an old
// binary on a newer schema).
Status Migrate(Connection& conn, std::span<const Migration> migrations, int64_t now);

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_MIGRATE_H_
