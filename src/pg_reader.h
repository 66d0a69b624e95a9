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
#include <optional>
#include <string>
#include <utility>

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
  bool IsTeamServer() const override { return true; }
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
  // Per day and tool, from every execution (exact percentiles, as ToolReport).
  absl::StatusOr<std::vector<ToolDayRow>> ToolTimeline(const ReportFilter& filter) override;
  // The blocks of one person's usage (all their machines together; the
  // query's users and machines narrow it): InvalidArgument when the usage
  // read is of several users (name one with --user). No usage-limit notices
  // (the server keeps none).
  absl::StatusOr<std::vector<BillingBlock>> Blocks(const BlocksQuery& query) override;
  // Counts of the rows this role may read (no writer, files or roots on a server).
  absl::StatusOr<DatabaseStatus> Status() override;
  // The sum of the push marks and pushed rows this role may read: it moves
  // with every push that brought something.
  absl::StatusOr<int64_t> ChangeSeq() override;
  // The session report's sessions (SessionReport), with message counts,
  // filtered, sorted and paged here as ListSessions does on SQLite.
  absl::StatusOr<SessionList> Sessions(const SessionListQuery& query) override;
  absl::StatusOr<std::string> ResolveSession(const std::string& id_or_prefix) override;
  // The server keeps no files: a conversation's parts are its main
  // transcript (lines without an agent id), then each agent's by its first
  // line's time; lines in the order the machine stored them (its ids). Of a
  // session pushed by several machines, the first machine's by name.
  // `--usage-only` machines pushed no lines: their messages have no blocks.
  absl::StatusOr<Conversation> LoadConversation(const std::string& session_id, const MessageWindow& window) override;
  // The lines of LoadConversation's parts, byte-exact: each part's messages
  // and events in the order the machine stored them, by time (the server
  // keeps no byte offsets). Lines not pushed (--usage-only) count as missing.
  absl::Status ExportJsonl(const std::string& session_id, std::string* out, ExportCounts* counts) override;
  // The machines whose marks this role may read (its own, a member's, every
  // one for a lead), by name.
  absl::StatusOr<std::vector<PushedMachine>> Machines();

  PgConn& conn() { return conn_; }

 private:
  explicit PgReader(PgConn conn) : conn_(std::move(conn)) {}
  // The tool calls of the filter's range: tool_name, status, duration_ms,
  // started_ms, by tool name (bytewise).
  absl::StatusOr<PgResult> ToolExecutions(const ReportFilter& filter);
  // The machine and conversation ids that hold `session_id` (first machine
  // by name); NotFound when none does.
  absl::StatusOr<std::pair<std::string, int64_t>> ConversationOf(const std::string& session_id);
  PgConn conn_;
  // An in-memory SQLite connection for the blocks of lines (LineBlocks uses
  // SQLite's JSON functions), opened on first use.
  std::optional<Db> scratch_;
};

}  // namespace cco

#endif  // CCO_SRC_PG_READER_H_
