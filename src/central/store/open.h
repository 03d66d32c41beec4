// Opening the configured database by URL, and readiness.
#ifndef LICET_CENTRAL_STORE_OPEN_H_
#define LICET_CENTRAL_STORE_OPEN_H_

#include <memory>
#include <string>

#include "central/store/sql.h"

namespace licet::central::store {

enum class DatabaseKind { kSqlite, kPostgres };

struct DatabaseUrl {
  DatabaseKind kind = DatabaseKind::kSqlite;
  std::string sqlite_path;  // kSqlite: absolute path of the file
  std::string postgres;     // kPostgres: the URL as given (a libpq connection URI)
};

// "sqlite:///abs/path.db" or "/abs/path.db" -> SQLite; "postgresql://..." or
// "postgres://..." -> PostgreSQL. kInvalidArgument for anything else (relative paths
// included: a server's working directory is no place to guess).
Result<DatabaseUrl> ParseDatabaseUrl(const std::string& url);

// Opens the database with `pool_size` connections. PostgreSQL: kUnavailable "PostgreSQL
// support is not built yet" until store/postgres/ exists (then: OpenPostgresDatabase).
Result<std::unique_ptr<Database>> OpenDatabase(const DatabaseUrl& url, int pool_size);

// Opens, then applies the built-in migrations.
Result<std::unique_ptr<Database>> OpenAndMigrate(const DatabaseUrl& url, int pool_size,
                                                 int64_t now);

// Why a database is not ready ("" when it is): unreachable, or its schema older than this
// binary's migrations. For /readyz.
std::string NotReadyReason(Database& db);

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_OPEN_H_
