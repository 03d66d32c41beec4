#include "central/store/migrate.h"

namespace licet::central::store {

std::string_view MigrationDialect(std::string_view sql) {
  constexpr std::string_view kMarker = "-- dialect: ";
  if (sql.substr(0, kMarker.size()) != kMarker) return "";
  std::string_view rest = sql.substr(kMarker.size());
  std::string_view name = rest.substr(0, rest.find_first_of(" \t\r\n"));
  return name;
}

Result<int64_t> SchemaVersion(Connection& conn) {
  LICET_RETURN_IF_ERROR(conn.ExecuteScript(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
  LICET_ASSIGN_OR_RETURN(auto rows,
                         conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version", {}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Status Migrate(Connection& conn, std::span<const Migration> migrations, int64_t now) {
  LICET_ASSIGN_OR_RETURN(int64_t current, SchemaVersion(conn));
  int64_t newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    return Error(ErrorCode::kUnsupportedVersion,
                 "the database has schema version " + std::to_string(current) +
                     ", this licet-central knows up to " + std::to_string(newest) +
                     ": upgrade licet-central");
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    LICET_RETURN_IF_ERROR(conn.Begin(TxMode::kWrite));
    // Re-read inside the transaction: another instance may have migrated meanwhile.
    auto again = conn.Query("SELECT COUNT(*) FROM schema_version WHERE version = ?",
                            std::vector<SqlValue>{m.version});
    if (!again.ok()) {
      conn.Rollback();
      return again.status();
    }
    if (!again->empty() && (*again)[0].Int(0) > 0) {
      conn.Rollback();
      current = m.version;
      continue;
    }
    const std::string_view only = MigrationDialect(m.sql);
    Status st = only.empty() || only == conn.Dialect() ? conn.ExecuteScript(m.sql) : Status::Ok();
    if (st.ok()) {
      std::vector<SqlValue> p{m.version, std::string(m.name), now};
      auto ins = conn.Execute(
          "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)", p);
      if (!ins.ok()) st = ins.status();
    }
    if (st.ok()) st = conn.Commit();
    if (!st.ok()) {
      conn.Rollback();
      return st.WithContext("migration " + std::string(m.name));
    }
    current = m.version;
  }
  return Status::Ok();
}

}  // namespace licet::central::store
