#include "src/sqlite_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"
#include "src/blocks.h"
#include "src/change_sequence.h"
#include "src/compressor.h"
#include "src/deriver.h"
#include "src/hash.h"
#include "src/message_kind.h"
#include "src/migrate.h"
#include "src/sqlite.h"
#include "src/revision.h"
#include "src/sqlite_deriver.h"
#include "src/status.h"

namespace cco {

void CommitStats::Add(const CommitStats& o) {
  lines += o.lines;
  bytes += o.bytes;
  messages += o.messages;
  events += o.events;
  quarantined += o.quarantined;
  duplicates += o.duplicates;
  revisions += o.revisions;
  refused += o.refused;
  refusals.insert(refusals.end(), o.refusals.begin(), o.refusals.end());
  conversations.insert(o.conversations.begin(), o.conversations.end());
  projects.insert(o.projects.begin(), o.projects.end());
}

namespace {

const char* KindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kMessage:
      return "message";
    case RecordKind::kEvent:
      return "event";
    case RecordKind::kQuarantine:
      return "quarantine";
  }
  return "event";
}

// cco_batch_word_text(id): the word index's text of message `id` when this
// transaction inserted it (SqliteStore::batch_word_texts_), else NULL.
void BatchWordText(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  const auto& texts = *static_cast<const absl::flat_hash_map<int64_t, std::string_view>*>(sqlite3_user_data(ctx));
  const auto it = texts.find(sqlite3_value_int64(argv[0]));
  if (it == texts.end()) return;  // NULL
  sqlite3_result_text64(ctx, it->second.data(), it->second.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// Rows recompressed per commit (a backfill finishes the few thousand stored
// before its dictionary within a few batches) and per idle maintenance step.
constexpr int64_t kRecompressPerCommit = 2000;
constexpr int64_t kRecompressPerMaintain = 20000;

class SqliteStore : public Store {
 public:
  SqliteStore(Db db, SqliteStoreOptions options) : db_(std::move(db)), options_(std::move(options)) {}

  absl::Status Prepare();

  absl::StatusOr<std::vector<FileState>> LoadFileStates() override;
  absl::Status Commit(const std::vector<FileChunk>& chunks, const std::vector<FileRemoval>& removals,
                      CommitStats* stats) override;
  absl::Status Heartbeat(int64_t queue_depth) override;
  absl::Status RecordPolling(const std::string& why) override;
  absl::Status RecordStart(const WriterStart& start) override;
  absl::Status RecordWalk(const WalkProgress& walk) override;
  absl::Status Checkpoint() override;
  void ReleaseMemory() override { sqlite3_db_release_memory(db_.get()); }
  std::shared_ptr<const RecordEncoder> encoder() const override { return compressor_->encoder(); }
  absl::StatusOr<bool> Maintain() override;

 private:
  struct FileRow {
    int64_t id = 0;
    int64_t stream_id = 0;
    int64_t generation = 0;
    int64_t read_position = 0;
    int64_t checksum_len = 0;
    uint64_t checksum = 0;
  };

  // OK, Aborted (refused: nothing of the chunk was applied), or
  // an error that fails the whole commit.
  absl::Status ApplyChunk(const FileChunk& chunk, CommitStats* stats);
  absl::StatusOr<std::optional<FileRow>> FindFile(const std::string& path);
  absl::Status RecordRefusal(const std::string& why);
  absl::StatusOr<int64_t> ProjectId(const std::string& dir_name, const std::string& cwd);
  absl::StatusOr<int64_t> ConversationId(const std::string& session_id, int64_t project_id);
  absl::StatusOr<int64_t> StreamId(const FileLocation& loc);
  absl::StatusOr<int64_t> Occurrence(RecordKind kind, const FileRow& file, int64_t generation, uint64_t hash);
  absl::Status InsertRecord(const LineRecord& rec, const FileRow& file, int64_t generation,
                            int64_t conversation_id, int64_t project_id, const FileLocation& loc,
                            CommitStats* stats);
  absl::Status RecordDuplicate(const LineRecord& rec, int64_t file_id, int64_t generation);
  // A line whose INSERT changed nothing: a keyed message or event met its
  // stored row (MessageSeenAgain, EventSeenAgain); any other line is a
  // duplicate.
  absl::Status NotInserted(const LineRecord& rec, const FileRow& file, int64_t generation, const RowContext& ctx,
                           CommitStats* stats);
  absl::Status CountDuplicate(const LineRecord& rec, const FileRow& file, int64_t generation, CommitStats* stats);
  // The stored row a keyed line met, as select_*_revision_ reads it.
  struct MetRow {
    int64_t id = 0;
    int64_t file = 0, generation = 0, offset = 0, hash = 0;  // where its line is
    std::string raw;                                         // its line
  };
  // Reads the row that `rec` met with `sel` (bound here to the conversation
  // and the uuid; `what` names it in errors) and counts `rec` as a
  // duplicate. nullopt when `rec` holds the stored bytes (recorded as a
  // duplicate: nothing more to do); else the row, with `read_more` called
  // on it for the caller's own columns.
  absl::StatusOr<std::optional<MetRow>> FindMetRow(Stmt& sel, std::string_view what, const LineRecord& rec,
                                                   const FileRow& file, int64_t generation, const RowContext& ctx,
                                                   CommitStats* stats,
                                                   absl::FunctionRef<void(const Stmt&)> read_more);
  // `rec` is an earlier revision of the row `met`: a duplicate, counted on
  // the row by `count_revision`.
  absl::Status KeepStoredRevision(const LineRecord& rec, const FileRow& file, int64_t generation,
                                  const MetRow& met, Stmt& count_revision);
  // `rec` becomes the row `met`: the line the row showed is kept as a
  // duplicate, and `update` rewrites the row (bound here at 1-6, where the
  // line is; `bind_fields` binds the rest).
  absl::Status ShowNewRevision(const LineRecord& rec, const FileRow& file, int64_t generation, const MetRow& met,
                               Stmt& update, absl::FunctionRef<void(Stmt&)> bind_fields);
  // A keyed message or event line whose key is stored: a duplicate when its
  // bytes are the stored ones, else a revision (revision.h).
  absl::Status MessageSeenAgain(const LineRecord& rec, const FileRow& file, int64_t generation,
                                RowContext ctx, CommitStats* stats);
  absl::Status EventSeenAgain(const LineRecord& rec, const FileRow& file, int64_t generation, RowContext ctx,
                              CommitStats* stats);

  int64_t Now() const { return options_.now_ms ? options_.now_ms() : absl::ToUnixMillis(absl::Now()); }

  // After a rolled-back transaction: what was handed out or trained in it is
  // forgotten.
  absl::Status ForgetRolledBack();
  // In the open transaction: trains a dictionary when enough is stored,
  // recompresses up to `budget` older rows, saves the change sequence.
  // Returns true while older rows remain to recompress.
  // `wait`: for a dictionary being trained, rather than adding it in a
  // later transaction once trained.
  absl::StatusOr<bool> MaintainStorage(int64_t budget, bool wait = false);
  // Adds the dictionaries whose training is done (all under way with
  // `wait`) and marks the rows stored before them for recompression.
  absl::Status AdoptDictionaries(bool wait);
  // Recompresses up to `budget` rows of each table stored before the newest
  // line dictionary (storage_state.recompress_*).
  absl::StatusOr<bool> Recompress(int64_t budget);
  // In the open transaction: indexes every message at or above the watermark
  // (storage_state.fts_next_id) in one bulk statement and moves the
  // watermark past them. Called as a transaction's last change (the batch's
  // messages, and what another program inserted since) and when the writer
  // opens (docs/schema.md, "How the indexes are kept").
  absl::Status IndexNewMessages();

  Db db_;  // declared before the statements: they must die first
  SqliteStoreOptions options_;
  std::unique_ptr<ChangeSequence> change_seq_;
  std::unique_ptr<Compressor> compressor_;
  std::unique_ptr<Deriver> deriver_;  // a SqliteDeriver on db_
  int64_t started_ms_ = 0;  // this writer's start, for writer_state
  int64_t db_dev_ = 0, db_inode_ = 0;  // the file opened, to notice it being replaced
  absl::flat_hash_map<std::string, int64_t> project_ids_;
  absl::flat_hash_map<std::string, int64_t> conversation_ids_;
  // Forgotten sessions and projects (tombstones, read at open: `cco forget`
  // holds the writer lock, so they cannot change while a writer runs).
  absl::flat_hash_set<std::string> forgotten_sessions_, forgotten_projects_;

  std::optional<Stmt> select_project_, insert_project_, update_project_cwd_;
  std::optional<Stmt> select_conversation_, insert_conversation_, update_conversation_stats_;
  std::optional<Stmt> select_file_, insert_file_, update_file_, rename_file_, archive_file_;
  std::optional<Stmt> select_stream_, insert_stream_;
  std::optional<Stmt> insert_message_, insert_event_, insert_quarantine_, insert_duplicate_;
  std::optional<Stmt> count_message_, count_event_, count_quarantine_;
  std::optional<Stmt> heartbeat_, refusal_, record_walk_;
  std::optional<Stmt> select_message_revision_, update_message_revision_, count_message_revision_;
  std::optional<Stmt> select_event_revision_, update_event_revision_, count_event_revision_;
  std::optional<Stmt> insert_old_revision_, refresh_conversation_times_;
  std::optional<Stmt> insert_project_cwd_;
  std::optional<Stmt> fts_watermark_, fts_index_, fts_move_watermark_;
  // The text of each message this transaction inserted, as the word index
  // tokenizes it, by id: the bulk index step reads it (cco_batch_word_text)
  // instead of decompressing the row again. Only texts without a script
  // written without spaces (the word index's text is the text itself, so
  // this holds views into the batch's records, no copies); a message
  // revised in the transaction leaves it. Emptied when a transaction ends.
  absl::flat_hash_map<int64_t, std::string_view> batch_word_texts_;
  absl::flat_hash_set<std::pair<int64_t, std::string>> project_cwds_;  // known (project, cwd)
};

absl::Status SqliteStore::Prepare() {
  struct stat st;
  if (::stat(db_.path().c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("cannot stat ", db_.path()));
  db_dev_ = static_cast<int64_t>(st.st_dev);
  db_inode_ = static_cast<int64_t>(st.st_ino);
  ASSIGN_OR_RETURN(change_seq_, ChangeSequence::Attach(db_));
  ASSIGN_OR_RETURN(compressor_, Compressor::Load(db_, options_.compression));
  ASSIGN_OR_RETURN(deriver_, SqliteDeriver::Create(db_));
  auto prep = [&](std::optional<Stmt>& slot, std::string_view sql) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, db_.Prepare(sql, /*persistent=*/true));
    slot.emplace(std::move(s));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(prep(select_project_, "SELECT id FROM projects WHERE dir_name = ?1"));
  {
    ASSIGN_OR_RETURN(Stmt forgotten, db_.Prepare("SELECT kind, key FROM tombstones WHERE kind IN ('session', 'project')"));
    RETURN_IF_ERROR(forgotten.ForEachRow([this](const Stmt& r) {
      (r.ColumnText(0) == "session" ? forgotten_sessions_ : forgotten_projects_).insert(r.ColumnText(1));
      return true;
    }));
  }
  RETURN_IF_ERROR(prep(insert_project_,
                       "INSERT INTO projects(dir_name, cwd, first_seen_ms, change_seq) VALUES (?1, ?2, ?3, cco_change_seq())"));
  RETURN_IF_ERROR(prep(update_project_cwd_,
                       "UPDATE projects SET cwd = ?2, change_seq = cco_change_seq() WHERE id = ?1 AND cwd IS NULL"));
  RETURN_IF_ERROR(prep(select_conversation_, "SELECT id FROM conversations WHERE session_id = ?1"));
  RETURN_IF_ERROR(prep(insert_conversation_,
                       "INSERT INTO conversations(session_id, project_id, change_seq) VALUES (?1, ?2, cco_change_seq())"));
  RETURN_IF_ERROR(prep(update_conversation_stats_,
                       "UPDATE conversations SET message_count = message_count + 1, change_seq = cco_change_seq(),"
                       " started_ms = CASE WHEN ?2 IS NULL THEN started_ms"
                       "   WHEN started_ms IS NULL OR ?2 < started_ms THEN ?2 ELSE started_ms END,"
                       " ended_ms = CASE WHEN ?2 IS NULL THEN ended_ms"
                       "   WHEN ended_ms IS NULL OR ?2 > ended_ms THEN ?2 ELSE ended_ms END"
                       " WHERE id = ?1"));
  RETURN_IF_ERROR(prep(select_file_,
                       "SELECT id, generation, read_position, stream_id, checksum_len, checksum FROM files"
                       " WHERE path = ?1"));
  RETURN_IF_ERROR(prep(select_stream_, "SELECT id FROM streams WHERE name = ?1"));
  RETURN_IF_ERROR(prep(insert_stream_, "INSERT INTO streams(name) VALUES (?1)"));
  RETURN_IF_ERROR(prep(insert_file_,
                       "INSERT INTO files(path, root, project_id, stream_id, session_id, agent_id,"
                       " report_session, dev, inode, size, mtime_ns, generation, read_position, line_count,"
                       " first_seen_ms, updated_ms, agent_type)"
                       " VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, 0, 0, 0, 0, 0, 0, 0, ?7, ?7, ?9)"));
  RETURN_IF_ERROR(prep(update_file_,
                       "UPDATE files SET generation = ?2, read_position = ?3,"
                       " line_count = CASE WHEN ?4 THEN ?5 ELSE line_count + ?5 END,"
                       " forgotten_lines = CASE WHEN ?4 THEN ?18 ELSE forgotten_lines + ?18 END,"
                       " dev = ?6, inode = ?7, size = ?8, mtime_ns = ?9, head_len = ?10,"
                       " head_checksum = ?11, checksum_len = ?12, checksum = ?13, updated_ms = ?14,"
                       " archived_ms = NULL, root = ?15, project_id = ?16,"
                       " agent_type = coalesce(agent_type, ?17)"  // a sidecar found after the first lines
                       " WHERE id = ?1"));
  RETURN_IF_ERROR(prep(rename_file_, "UPDATE files SET path = ?2 WHERE path = ?1"));
  RETURN_IF_ERROR(prep(archive_file_,
                       "UPDATE files SET archived_ms = ?2 WHERE path = ?1 AND archived_ms IS NULL"));
  RETURN_IF_ERROR(prep(insert_message_,
                       "INSERT OR IGNORE INTO messages(conversation_id, file_id, generation, byte_offset,"
                       " line_hash, occurrence, uuid, parent_uuid, type, subtype, timestamp_ms, model,"
                       " api_message_id, request_id, is_sidechain, is_meta, agent_id, input_tokens,"
                       " output_tokens, cache_creation_tokens, cache_read_tokens, content, raw, stream_id,"
                       " stop_reason, kind, trigram, change_seq)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                       " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, cco_change_seq())"));
  RETURN_IF_ERROR(prep(select_message_revision_,
                       "SELECT id, file_id, generation, byte_offset, line_hash, cco_raw(raw), stop_reason IS NOT NULL,"
                       " coalesce(input_tokens, 0) + coalesce(output_tokens, 0)"
                       " + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0),"
                       " type, model, timestamp_ms FROM messages WHERE conversation_id = ?1 AND uuid = ?2"));
  RETURN_IF_ERROR(prep(update_message_revision_,
                       "UPDATE messages SET file_id = ?2, generation = ?3, byte_offset = ?4, line_hash = ?5,"
                       " stream_id = ?6, parent_uuid = ?7, type = ?8, subtype = ?9, timestamp_ms = ?10,"
                       " model = ?11, api_message_id = ?12, request_id = ?13, is_sidechain = ?14, is_meta = ?15,"
                       " agent_id = ?16, input_tokens = ?17, output_tokens = ?18, cache_creation_tokens = ?19,"
                       " cache_read_tokens = ?20, content = ?21, raw = ?22, stop_reason = ?23,"
                       " kind = ?24, trigram = ?25, revisions = revisions + 1, change_seq = cco_change_seq() WHERE id = ?1"));
  RETURN_IF_ERROR(prep(count_message_revision_,
                       "UPDATE messages SET revisions = revisions + 1, change_seq = cco_change_seq() WHERE id = ?1"));
  RETURN_IF_ERROR(prep(select_event_revision_,
                       "SELECT id, file_id, generation, byte_offset, line_hash, cco_raw(raw) FROM events"
                       " WHERE conversation_id = ?1 AND uuid = ?2"));
  RETURN_IF_ERROR(prep(update_event_revision_,
                       "UPDATE events SET file_id = ?2, generation = ?3, byte_offset = ?4, line_hash = ?5,"
                       " stream_id = ?6, type = ?7, subtype = ?8, timestamp_ms = ?9, raw = ?10,"
                       " revisions = revisions + 1, change_seq = cco_change_seq() WHERE id = ?1"));
  RETURN_IF_ERROR(prep(count_event_revision_,
                       "UPDATE events SET revisions = revisions + 1, change_seq = cco_change_seq() WHERE id = ?1"));
  RETURN_IF_ERROR(prep(insert_old_revision_,
                       "INSERT OR IGNORE INTO duplicates(file_id, generation, byte_offset, line_hash, kind)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)"));
  RETURN_IF_ERROR(prep(refresh_conversation_times_,
                       "UPDATE conversations SET change_seq = cco_change_seq(),"
                       " started_ms = (SELECT min(timestamp_ms) FROM messages WHERE conversation_id = ?1),"
                       " ended_ms = (SELECT max(timestamp_ms) FROM messages WHERE conversation_id = ?1)"
                       " WHERE id = ?1"));
  RETURN_IF_ERROR(prep(insert_project_cwd_,
                       "INSERT OR IGNORE INTO project_cwds(project_id, cwd) VALUES (?1, ?2)"));
  RETURN_IF_ERROR(prep(fts_watermark_,
                       "SELECT fts_next_id, (SELECT coalesce(max(id), 0) + 1 FROM messages) FROM storage_state"
                       " WHERE id = 1"));
  if (int rc = sqlite3_create_function_v2(db_.get(), "cco_batch_word_text", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                          &batch_word_texts_, BatchWordText, nullptr, nullptr, nullptr);
      rc != SQLITE_OK) {
    return SqliteStatus(rc, db_.get(), "cannot register cco_batch_word_text()");
  }
  RETURN_IF_ERROR(prep(fts_index_,
                       "INSERT INTO messages_fts(rowid, content) SELECT id,"
                       " coalesce(cco_batch_word_text(id), cco_word_text(cco_text(content)))"
                       " FROM messages WHERE id >= ?1 ORDER BY id"));
  RETURN_IF_ERROR(prep(fts_move_watermark_, "UPDATE storage_state SET fts_next_id = ?1 WHERE id = 1"));
  RETURN_IF_ERROR(prep(insert_event_,
                       "INSERT OR IGNORE INTO events(conversation_id, file_id, generation, byte_offset,"
                       " line_hash, occurrence, uuid, type, subtype, timestamp_ms, raw, stream_id, change_seq)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, cco_change_seq())"));
  RETURN_IF_ERROR(prep(insert_quarantine_,
                       "INSERT OR IGNORE INTO quarantine(file_id, generation, byte_offset, length,"
                       " line_hash, occurrence, reason, raw, raw_truncated, quarantined_ms, stream_id)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  RETURN_IF_ERROR(prep(insert_duplicate_,
                       "INSERT OR IGNORE INTO duplicates(file_id, generation, byte_offset, line_hash, kind)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)"));
  // Occurrence of a line without uuid: identical lines earlier in the same
  // generation, whether stored or recorded as duplicates.
  RETURN_IF_ERROR(prep(count_message_,
                       "SELECT (SELECT count(*) FROM messages WHERE stream_id = ?4 AND line_hash = ?3"
                       "   AND uuid IS NULL AND file_id = ?1 AND generation = ?2)"
                       " + (SELECT count(*) FROM duplicates WHERE file_id = ?1 AND generation = ?2"
                       "   AND line_hash = ?3 AND kind = 'message')"));
  RETURN_IF_ERROR(prep(count_event_,
                       "SELECT (SELECT count(*) FROM events WHERE stream_id = ?4 AND line_hash = ?3"
                       "   AND uuid IS NULL AND file_id = ?1 AND generation = ?2)"
                       " + (SELECT count(*) FROM duplicates WHERE file_id = ?1 AND generation = ?2"
                       "   AND line_hash = ?3 AND kind = 'event')"));
  RETURN_IF_ERROR(prep(count_quarantine_,
                       "SELECT (SELECT count(*) FROM quarantine WHERE stream_id = ?4 AND line_hash = ?3"
                       "   AND file_id = ?1 AND generation = ?2)"
                       " + (SELECT count(*) FROM duplicates WHERE file_id = ?1 AND generation = ?2"
                       "   AND line_hash = ?3 AND kind = 'quarantine')"));
  RETURN_IF_ERROR(prep(refusal_,
                       "INSERT INTO writer_state(id, pid, started_ms, heartbeat_ms, refused_chunks, last_refusal,"
                       " last_refusal_ms) VALUES (1, ?1, ?2, ?2, 1, ?3, ?2) ON CONFLICT(id) DO UPDATE SET"
                       " refused_chunks = refused_chunks + 1, last_refusal = ?3, last_refusal_ms = ?2"));
  RETURN_IF_ERROR(prep(heartbeat_,
                       "INSERT INTO writer_state(id, pid, started_ms, heartbeat_ms, queue_depth)"
                       " VALUES (1, ?1, ?4, ?2, ?3) ON CONFLICT(id) DO UPDATE SET pid = ?1,"
                       " started_ms = ?4, heartbeat_ms = ?2, queue_depth = ?3"));
  // What another program inserted since the last writer is indexed now.
  ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db_));
  RETURN_IF_ERROR(IndexNewMessages());
  return txn.Commit();
}

absl::StatusOr<std::vector<FileState>> SqliteStore::LoadFileStates() {
  ASSIGN_OR_RETURN(Stmt stmt, db_.Prepare(
      "SELECT f.id, f.path, f.root, p.dir_name, f.session_id, f.agent_id, f.report_session,"
      " f.dev, f.inode, f.size, f.mtime_ns, f.head_len, f.head_checksum, f.checksum_len, f.checksum,"
      " f.generation, f.read_position, f.line_count, f.archived_ms IS NOT NULL, coalesce(f.agent_type, '')"
      " FROM files f JOIN projects p ON p.id = f.project_id ORDER BY f.path"));
  std::vector<FileState> out;
  RETURN_IF_ERROR(stmt.ForEachRow([&out](const Stmt& r) {
    FileState s;
    s.file_id = r.ColumnInt(0);
    s.location.path = r.ColumnText(1);
    s.location.root = r.ColumnText(2);
    s.location.project_dir = r.ColumnText(3);
    s.location.session_id = r.ColumnText(4);
    s.location.agent_id = r.ColumnText(5);
    s.location.report_session = r.ColumnText(6);
    s.identity.dev = r.ColumnInt(7);
    s.identity.inode = r.ColumnInt(8);
    s.identity.size = r.ColumnInt(9);
    s.identity.mtime_ns = r.ColumnInt(10);
    s.identity.head_len = r.ColumnInt(11);
    s.identity.head_checksum = static_cast<uint64_t>(r.ColumnInt(12));
    s.identity.checksum_len = r.ColumnInt(13);
    s.identity.checksum = static_cast<uint64_t>(r.ColumnInt(14));
    s.generation = r.ColumnInt(15);
    s.read_position = r.ColumnInt(16);
    s.line_count = r.ColumnInt(17);
    s.archived = r.ColumnInt(18) != 0;
    s.location.agent_type = r.ColumnText(19);
    out.push_back(std::move(s));
    return true;
  }));
  return out;
}

absl::StatusOr<int64_t> SqliteStore::ProjectId(const std::string& dir_name, const std::string& cwd) {
  auto it = project_ids_.find(dir_name);
  int64_t id = 0;
  if (it != project_ids_.end()) {
    id = it->second;
  } else {
    Stmt& sel = *select_project_;
    sel.Bind(1, dir_name);
    ASSIGN_OR_RETURN(bool found, sel.Step());
    if (found) {
      id = sel.ColumnInt(0);
      sel.Reset();
    } else {
      sel.Reset();
      RETURN_IF_ERROR(insert_project_->Bind(1, dir_name).BindTextOrNull(2, cwd).Bind(3, Now()).Run());
      id = db_.last_insert_rowid();
    }
    project_ids_[dir_name] = id;
  }
  if (!cwd.empty()) RETURN_IF_ERROR(update_project_cwd_->Bind(1, id).Bind(2, cwd).Run());
  return id;
}

absl::StatusOr<int64_t> SqliteStore::ConversationId(const std::string& session_id, int64_t project_id) {
  auto it = conversation_ids_.find(session_id);
  if (it != conversation_ids_.end()) return it->second;
  Stmt& sel = *select_conversation_;
  sel.Bind(1, session_id);
  ASSIGN_OR_RETURN(bool found, sel.Step());
  int64_t id = 0;
  if (found) {
    id = sel.ColumnInt(0);
    sel.Reset();
  } else {
    sel.Reset();
    RETURN_IF_ERROR(insert_conversation_->Bind(1, session_id).Bind(2, project_id).Run());
    id = db_.last_insert_rowid();
  }
  conversation_ids_[session_id] = id;
  return id;
}

absl::StatusOr<int64_t> SqliteStore::StreamId(const FileLocation& loc) {
  std::string name = loc.path.substr(std::min(loc.path.size(), loc.root.size() + 1));
  Stmt& sel = *select_stream_;
  sel.Bind(1, name);
  ASSIGN_OR_RETURN(bool found, sel.Step());
  int64_t id = found ? sel.ColumnInt(0) : 0;
  sel.Reset();
  if (found) return id;
  RETURN_IF_ERROR(insert_stream_->Bind(1, name).Run());
  return db_.last_insert_rowid();
}

absl::StatusOr<int64_t> SqliteStore::Occurrence(RecordKind kind, const FileRow& file, int64_t generation,
                                                uint64_t hash) {
  Stmt& stmt = kind == RecordKind::kMessage ? *count_message_
               : kind == RecordKind::kEvent ? *count_event_
                                            : *count_quarantine_;
  stmt.Bind(1, file.id).Bind(2, generation).Bind(3, ToSqlInt(hash)).Bind(4, file.stream_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  int64_t n = row ? stmt.ColumnInt(0) : 0;
  stmt.Reset();
  return n + 1;
}

absl::Status SqliteStore::RecordDuplicate(const LineRecord& rec, int64_t file_id, int64_t generation) {
  return insert_duplicate_->Bind(1, file_id)
      .Bind(2, generation)
      .Bind(3, rec.offset)
      .Bind(4, ToSqlInt(rec.line_hash))
      .Bind(5, KindName(rec.kind))
      .Run();
}

namespace {

// Binds the message columns insert and revision update share, in this
// order, to ?base … ?base+15: parent_uuid, type, subtype, timestamp_ms,
// model, api_message_id, request_id, is_sidechain, is_meta, agent_id, the
// four token counts, content, raw.
// Binds a stored value: a compressed one as a BLOB, else as TEXT.
void BindValue(Stmt& s, int index, Encoded value) {
  if (value.compressed) {
    s.BindBlob(index, value.bytes);
  } else {
    s.Bind(index, value.bytes);
  }
}

void BindMessageFields(Stmt& s, int base, const LineRecord& rec, Compressor& compressor) {
  s.BindTextOrNull(base, rec.parent_uuid)
      .Bind(base + 1, rec.type)
      .BindTextOrNull(base + 2, rec.subtype)
      .BindOptional(base + 3, rec.timestamp_ms)
      .BindTextOrNull(base + 4, rec.model)
      .BindTextOrNull(base + 5, rec.api_message_id)
      .BindTextOrNull(base + 6, rec.request_id)
      .Bind(base + 7, rec.is_sidechain ? 1 : 0)
      .Bind(base + 8, rec.is_meta ? 1 : 0)
      .BindTextOrNull(base + 9, rec.agent_id);
  if (rec.usage.has_value()) {
    s.Bind(base + 10, rec.usage->input).Bind(base + 11, rec.usage->output)
        .Bind(base + 12, rec.usage->cache_creation).Bind(base + 13, rec.usage->cache_read);
  } else {
    s.BindNull(base + 10).BindNull(base + 11).BindNull(base + 12).BindNull(base + 13);
  }
  BindValue(s, base + 14, compressor.Encode(ValueKind::kText, rec.content, rec.content_encoded));
  BindValue(s, base + 15, compressor.Encode(ValueKind::kLine, rec.raw, rec.raw_encoded));
}

}  // namespace

namespace {
int64_t UsageTotal(const LineRecord& rec) {
  if (rec.usage.has_value()) return rec.usage->total();
  return rec.usage_copy.has_value() ? rec.usage_copy->usage.total() : 0;
}
}  // namespace

absl::Status SqliteStore::CountDuplicate(const LineRecord& rec, const FileRow& file, int64_t generation,
                                         CommitStats* stats) {
  ++stats->duplicates;
  return RecordDuplicate(rec, file.id, generation);
}

absl::Status SqliteStore::NotInserted(const LineRecord& rec, const FileRow& file, int64_t generation,
                                      const RowContext& ctx, CommitStats* stats) {
  if (!rec.uuid.empty() && rec.kind == RecordKind::kMessage) {
    return MessageSeenAgain(rec, file, generation, ctx, stats);
  }
  if (!rec.uuid.empty() && rec.kind == RecordKind::kEvent) return EventSeenAgain(rec, file, generation, ctx, stats);
  return CountDuplicate(rec, file, generation, stats);
}

absl::StatusOr<std::optional<SqliteStore::MetRow>> SqliteStore::FindMetRow(
    Stmt& sel, std::string_view what, const LineRecord& rec, const FileRow& file, int64_t generation,
    const RowContext& ctx, CommitStats* stats, absl::FunctionRef<void(const Stmt&)> read_more) {
  sel.Bind(1, ctx.conversation_id).Bind(2, rec.uuid);
  ASSIGN_OR_RETURN(bool found, sel.Step());
  if (!found) {
    sel.Reset();
    return absl::InternalError(absl::StrCat(AsAbsl(what), " ", rec.uuid, " was not inserted but is not stored"));
  }
  MetRow met;
  met.id = sel.ColumnInt(0);
  met.file = sel.ColumnInt(1);
  met.generation = sel.ColumnInt(2);
  met.offset = sel.ColumnInt(3);
  met.hash = sel.ColumnInt(4);
  if (met.hash == ToSqlInt(rec.line_hash)) {
    // The same bytes (by their 64-bit hash): a duplicate. The stored line
    // itself is not read, so a re-read generation costs no more than before.
    sel.Reset();
    RETURN_IF_ERROR(CountDuplicate(rec, file, generation, stats));
    return std::nullopt;
  }
  ++stats->duplicates;
  met.raw = sel.ColumnText(5);
  read_more(sel);
  sel.Reset();
  return met;
}

absl::Status SqliteStore::KeepStoredRevision(const LineRecord& rec, const FileRow& file, int64_t generation,
                                             const MetRow& met, Stmt& count_revision) {
  RETURN_IF_ERROR(RecordDuplicate(rec, file.id, generation));
  return count_revision.Bind(1, met.id).Run();
}

absl::Status SqliteStore::ShowNewRevision(const LineRecord& rec, const FileRow& file, int64_t generation,
                                          const MetRow& met, Stmt& update,
                                          absl::FunctionRef<void(Stmt&)> bind_fields) {
  RETURN_IF_ERROR(insert_old_revision_->Bind(1, met.file).Bind(2, met.generation).Bind(3, met.offset)
                      .Bind(4, met.hash).Bind(5, KindName(rec.kind)).Run());
  update.Bind(1, met.id)
      .Bind(2, file.id)
      .Bind(3, generation)
      .Bind(4, rec.offset)
      .Bind(5, ToSqlInt(rec.line_hash))
      .Bind(6, file.stream_id);
  bind_fields(update);
  return update.Run();
}

absl::Status SqliteStore::MessageSeenAgain(const LineRecord& rec, const FileRow& file, int64_t generation,
                                           RowContext ctx, CommitStats* stats) {
  StoredMessage old;
  bool stored_has_stop_reason = false;
  int64_t stored_usage_total = 0;
  ASSIGN_OR_RETURN(std::optional<MetRow> met,
                   FindMetRow(*select_message_revision_, "message", rec, file, generation, ctx, stats,
                              [&](const Stmt& sel) {
                                stored_has_stop_reason = sel.ColumnInt(6) != 0;
                                stored_usage_total = sel.ColumnInt(7);
                                old.type = sel.ColumnText(8);
                                old.model = sel.ColumnText(9);
                                old.timestamp_ms = sel.ColumnOptionalInt(10);
                              }));
  if (!met.has_value()) return absl::OkStatus();
  old.id = met->id;
  ctx.row_id = old.id;
  const Revision stored{stored_has_stop_reason, stored_usage_total, met->raw};
  const Revision offered{!rec.stop_reason.empty(), UsageTotal(rec), rec.raw};
  if (!RevisionBeats(offered, stored)) {
    // An earlier revision: accounted for as a duplicate. Its usage is still
    // a copy of the response (the larger copy counts, as for any copies).
    RETURN_IF_ERROR(KeepStoredRevision(rec, file, generation, *met, *count_message_revision_));
    return deriver_->OnMessageRevised(rec, ctx, /*shown=*/false, old);
  }
  // This line is now the row; the line it showed so far is the duplicate.
  batch_word_texts_.erase(met->id);  // indexed with the text it has now
  RETURN_IF_ERROR(ShowNewRevision(rec, file, generation, *met, *update_message_revision_, [&](Stmt& u) {
    BindMessageFields(u, 7, rec, *compressor_);
    u.BindTextOrNull(23, rec.stop_reason).Bind(24, MessageKindCode(rec.message_kind))
        .Bind(25, HasUnspacedScript(rec.content) ? 1 : 0);
  }));
  if (old.timestamp_ms != rec.timestamp_ms) {
    RETURN_IF_ERROR(refresh_conversation_times_->Bind(1, ctx.conversation_id).Run());
  }
  ++stats->revisions;
  return deriver_->OnMessageRevised(rec, ctx, /*shown=*/true, old);
}

absl::Status SqliteStore::EventSeenAgain(const LineRecord& rec, const FileRow& file, int64_t generation,
                                         RowContext ctx, CommitStats* stats) {
  ASSIGN_OR_RETURN(std::optional<MetRow> met, FindMetRow(*select_event_revision_, "event", rec, file, generation,
                                                         ctx, stats, [](const Stmt&) {}));
  if (!met.has_value()) return absl::OkStatus();
  ctx.row_id = met->id;
  // Events carry no stop_reason; their usage is an embedded copy's.
  const Revision stored{false, 0, met->raw};
  const Revision offered{false, 0, rec.raw};
  const bool shown = RevisionBeats(offered, stored);
  if (!shown) {
    RETURN_IF_ERROR(KeepStoredRevision(rec, file, generation, *met, *count_event_revision_));
  } else {
    RETURN_IF_ERROR(ShowNewRevision(rec, file, generation, *met, *update_event_revision_, [&](Stmt& u) {
      u.Bind(7, rec.type).BindTextOrNull(8, rec.subtype).BindOptional(9, rec.timestamp_ms);
      BindValue(u, 10, compressor_->Encode(ValueKind::kLine, rec.raw, rec.raw_encoded));
    }));
    ++stats->revisions;
  }
  return deriver_->OnEventRevised(rec, ctx, shown);
}

absl::Status SqliteStore::InsertRecord(const LineRecord& rec, const FileRow& file, int64_t generation,
                                       int64_t conversation_id, int64_t project_id,
                                       const FileLocation& loc, CommitStats* stats) {
  RowContext ctx;
  ctx.conversation_id = conversation_id;
  ctx.project_id = project_id;
  ctx.byte_offset = rec.offset;
  ctx.location = &loc;
  std::optional<int64_t> occurrence;
  if (rec.kind == RecordKind::kQuarantine || rec.uuid.empty()) {
    ASSIGN_OR_RETURN(int64_t occ, Occurrence(rec.kind, file, generation, rec.line_hash));
    occurrence = occ;
  }
  // Messages and events share their first seven columns: where the line is
  // and its key.
  auto bind_key = [&](Stmt& s) {
    s.Bind(1, conversation_id)
        .Bind(2, file.id)
        .Bind(3, generation)
        .Bind(4, rec.offset)
        .Bind(5, ToSqlInt(rec.line_hash))
        .BindOptional(6, occurrence)
        .BindTextOrNull(7, rec.uuid);
  };
  switch (rec.kind) {
    case RecordKind::kMessage: {
      Stmt& s = *insert_message_;
      bind_key(s);
      BindMessageFields(s, 8, rec, *compressor_);
      const bool unspaced = HasUnspacedScript(rec.content);
      s.Bind(24, file.stream_id).BindTextOrNull(25, rec.stop_reason).Bind(26, MessageKindCode(rec.message_kind))
          .Bind(27, unspaced ? 1 : 0);
      RETURN_IF_ERROR(s.Run());
      if (db_.changes() == 0) return NotInserted(rec, file, generation, ctx, stats);
      ++stats->messages;
      ctx.row_id = db_.last_insert_rowid();
      if (!unspaced && !rec.content.empty()) batch_word_texts_[ctx.row_id] = rec.content;
      RETURN_IF_ERROR(
          update_conversation_stats_->Bind(1, conversation_id).BindOptional(2, rec.timestamp_ms).Run());
      if (!rec.cwd.empty() && project_cwds_.emplace(project_id, rec.cwd).second) {
        RETURN_IF_ERROR(insert_project_cwd_->Bind(1, project_id).Bind(2, rec.cwd).Run());
      }
      return deriver_->OnMessage(rec, ctx);
    }
    case RecordKind::kEvent: {
      Stmt& s = *insert_event_;
      bind_key(s);
      s.Bind(8, rec.type)
          .BindTextOrNull(9, rec.subtype)
          .BindOptional(10, rec.timestamp_ms)
          .Bind(12, file.stream_id);
      BindValue(s, 11, compressor_->Encode(ValueKind::kLine, rec.raw, rec.raw_encoded));
      RETURN_IF_ERROR(s.Run());
      if (db_.changes() == 0) return NotInserted(rec, file, generation, ctx, stats);
      ++stats->events;
      ctx.row_id = db_.last_insert_rowid();
      return deriver_->OnEvent(rec, ctx);
    }
    case RecordKind::kQuarantine: {
      Stmt& s = *insert_quarantine_;
      s.Bind(1, file.id)
          .Bind(2, generation)
          .Bind(3, rec.offset)
          .Bind(4, rec.length)
          .Bind(5, ToSqlInt(rec.line_hash))
          .BindOptional(6, occurrence)
          .Bind(7, rec.reason)
          .Bind(9, rec.raw_truncated ? 1 : 0)
          .Bind(10, Now())
          .Bind(11, file.stream_id);
      BindValue(s, 8, compressor_->Encode(ValueKind::kLine, rec.raw, rec.raw_encoded));
      RETURN_IF_ERROR(s.Run());
      if (db_.changes() == 0) return NotInserted(rec, file, generation, ctx, stats);
      ++stats->quarantined;
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SqliteStore::FileRow>> SqliteStore::FindFile(const std::string& path) {
  Stmt& sel = *select_file_;
  sel.Bind(1, path);
  ASSIGN_OR_RETURN(bool found, sel.Step());
  std::optional<FileRow> row;
  if (found) {
    row.emplace();
    row->id = sel.ColumnInt(0);
    row->generation = sel.ColumnInt(1);
    row->read_position = sel.ColumnInt(2);
    row->stream_id = sel.ColumnInt(3);
    row->checksum_len = sel.ColumnInt(4);
    row->checksum = static_cast<uint64_t>(sel.ColumnInt(5));
  }
  sel.Reset();
  return row;
}

absl::Status SqliteStore::RecordRefusal(const std::string& why) {
  return refusal_->Bind(1, static_cast<int64_t>(::getpid())).Bind(2, Now()).Bind(3, why).Run();
}

absl::Status SqliteStore::ApplyChunk(const FileChunk& chunk, CommitStats* stats) {
  const FileLocation& loc = chunk.location;
  // 1. Which row the chunk continues, and whether it continues it exactly
  // where the committed state is. Nothing is changed before this is settled,
  // so a refused chunk needs no rollback.
  // A chunk with displaced_to first moves the row at its path aside; it then
  // continues the row it was renamed from, or starts a new row.
  const bool displaces = !chunk.displaced_to.empty();
  std::optional<FileRow> found;
  if (!chunk.renamed_from.empty()) {
    ASSIGN_OR_RETURN(found, FindFile(chunk.renamed_from));
    if (!found.has_value()) {
      return absl::AbortedError(absl::StrCat("file state of ", loc.path, " moved: renamed from ",
                                             chunk.renamed_from, ", which has no row"));
    }
    ASSIGN_OR_RETURN(std::optional<FileRow> at_target, FindFile(loc.path));
    if (at_target.has_value() && !displaces) {
      return absl::AbortedError(absl::StrCat("file state of ", loc.path, " moved: renamed from ",
                                             chunk.renamed_from, " onto a path that has a row"));
    }
  } else if (!displaces) {
    ASSIGN_OR_RETURN(found, FindFile(loc.path));
  }
  if (displaces) {
    ASSIGN_OR_RETURN(std::optional<FileRow> at_placeholder, FindFile(chunk.displaced_to));
    if (at_placeholder.has_value()) {
      return absl::AbortedError(
          absl::StrCat("file state of ", loc.path, " moved: placeholder ", chunk.displaced_to, " is taken"));
    }
  }
  FileRow file = found.value_or(FileRow{});
  if (chunk.new_generation) {
    if (chunk.start != 0 || chunk.generation != file.generation + 1) {
      return absl::AbortedError(absl::StrCat(
          "file state of ", loc.path, " moved: new generation ", chunk.generation,
          " after stored generation ", file.generation));
    }
  } else if (chunk.generation != file.generation || chunk.start != file.read_position) {
    return absl::AbortedError(absl::StrCat(
        "file state of ", loc.path, " moved: chunk starts at ", chunk.start, " (generation ",
        chunk.generation, ") but the stored read position is ", file.read_position, " (generation ",
        file.generation, ")"));
  } else if (chunk.prior_checksum_len != file.checksum_len || chunk.prior_checksum != file.checksum) {
    return absl::AbortedError(absl::StrCat("file state of ", loc.path,
                                           " moved: the chunk continues other bytes than the stored row's"));
  }

  // 2. Apply it.
  if (displaces) RETURN_IF_ERROR(rename_file_->Bind(1, loc.path).Bind(2, chunk.displaced_to).Run());
  if (!chunk.renamed_from.empty()) {
    RETURN_IF_ERROR(rename_file_->Bind(1, chunk.renamed_from).Bind(2, loc.path).Run());
  }
  std::string cwd;
  for (const LineRecord& rec : chunk.records) {
    if (!rec.cwd.empty()) {
      cwd = rec.cwd;
      break;
    }
  }
  ASSIGN_OR_RETURN(int64_t project_id, ProjectId(loc.project_dir, cwd));
  if (file.id == 0) {
    ASSIGN_OR_RETURN(file.stream_id, StreamId(loc));
    RETURN_IF_ERROR(insert_file_->Bind(1, loc.path)
                        .Bind(2, loc.root)
                        .Bind(3, project_id)
                        .Bind(4, loc.session_id)
                        .BindTextOrNull(5, loc.agent_id)
                        .Bind(6, loc.report_session)
                        .Bind(7, Now())
                        .Bind(8, file.stream_id)
                        .BindTextOrNull(9, loc.agent_type)
                        .Run());
    file.id = db_.last_insert_rowid();
  }

  int64_t lines = 0, forgotten = 0;
  const bool project_forgotten = forgotten_projects_.contains(loc.project_dir);
  for (const LineRecord& rec : chunk.records) {
    const std::string& session = rec.session_id.empty() ? loc.session_id : rec.session_id;
    if (project_forgotten || (!forgotten_sessions_.empty() && forgotten_sessions_.contains(session))) {
      // Forgotten (cco forget): passed over, still accounted for.
      ++forgotten;
      ++lines;
      continue;
    }
    ASSIGN_OR_RETURN(int64_t conversation_id, ConversationId(session, project_id));
    RETURN_IF_ERROR(InsertRecord(rec, file, chunk.generation, conversation_id, project_id, loc, stats));
    stats->conversations.insert(conversation_id);
    ++lines;
  }
  if (lines > 0) stats->projects.insert(project_id);
  stats->lines += lines;
  stats->bytes += chunk.end - chunk.start;

  const FileIdentity& id = chunk.identity;
  return update_file_->Bind(1, file.id)
      .Bind(2, chunk.generation)
      .Bind(3, chunk.end)
      .Bind(4, chunk.new_generation ? 1 : 0)
      .Bind(5, lines)
      .Bind(6, id.dev)
      .Bind(7, id.inode)
      .Bind(8, id.size)
      .Bind(9, id.mtime_ns)
      .Bind(10, id.head_len)
      .Bind(11, ToSqlInt(id.head_checksum))
      .Bind(12, id.checksum_len)
      .Bind(13, ToSqlInt(id.checksum))
      .Bind(14, Now())
      .Bind(15, loc.root)
      .Bind(16, project_id)
      .BindTextOrNull(17, loc.agent_type)
      .Bind(18, forgotten)
      .Run();
}

absl::Status SqliteStore::Commit(const std::vector<FileChunk>& chunks,
                                 const std::vector<FileRemoval>& removals, CommitStats* stats) {
  CommitStats local;
  absl::Status status;
  {
    ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db_));
    // A dictionary whose training the last commit started compresses this
    // batch (waiting for it, if need be): every row stored without it would
    // be one more to recompress, in a page left part empty.
    if (compressor_->training_under_way()) status = AdoptDictionaries(/*wait=*/true);
    for (const FileChunk& chunk : chunks) {
      if (!status.ok()) break;
      status = ApplyChunk(chunk, &local);
      if (absl::IsAborted(status)) {
        // Refused: that file's reader was out of step. The rest goes on.
        ++local.refused;
        local.refusals.push_back(std::string(status.message()));
        status = RecordRefusal(std::string(status.message()));
      }
      if (!status.ok()) break;
    }
    if (status.ok()) {
      for (const FileRemoval& removal : removals) {
        status = archive_file_->Bind(1, removal.path).Bind(2, Now()).Run();
        if (!status.ok()) break;
      }
    }
    if (status.ok()) status = deriver_->Flush();
    if (status.ok()) status = MaintainStorage(kRecompressPerCommit).status();
    if (status.ok()) status = IndexNewMessages();
    // Derived with the usage winners this transaction changed.
    if (status.ok()) status = RefreshBlockStarts(db_);
    if (status.ok() && local.lines > 0 && options_.inside_open_batch) options_.inside_open_batch();
    if (status.ok()) status = txn.Commit();
  }  // rolled back here unless committed
  batch_word_texts_.clear();  // views into `chunks`
  if (!status.ok()) {
    RETURN_IF_ERROR(ForgetRolledBack());
    return status;
  }
  compressor_->PublishCommitted();
  stats->Add(local);
  return absl::OkStatus();
}

absl::StatusOr<bool> SqliteStore::Maintain() {
  bool more = false;
  absl::Status status;
  {
    ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db_));
    // Idle: the writer may as well wait for a dictionary being trained.
    absl::StatusOr<bool> r = MaintainStorage(kRecompressPerMaintain, /*wait=*/true);
    status = r.status();
    if (status.ok()) more = *r;
    if (status.ok()) status = txn.Commit();
  }
  if (!status.ok()) {
    RETURN_IF_ERROR(ForgetRolledBack());
    return status;
  }
  compressor_->PublishCommitted();
  return more;
}

absl::Status SqliteStore::AdoptDictionaries(bool wait) {
  // A dictionary trained now compresses what follows; rows stored before it
  // are recompressed (Recompress).
  ASSIGN_OR_RETURN(bool trained, compressor_->MaybeTrain(db_, Now(), wait));
  if (trained && compressor_->has_dictionary(ValueKind::kLine)) {
    RETURN_IF_ERROR(db_.Exec(
        "UPDATE storage_state SET recompress_messages_next = 0,"
        " recompress_messages_below = (SELECT coalesce(max(id), 0) + 1 FROM messages),"
        " recompress_events_next = 0, recompress_events_below = (SELECT coalesce(max(id), 0) + 1 FROM events)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SqliteStore::MaintainStorage(int64_t budget, bool wait) {
  RETURN_IF_ERROR(AdoptDictionaries(wait));
  ASSIGN_OR_RETURN(bool more, Recompress(budget));
  RETURN_IF_ERROR(change_seq_->Save());
  return more;
}

absl::Status SqliteStore::IndexNewMessages() {
  Stmt& w = *fts_watermark_;
  ASSIGN_OR_RETURN(bool row, w.Step());
  if (!row) {
    w.Reset();
    return absl::InternalError("storage_state has no row");
  }
  const int64_t next = w.ColumnInt(0), end = w.ColumnInt(1);
  w.Reset();
  // Nothing new (the delete trigger keeps the watermark at most one past the
  // newest message: schema/0028).
  if (next >= end) return absl::OkStatus();
  // One statement: FTS5 flushes its pending terms at each statement
  // savepoint, so this is the batch's only segment write.
  RETURN_IF_ERROR(fts_index_->Bind(1, next).Run());
  return fts_move_watermark_->Bind(1, end).Run();
}

absl::StatusOr<bool> SqliteStore::Recompress(int64_t budget) {
  if (!compressor_->has_dictionary(ValueKind::kLine)) return false;
  bool more = false;
  for (const char* table : {"messages", "events"}) {
    ASSIGN_OR_RETURN(Stmt state, db_.Prepare(absl::StrCat("SELECT recompress_", table, "_next, recompress_", table,
                                                          "_below FROM storage_state WHERE id = 1"), true));
    ASSIGN_OR_RETURN(bool row, state.Step());
    if (!row) continue;
    const int64_t next = state.ColumnInt(0), below = state.ColumnInt(1);
    state.Reset();
    if (next >= below) continue;
    std::vector<std::pair<int64_t, std::string>> rows;
    ASSIGN_OR_RETURN(Stmt sel, db_.Prepare(absl::StrCat("SELECT id, cco_raw(raw) FROM ", table,
                                                        " WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3"), true));
    sel.Bind(1, next).Bind(2, below).Bind(3, budget);
    RETURN_IF_ERROR(sel.ForEachRow([&rows](const Stmt& r) {
      rows.emplace_back(r.ColumnInt(0), r.ColumnText(1));
      return true;
    }));
    // The logical value does not change, so neither does change_seq.
    ASSIGN_OR_RETURN(Stmt upd, db_.Prepare(absl::StrCat("UPDATE ", table, " SET raw = ?2 WHERE id = ?1"), true));
    for (const auto& [id, raw] : rows) {
      const Encoded e = compressor_->Encode(ValueKind::kLine, raw);
      if (!e.compressed) continue;
      upd.Bind(1, id).BindBlob(2, e.bytes);
      RETURN_IF_ERROR(upd.Run());
    }
    const int64_t done = static_cast<int64_t>(rows.size()) < budget ? below : rows.back().first + 1;
    ASSIGN_OR_RETURN(Stmt save, db_.Prepare(absl::StrCat("UPDATE storage_state SET recompress_", table,
                                                         "_next = ?1 WHERE id = 1"), true));
    RETURN_IF_ERROR(save.Bind(1, done).Run());
    more = more || done < below;
  }
  return more;
}

absl::Status SqliteStore::ForgetRolledBack() {
  // Ids, numbers and dictionaries created inside the rolled-back
  // transaction are gone with it.
  project_ids_.clear();
  conversation_ids_.clear();
  project_cwds_.clear();
  deriver_->Discard();
  const absl::Status seq = change_seq_->Load();
  const absl::Status dictionaries = compressor_->Reload(db_);
  if (seq.ok() && dictionaries.ok()) return absl::OkStatus();
  // Without them a retry could number rows with numbers the rollback took
  // back, or compress lines with a dictionary it removed: the writer stops
  // instead (nothing is lost, the batch rolled back; the next writer loads
  // both afresh). Internal, so that no caller retries.
  return absl::InternalError(absl::StrCat("cannot reload the writer's state after a rollback: ",
                                          (seq.ok() ? dictionaries : seq).message()));
}

absl::Status SqliteStore::Heartbeat(int64_t queue_depth) {
  if (started_ms_ == 0) started_ms_ = Now();
  // A database deleted or replaced under a running writer would take every
  // later commit into a file nobody can open again: that is fatal.
  struct stat st;
  const bool gone = ::stat(db_.path().c_str(), &st) != 0;
  if (gone && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("cannot stat ", db_.path()));  // logged, not fatal
  }
  if (gone || static_cast<int64_t>(st.st_dev) != db_dev_ || static_cast<int64_t>(st.st_ino) != db_inode_) {
    return absl::DataLossError(absl::StrCat("the database ", db_.path(),
                                            " was deleted or replaced while cco was writing to it"));
  }
  return heartbeat_->Bind(1, static_cast<int64_t>(::getpid())).Bind(2, Now()).Bind(3, queue_depth)
      .Bind(4, started_ms_).Run();
}

absl::Status SqliteStore::RecordStart(const WriterStart& start) {
  started_ms_ = Now();
  ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db_));
  ASSIGN_OR_RETURN(Stmt state, db_.Prepare(
      "INSERT INTO writer_state(id, pid, started_ms, heartbeat_ms, queue_depth, command) VALUES (1, ?1, ?2, ?2, 0, ?3)"
      " ON CONFLICT(id) DO UPDATE SET pid = ?1, started_ms = ?2, heartbeat_ms = ?2, queue_depth = 0, command = ?3,"
      " walk_started_ms = NULL, walk_updated_ms = NULL, walk_done_ms = NULL, walk_files = NULL,"
      " walk_files_read = NULL, walk_bytes = NULL, walk_bytes_read = NULL, polling = NULL"));
  RETURN_IF_ERROR(state.Bind(1, static_cast<int64_t>(::getpid())).Bind(2, started_ms_).Bind(3, start.command).Run());
  RETURN_IF_ERROR(db_.Exec("DELETE FROM writer_roots"));
  ASSIGN_OR_RETURN(Stmt root, db_.Prepare("INSERT OR IGNORE INTO writer_roots(root) VALUES (?1)"));
  for (const std::string& r : start.roots) RETURN_IF_ERROR(root.Bind(1, r).Run());
  return txn.Commit();
}

absl::Status SqliteStore::RecordPolling(const std::string& why) {
  ASSIGN_OR_RETURN(Stmt s, db_.Prepare("UPDATE writer_state SET polling = ?1 WHERE id = 1"));
  return s.BindTextOrNull(1, why).Run();
}

absl::Status SqliteStore::RecordWalk(const WalkProgress& walk) {
  if (!record_walk_.has_value()) {
    ASSIGN_OR_RETURN(Stmt s, db_.Prepare(
        "UPDATE writer_state SET walk_started_ms = CASE WHEN ?1 THEN ?3 ELSE walk_started_ms END,"
        " walk_updated_ms = ?3, walk_done_ms = CASE WHEN ?2 THEN ?3 END, walk_files = ?4, walk_files_read = ?5,"
        " walk_bytes = ?6, walk_bytes_read = ?7 WHERE id = 1", /*persistent=*/true));
    record_walk_.emplace(std::move(s));
  }
  return record_walk_->Bind(1, walk.starting ? 1 : 0).Bind(2, walk.done ? 1 : 0).Bind(3, Now())
      .Bind(4, walk.files).Bind(5, walk.files_read).Bind(6, walk.bytes).Bind(7, walk.bytes_read).Run();
}

absl::Status SqliteStore::Checkpoint() {
  // Never wait for readers here: a reader in a long read transaction would
  // otherwise stall the writer for the whole busy timeout.
  sqlite3_busy_timeout(db_.get(), 0);
  int log = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  sqlite3_busy_timeout(db_.get(), 5000);
  sqlite3_db_release_memory(db_.get());  // idle: give the page cache back
  // BUSY means a reader still uses the WAL; the next idle period tries again.
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return absl::OkStatus();
  return SqliteStatus(rc, db_.get(), "wal checkpoint");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteStoreOptions options) {
  ASSIGN_OR_RETURN(Db db, Db::Open(path, Db::Mode::kReadWrite));
  RETURN_IF_ERROR(Migrate(db));
  {
    // What a migration (0020: the whole history) or another writer left to
    // bring up to date.
    ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    RETURN_IF_ERROR(RefreshBlockStarts(db));
    RETURN_IF_ERROR(txn.Commit());
  }
  auto store = std::make_unique<SqliteStore>(std::move(db), std::move(options));
  RETURN_IF_ERROR(store->Prepare());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace cco
