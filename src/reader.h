// The read side: what every command that reads the database (report,
// status, check; search and a web dashboard later) opens, and the answers
// it gets. One way to open read-only, one schema check, typed errors
// (errors.h), and the answers as plain structs that a command prints and a
// web page can serve.
//
// Reader is the interface; SqliteReader reads the embedded SQLite database.
// A second implementation (a team's PostgreSQL database) provides the same
// answers over its own connection.
//
// Thread-safety: a Reader belongs to one thread at a time.
#ifndef CCO_SRC_READER_H_
#define CCO_SRC_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/blocks.h"
#include "src/conversation.h"
#include "src/report.h"
#include "src/search.h"
#include "src/session_list.h"
#include "src/sqlite.h"

namespace cco {

// One transcript the database follows (not archived): where it is and how
// far it is committed. The caller compares it with the file on disk.
struct FollowedFile {
  std::string path;
  std::string root;
  int64_t read_position = 0;  // bytes committed
};

struct RootCounts {
  std::string root;
  int64_t files = 0;     // followed
  int64_t archived = 0;  // gone from disk, history kept
};

// The writer's last walk of its roots, as it recorded it (Store::RecordWalk).
struct WalkStatus {
  std::optional<int64_t> started_ms;  // 0 from `cco replay` (no clock)
  std::optional<int64_t> updated_ms;  // progress last recorded
  std::optional<int64_t> done_ms;     // nullopt: still reading, or interrupted
  int64_t files = 0;                  // transcripts found
  int64_t files_read = 0;             // of them, read and committed
  int64_t bytes = 0;                  // bytes found not yet committed when it began
  int64_t bytes_read = 0;             // of them, committed
  bool done() const { return done_ms.has_value(); }
};

// What the database says about itself and its writer, from one snapshot.
struct DatabaseStatus {
  // The last writer's record (Store::RecordStart): which command, its pid,
  // since when, and the roots it reads. Empty for a database written before
  // writers recorded themselves.
  std::string writer_command;  // "watch", "rescan", "replay", "check"
  std::optional<int64_t> writer_pid;
  std::optional<int64_t> writer_started_ms;
  std::vector<std::string> writer_roots;
  std::optional<WalkStatus> walk;
  // Why the last `cco watch` polls besides watching (empty: everything is
  // watched, or no watch).
  std::string polling;
  // Newest files row update or archive (ms since the epoch); nullopt for a
  // database without files. 0 when every commit came from `cco replay`,
  // which keeps no clock.
  std::optional<int64_t> last_commit_ms;
  // The writer's last heartbeat and queue depth, as it recorded them (a
  // killed writer leaves them behind: whether one runs is the lock's to say).
  std::optional<int64_t> heartbeat_ms;
  int64_t queue_depth = 0;
  int64_t files = 0;           // followed
  int64_t files_archived = 0;
  int64_t messages = 0;
  int64_t events = 0;
  int64_t quarantined = 0;
  // Chunks the writer refused (its reader was out of step with the file; the
  // file was read again): a count over the database's life.
  int64_t refused_chunks = 0;
  std::string last_refusal;
  std::optional<int64_t> last_refusal_ms;
  std::vector<RootCounts> roots;             // by root
  std::vector<FollowedFile> followed;        // by root, then path
};

class Reader {
 public:
  virtual ~Reader() = default;

  // Where the data is (a path, a URL), for messages.
  virtual const std::string& location() const = 0;
  // A team server (its rows are tagged with users and machines, which
  // ReportFilter::users and ::machines select); a local database is not.
  virtual bool IsTeamServer() const { return false; }

  // The reports of report.h. `filter.project_ids` come from MatchProjects.
  virtual absl::StatusOr<ProjectMatch> MatchProjects(const std::string& query) = 0;
  virtual absl::StatusOr<std::vector<UsageRow>> PeriodReport(Period period, const ReportFilter& filter) = 0;
  virtual absl::StatusOr<std::vector<UsageRow>> SessionReport(const ReportFilter& filter) = 0;
  virtual absl::StatusOr<std::vector<UsageRow>> ProjectReport(const ReportFilter& filter) = 0;
  virtual absl::Status AddAgentBreakdown(const ReportFilter& filter, std::vector<UsageRow>* sessions) = 0;
  // With `total`, also every call of the range as one row (see report.h).
  virtual absl::StatusOr<std::vector<ToolRow>> ToolReport(const ReportFilter& filter, ToolRow* total) = 0;
  // Per day and tool (report.h: ToolTimeline); the dashboard's tools page.
  virtual absl::StatusOr<std::vector<ToolDayRow>> ToolTimeline(const ReportFilter& /*filter*/) {
    return absl::UnimplementedError("this reader has no tool timeline");
  }
  // Billing blocks (blocks.h). A reader without them says so (Unimplemented).
  virtual absl::StatusOr<std::vector<BillingBlock>> Blocks(const BlocksQuery& /*query*/) {
    return absl::UnimplementedError("billing blocks are not available from " + location());
  }
  virtual absl::StatusOr<std::optional<BillingBlock>> ActiveBlock(int64_t /*now_ms*/, int64_t /*session_ms*/) {
    return absl::UnimplementedError("billing blocks are not available from " + location());
  }
  // `--token-limit max` (blocks.h): the most tokens of any completed block
  // of the history at query.now_ms, for query.session_ms (and its users and
  // machines; its other filters do not apply). This default reads every block.
  virtual absl::StatusOr<int64_t> MaxCompletedBlock(const BlocksQuery& query);
  // Every project's directory name, sorted (the dashboard's project picker).
  // This default takes them from a project report over all time.
  virtual absl::StatusOr<std::vector<std::string>> ProjectNames();

  // The database's own state, from one snapshot.
  virtual absl::StatusOr<DatabaseStatus> Status() = 0;

  // Full-text search (search.h). A reader without a search index answers
  // Unimplemented.
  virtual absl::StatusOr<SearchResult> Search(const SearchRequest& request);

  // A number that moves whenever what this reader answers may have changed
  // (the dashboard reloads a page when it does): the committed change
  // sequence on SQLite (change_sequence.h).
  virtual absl::StatusOr<int64_t> ChangeSeq() = 0;
  // One page of the sessions list (session_list.h).
  virtual absl::StatusOr<SessionList> Sessions(const SessionListQuery& query) = 0;
  // The session `id_or_prefix` names: an exact id, else the only one
  // starting with it (conversation.h: ResolveSession's rule and errors).
  virtual absl::StatusOr<std::string> ResolveSession(const std::string& id_or_prefix) = 0;
  // The conversation `session_id` (an exact id), the messages of `window`,
  // from one snapshot (conversation.h). NotFound for an unknown session.
  virtual absl::StatusOr<Conversation> LoadConversation(const std::string& session_id,
                                                        const MessageWindow& window) = 0;
  // Its stored lines, byte-exact, one per line (conversation.h: ExportJsonl).
  virtual absl::Status ExportJsonl(const std::string& session_id, std::string* out, ExportCounts* counts) = 0;
};

struct ReaderOptions {
  // Reports and checks need every migration applied; `cco status` also
  // reads a database whose writer has not applied the newest ones yet. A
  // newer schema than this binary's is refused either way.
  bool accept_older_schema = false;
};

class SqliteReader final : public Reader {
 public:
  // Opens the database at `path` read-only (never creates, never writes,
  // never leaves a file behind), with `immutable=1` when even a reader
  // cannot use it in place (a copy on read-only storage), and checks its
  // schema. Errors carry an ErrorKind: kNoDatabase (nothing there),
  // kIsDirectory, kNotCcoDatabase (not SQLite, or no cco schema),
  // kNewerSchema, kOlderSchema, kPermission, kCorrupt. Messages name the
  // path in the user's terms, never SQL.
  static absl::StatusOr<std::unique_ptr<SqliteReader>> Open(const std::string& path, ReaderOptions options = {});

  const std::string& location() const override { return db_.path(); }
  absl::StatusOr<ProjectMatch> MatchProjects(const std::string& query) override;
  absl::StatusOr<std::vector<UsageRow>> PeriodReport(Period period, const ReportFilter& filter) override;
  absl::StatusOr<std::vector<UsageRow>> SessionReport(const ReportFilter& filter) override;
  absl::StatusOr<std::vector<UsageRow>> ProjectReport(const ReportFilter& filter) override;
  absl::Status AddAgentBreakdown(const ReportFilter& filter, std::vector<UsageRow>* sessions) override;
  absl::StatusOr<std::vector<ToolRow>> ToolReport(const ReportFilter& filter, ToolRow* total) override;
  absl::StatusOr<std::vector<ToolDayRow>> ToolTimeline(const ReportFilter& filter) override {
    return cco::ToolTimeline(db_, filter);
  }
  absl::StatusOr<std::vector<BillingBlock>> Blocks(const BlocksQuery& query) override { return LoadBlocks(db_, query); }
  absl::StatusOr<std::optional<BillingBlock>> ActiveBlock(int64_t now_ms, int64_t session_ms) override {
    return LoadActiveBlock(db_, now_ms, session_ms);
  }
  absl::StatusOr<int64_t> MaxCompletedBlock(const BlocksQuery& query) override {
    return LoadMaxCompletedBlockTokens(db_, query.now_ms, query.session_ms);
  }
  absl::StatusOr<std::vector<std::string>> ProjectNames() override;
  absl::StatusOr<DatabaseStatus> Status() override;
  absl::StatusOr<SearchResult> Search(const SearchRequest& request) override;
  absl::StatusOr<int64_t> ChangeSeq() override;
  absl::StatusOr<SessionList> Sessions(const SessionListQuery& query) override { return ListSessions(db_, query); }
  absl::StatusOr<std::string> ResolveSession(const std::string& id_or_prefix) override {
    return cco::ResolveSession(db_, id_or_prefix);
  }
  absl::StatusOr<Conversation> LoadConversation(const std::string& session_id, const MessageWindow& window) override;
  absl::Status ExportJsonl(const std::string& session_id, std::string* out, ExportCounts* counts) override {
    return cco::ExportJsonl(db_, session_id, out, counts);
  }

  // The connection itself, for what only SQLite has (`cco check`'s
  // integrity check and recomputes).
  Db& db() { return db_; }

 private:
  SqliteReader(Db db, Db::Mode mode) : db_(std::move(db)), mode_(mode) {}
  // A second connection (opened on first use, kept): a search's split scan
  // (SecondConnection, src/search.h), outside any transaction. Null when it
  // cannot be opened (tried again at the next search).
  Db* Second();

  Db db_;
  Db::Mode mode_;  // how db_ was opened: kReadOnly, or kImmutable (read-only storage)
  std::optional<Db> second_;
};

// What a database path holds, checked before anything opens or locks it, so
// that a failed open leaves nothing behind: OK for an SQLite file (or an
// empty one), kNoDatabase when nothing is there, else kIsDirectory or
// kNotCcoDatabase (not an SQLite file), kPermission.
absl::Status CheckDatabaseFile(const std::string& path);

// What a writer may open at `path` (a writer creates the database when
// nothing is there, and migrates an older one): OK for nothing there, an
// empty file or an SQLite file holding cco's tables (or no tables at all);
// kNotCcoDatabase for an SQLite file with tables but none of cco's (never
// migrated into); else CheckDatabaseFile's errors. Looks read-only, so a
// file that is not in WAL mode gains no file beside it.
absl::Status CheckDatabaseForWriter(const std::string& path);

// The raw read-only connection, for what needs SQLite itself rather than a
// Reader's answers (a backup's source copied page by page, a fresh replay to
// compare with): never creates, never writes, no schema check. A source in
// WAL mode is read with its -wal (no `immutable=1`). Errors are Db::Open's.
absl::StatusOr<Db> OpenDbReadOnly(const std::string& path);

}  // namespace cco

#endif  // CCO_SRC_READER_H_
