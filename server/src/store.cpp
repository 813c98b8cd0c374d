// Store selection (store.hpp): a PostgreSQL URL or a SQLite file path.
#include "store.hpp"

namespace tariff::server {

bool is_postgres_url(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Store> open_store(const std::string& db) {
  return is_postgres_url(db) ? open_postgres_store(db) : open_sqlite_store(db);
}

}  // namespace tariff::server
