// The embedded SQLite backend of the Store: one database file in WAL mode, a small pool of
// connections (WAL lets readers run beside the one writer), a busy timeout so writers queue
// instead of failing, foreign keys on, synchronous=FULL so that a committed activation
// survives a power cut (DESIGN §6: a crash loses no license).
#ifndef LICET_CENTRAL_STORE_SQLITE_SQLITE_DATABASE_H_
#define LICET_CENTRAL_STORE_SQLITE_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "central/store/sql.h"

namespace licet::central::store {

struct SqliteOptions {
  std::string path;   // the database file; created (mode 0600) if missing
  int pool_size = 4;  // connections; >= 1
  int busy_timeout_ms = 10000;
};

// Opens (creating if needed) the database file and the pool. kIoError when the file cannot
// be opened or is not a database; kInvalidArgument for a bad option.
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteOptions& options);

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_SQLITE_SQLITE_DATABASE_H_
