// The read side over the team server (docs/team.md): the Reader interface
// (reader.h) answered from PostgreSQL, so `cco report … --db postgresql://…`
// gives team-wide answers in the shapes it gives on SQLite. What a role
// sees is what the server's row-level security lets it read; `users` and
// `machines` of the ReportFilter narrow it further.
//
// Project ids (MatchProjects, ReportFilter::project_ids) are the server's
// projects.gid; a project is its directory name across machines.
//
// Thread-safety: a PgReader belongs to one thread at a time.
#ifndef CCO_SRC_PG_READER_H_
#define CCO_SRC_PG_READER_H_

#include <memory>
#include <string>

#include "src/pg.h"
#include "src/reader.h"

namespace cco {

// A machine that pushed to the server, with its high-water mark.
struct PushedMachine {
  std::string machine;
  std::string user;
  int64_t pushed_seq = 0;   // the last local change sequence number the server holds
  int64_t rows = 0;         // rows and tombstones pushed over time
  int64_t pushed_at_ms = 0; // the last push's commit
};

class PgReader final : public Reader {
 public:
  // Connects and checks the server's schema (pg_schema.h).
  static absl::StatusOr<std::unique_ptr<PgReader>> Open(const std::string& url);

  const std::string& location() const override { return conn_.where(); }
  absl::StatusOr<ProjectMatch> MatchProjects(const std::string& query) override;
  absl::StatusOr<std::vector<UsageRow>> PeriodReport(Period period, const ReportFilter& filter) override;
  absl::StatusOr<std::vector<UsageRow>> SessionReport(const ReportFilter& filter) override;
  absl::StatusOr<std::vector<UsageRow>> ProjectReport(const ReportFilter& filter) override;
  absl::Status AddAgentBreakdown(const ReportFilter& filter, std::vector<UsageRow>* sessions) override;
  absl::StatusOr<std::vector<ToolRow>> ToolReport(const ReportFilter& filter, ToolRow* total) override;
  // Full-text search over the messages' tsvector index (schema_pg): plain
  // words only, each word as the phrase of its tokens (phraseto_tsquery with
  // the 'simple' configuration), all required; the same shape as on SQLite,
  // not necessarily the same hits (PostgreSQL's parser cuts words its own
  // way). Best first by ts_rank_cd (SearchHit::rank is its negation: lower
  // is better, as bm25), or newest first. InvalidArgument for --fts syntax
  // and for kinds (the server keeps no message kinds), and for what
  // TranslateQuery refuses.
  absl::StatusOr<SearchResult> Search(const SearchRequest& request) override;
  // Counts of the rows this role may read (no writer, files or roots on a server).
  absl::StatusOr<DatabaseStatus> Status() override;
  // The machines whose marks this role may read (its own, a member's, every
  // one for a lead), by name.
  absl::StatusOr<std::vector<PushedMachine>> Machines();

  PgConn& conn() { return conn_; }

 private:
  explicit PgReader(PgConn conn) : conn_(std::move(conn)) {}
  PgConn conn_;
};

}  // namespace cco

#endif  // CCO_SRC_PG_READER_H_
