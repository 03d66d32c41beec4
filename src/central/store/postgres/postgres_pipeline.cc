// libpq's pipeline mode for PostgresConnection (PostgresOptions::pipeline): a
// transaction's BEGIN travels with its first statement, and writes held back by
// ExecuteLater travel with the next statement or the COMMIT, so that they cost no round
// trip of their own. The rest of the connection is in postgres_database.cc.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "central/store/postgres/postgres_connection.h"

namespace licet::central::store::postgres_internal {
namespace {

// Writes held back per transaction before they are sent anyway (the activation path holds
// back four or five).
constexpr size_t kMaxLater = 64;

}  // namespace

Status PostgresConnection::ExecuteLater(std::string_view sql,
                                        std::span<const SqlValue> params,
                                        ErrorCode on_unique_violation) {
  if (!options_.pipeline || later_.size() >= kMaxLater) {
    if (!later_.empty()) LICET_RETURN_IF_ERROR(RunPipeline(nullptr, false).status());
    return Connection::ExecuteLater(sql, params, on_unique_violation);
  }
  later_.push_back(
      Later{std::string(sql), {params.begin(), params.end()}, on_unique_violation, nullptr});
  return Status::Ok();
}

Status PostgresConnection::QueryLater(std::string_view sql, std::span<const SqlValue> params,
                                      ErrorCode on_unique_violation, std::vector<Row>* rows) {
  if (!options_.pipeline || later_.size() >= kMaxLater) {
    if (!later_.empty()) LICET_RETURN_IF_ERROR(RunPipeline(nullptr, false).status());
    return Connection::QueryLater(sql, params, on_unique_violation, rows);
  }
  later_.push_back(
      Later{std::string(sql), {params.begin(), params.end()}, on_unique_violation, rows});
  return Status::Ok();
}

Result<PgResult> PostgresConnection::RunPipeline(const Call* current, bool commit) {
  const bool opens = begin_pending_;
  auto result = RunPipelineOnce(current, commit);
  if (!result.ok() && opens && !commit && PQstatus(conn_) != CONNECTION_OK) {
    if (Status st = Reset(); !st.ok()) {
      later_.clear();
      begin_pending_ = false;
      return st;
    }
    begin_pending_ = true;
    result = RunPipelineOnce(current, commit);
  }
  later_.clear();
  begin_pending_ = false;
  return result;
}

Result<PgResult> PostgresConnection::RunPipelineOnce(const Call* current, bool commit) {
  struct Item {
    const char* text = nullptr;        // BEGIN or COMMIT
    std::string_view sql;              // a statement
    std::span<const SqlValue> params;  //   and its parameters
    const Prepared* prepared = nullptr;
    std::string numbered;  // a statement run unnamed (the cache is full)
    std::optional<ErrorCode> on_unique;
    std::vector<Row>* rows = nullptr;  // a QueryLater's rows go here
  };
  std::vector<Item> items;
  items.reserve(later_.size() + 3);
  if (begin_pending_) items.push_back(Item{kBegin, {}, {}, nullptr, {}, std::nullopt, nullptr});
  for (const Later& l : later_) {
    items.push_back(Item{nullptr, l.sql, l.params, nullptr, {}, l.on_unique_violation, l.rows});
  }
  if (current != nullptr) {
    items.push_back(
        Item{nullptr, current->sql, current->params, nullptr, {}, std::nullopt, nullptr});
  }
  if (commit) items.push_back(Item{"COMMIT", {}, {}, nullptr, {}, std::nullopt, nullptr});
  // Prepared before the pipeline starts (once per connection and statement).
  std::vector<Encoded> encoded(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (it.text != nullptr) continue;
    LICET_RETURN_IF_ERROR(Encode(it.params, encoded[i]));
    LICET_ASSIGN_OR_RETURN(it.prepared, Prepare(it.sql, it.params.size()));
    if (it.prepared == nullptr) it.numbered = NumberPlaceholders(it.sql);
  }
  if (PQenterPipelineMode(conn_) != 1) {
    return Error(ErrorCode::kUnavailable,
                 "PostgreSQL pipeline: " + Trimmed(PQerrorMessage(conn_)));
  }
  bool sent = true;
  for (size_t i = 0; i < items.size() && sent; ++i) {
    const Item& it = items[i];
    const Encoded& e = encoded[i];
    const int n = static_cast<int>(it.params.size());
    if (it.text != nullptr) {
      sent = PQsendQueryParams(conn_, it.text, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    } else if (it.prepared != nullptr) {
      sent = PQsendQueryPrepared(conn_, it.prepared->name.c_str(), n, e.values.data(),
                                 e.lengths.data(), e.formats.data(), 0) == 1;
    } else {
      sent = PQsendQueryParams(conn_, it.numbered.c_str(), n, nullptr, e.values.data(),
                               e.lengths.data(), e.formats.data(), 0) == 1;
    }
  }
  if (!sent || PQpipelineSync(conn_) != 1) return AbandonPipeline("send");
  Status first_error;
  PgResult last(nullptr, &PQclear);
  for (size_t i = 0; i < items.size(); ++i) {
    PgResult res(PQgetResult(conn_), &PQclear);
    if (res == nullptr) return AbandonPipeline("result");
    const ExecStatusType s = PQresultStatus(res.get());
    if (first_error.ok() && s != PGRES_PIPELINE_ABORTED) {
      Status st = Check(res.get(), items[i].text != nullptr ? items[i].text : "statement");
      if (!st.ok() && st.code() == ErrorCode::kAlreadyExists && items[i].on_unique) {
        st = Error(*items[i].on_unique, st.message());
      }
      if (st.ok() && items[i].rows != nullptr) {
        // Decoded now: the result is freed before the pipeline ends.
        if (auto rows = RowsOf(res.get()); rows.ok()) {
          *items[i].rows = std::move(rows).value();
        } else {
          st = rows.status();
        }
      }
      first_error = st;
    } else if (first_error.ok()) {
      first_error = Error(ErrorCode::kInternal, "pipeline aborted without an error");
    }
    // One result per statement, then a null that ends it.
    if (PgResult end(PQgetResult(conn_), &PQclear); end != nullptr) {
      return AbandonPipeline("extra result");
    }
    if (i + 1 == items.size()) last = std::move(res);
  }
  PgResult sync(PQgetResult(conn_), &PQclear);
  if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC ||
      PQexitPipelineMode(conn_) != 1) {
    return AbandonPipeline("sync");
  }
  if (!first_error.ok()) return first_error;
  if (current == nullptr && !commit) return PgResult(nullptr, &PQclear);
  return last;
}

Status PostgresConnection::AbandonPipeline(std::string_view where) {
  std::string why = Trimmed(PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_OK) Reset().IgnoreError();
  return Error(ErrorCode::kUnavailable, "PostgreSQL pipeline (" + std::string(where) +
                                            "): " + (why.empty() ? "connection lost" : why));
}

}  // namespace licet::central::store::postgres_internal
