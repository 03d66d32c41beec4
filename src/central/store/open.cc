#include "central/store/open.h"

#include "central/store/migrate.h"
#include "central/store/sqlite/sqlite_database.h"
#ifdef LICET_HAVE_POSTGRESQL
#include "central/store/postgres/postgres_database.h"
#endif

namespace licet::central::store {

Result<DatabaseUrl> ParseDatabaseUrl(const std::string& url) {
  DatabaseUrl out;
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    out.kind = DatabaseKind::kPostgres;
    out.postgres = url;
    return out;
  }
  std::string path = url;
  if (url.rfind("sqlite://", 0) == 0) path = url.substr(9);
  if (path.empty() || path[0] != '/') {
    return Error(ErrorCode::kInvalidArgument,
                 "database '" + url + "' is neither sqlite:///ABSOLUTE/PATH nor postgresql://...");
  }
  if (path.find('\0') != std::string::npos || path.size() > 4000) {
    return Error(ErrorCode::kInvalidArgument, "database path is not a valid path");
  }
  out.sqlite_path = path;
  return out;
}

Result<std::unique_ptr<Database>> OpenDatabase(const DatabaseUrl& url, int pool_size) {
  if (url.kind == DatabaseKind::kPostgres) {
#ifdef LICET_HAVE_POSTGRESQL
    PostgresOptions o;
    o.url = url.postgres;
    o.pool_size = pool_size;
    return OpenPostgresDatabase(o);
#else
    return Error(ErrorCode::kUnavailable,
                 "PostgreSQL support is not built yet (configure with "
                 "-DLICET_WITH_POSTGRESQL=ON): use sqlite:///PATH");
#endif
  }
  SqliteOptions o;
  o.path = url.sqlite_path;
  o.pool_size = pool_size;
  return OpenSqliteDatabase(o);
}

Result<std::unique_ptr<Database>> OpenAndMigrate(const DatabaseUrl& url, int pool_size,
                                                 int64_t now) {
#ifdef LICET_HAVE_POSTGRESQL
  if (url.kind == DatabaseKind::kPostgres) {
    // Several instances may start at once on one PostgreSQL: migrate under its lock.
    PostgresOptions o;
    o.url = url.postgres;
    o.pool_size = pool_size;
    return OpenAndMigratePostgres(o, now);
  }
#endif
  LICET_ASSIGN_OR_RETURN(auto db, OpenDatabase(url, pool_size));
  {
    LICET_ASSIGN_OR_RETURN(ConnectionLease conn, db->Acquire());
    LICET_RETURN_IF_ERROR(Migrate(*conn, BuiltinMigrations(), now));
  }
  return db;
}

std::string NotReadyReason(Database& db) {
  auto conn = db.Acquire();
  if (!conn.ok()) return "database unreachable: " + conn.status().message();
  auto rows = (*conn)->Query("SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
  if (!rows.ok()) return "database unreachable: " + rows.status().message();
  auto builtin = BuiltinMigrations();
  int64_t want = builtin.empty() ? 0 : builtin.back().version;
  int64_t have = rows->empty() ? 0 : (*rows)[0].Int(0);
  if (have < want) {
    return "schema version " + std::to_string(have) + " is older than " + std::to_string(want);
  }
  return "";
}

}  // namespace licet::central::store
