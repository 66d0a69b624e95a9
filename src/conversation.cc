#include "src/conversation.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/status.h"
#include "src/stored_lines.h"

namespace cco {
namespace {

// The blocks of one stored line, through SQLite's JSON functions: a content
// array's blocks in order (a tool result's content as text: its text blocks
// joined, other blocks as [type]), or the content string, or a system
// line's top-level content.
constexpr char kBlocks[] =
    "SELECT b.value ->> '$.type', coalesce(b.value ->> '$.text', ''), coalesce(b.value ->> '$.thinking', ''),"
    " coalesce(b.value ->> '$.name', ''), coalesce(b.value ->> '$.id', b.value ->> '$.tool_use_id', ''),"
    " coalesce(json(b.value -> '$.input'), ''),"
    " CASE json_type(b.value, '$.content') WHEN 'text' THEN b.value ->> '$.content'"
    "   WHEN 'array' THEN (SELECT group_concat(CASE c.value ->> '$.type' WHEN 'text' THEN c.value ->> '$.text'"
    "     WHEN 'tool_reference' THEN coalesce(c.value ->> '$.tool_name', '[tool_reference]')"
    "     ELSE '[' || coalesce(c.value ->> '$.type', '?') || ']' END, char(10))"
    "     FROM json_each(b.value, '$.content') c) ELSE '' END,"
    " coalesce(b.value ->> '$.is_error', 0) IN (1, 'true'),"
    " coalesce(b.value ->> '$.input.command', b.value ->> '$.input.file_path', b.value ->> '$.input.path',"
    "   b.value ->> '$.input.pattern', b.value ->> '$.input.url', b.value ->> '$.input.query',"
    "   b.value ->> '$.input.description', b.value ->> '$.input.prompt', ''),"
    " json_type(b.value)"
    " FROM json_each(?1, '$.message.content') b WHERE json_type(?1, '$.message.content') = 'array'"
    " ORDER BY b.key";

constexpr char kPlainContent[] =
    "SELECT CASE json_type(?1, '$.message.content') WHEN 'text' THEN ?1 ->> '$.message.content' END,"
    " CASE json_type(?1, '$.content') WHEN 'text' THEN ?1 ->> '$.content' END";

BlockKind KindOfType(std::string_view type) {
  if (type == "text") return BlockKind::kText;
  if (type == "thinking" || type == "redacted_thinking") return BlockKind::kThinking;
  if (type == "tool_use" || type == "server_tool_use") return BlockKind::kToolUse;
  if (type == "tool_result" || type == "web_search_tool_result") return BlockKind::kToolResult;
  if (type == "image") return BlockKind::kImage;
  return BlockKind::kOther;
}

absl::Status ReadBlocks(Stmt& blocks, Stmt& plain, const std::string& raw, ConversationMessage* m) {
  blocks.Bind(1, raw);
  RETURN_IF_ERROR(blocks.ForEachRow([m](const Stmt& r) {
    Block b;
    if (r.ColumnText(9) != "object") {
      // A bare string in a content array is text.
      if (r.ColumnText(9) == "text") {
        b.text = r.ColumnText(1);
      }
      m->blocks.push_back(std::move(b));
      return true;
    }
    b.type = r.ColumnText(0);
    b.kind = KindOfType(b.type);
    switch (b.kind) {
      case BlockKind::kText:
        b.text = r.ColumnText(1);
        break;
      case BlockKind::kThinking:
        b.text = b.type == "redacted_thinking" ? "[redacted thinking]" : r.ColumnText(2);
        break;
      case BlockKind::kToolUse:
        b.tool_name = r.ColumnText(3);
        b.tool_use_id = r.ColumnText(4);
        b.text = r.ColumnText(5);
        b.summary = r.ColumnText(8);
        break;
      case BlockKind::kToolResult:
        b.tool_use_id = r.ColumnText(4);
        b.text = r.ColumnText(6);
        b.is_error = r.ColumnInt(7) != 0;
        break;
      case BlockKind::kImage:
        b.text = "[image]";
        break;
      case BlockKind::kOther:
        b.text = absl::StrCat("[", b.type, "]");
        break;
    }
    m->blocks.push_back(std::move(b));
    return true;
  }));
  if (!m->blocks.empty()) return absl::OkStatus();
  plain.Bind(1, raw);
  ASSIGN_OR_RETURN(bool row, plain.Step());
  if (row) {
    std::string text = !plain.ColumnIsNull(0) ? plain.ColumnText(0) : plain.ColumnText(1);
    if (!plain.ColumnIsNull(0) || !plain.ColumnIsNull(1)) {
      Block b;
      b.text = std::move(text);
      m->blocks.push_back(std::move(b));
    }
  }
  plain.Reset();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LineBlocks> LineBlocks::Prepare(Db& db) {
  ASSIGN_OR_RETURN(Stmt blocks, db.Prepare(kBlocks));
  ASSIGN_OR_RETURN(Stmt plain, db.Prepare(kPlainContent));
  return LineBlocks(std::move(blocks), std::move(plain));
}

absl::Status LineBlocks::Read(const std::string& raw, ConversationMessage* m) {
  return ReadBlocks(blocks_, plain_, raw, m);
}

namespace {

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool ConversationMessage::IsPrompt() const {
  if (type != "user" || is_meta) return false;
  bool text = false;
  for (const Block& b : blocks) {
    if (b.kind == BlockKind::kToolResult) return false;
    if (b.kind == BlockKind::kText && !b.text.empty()) text = true;
  }
  return text;
}

std::string ConversationMessage::Speaker() const {
  if (type == "user") return IsPrompt() ? "you" : "user";
  if (type == "assistant") return "claude";
  return type;
}

namespace {

// The one key of `keys` (a SELECT of one text column named k, ordered by an
// index) equal to `id_or_prefix`, else the only one starting with it (at
// least 4 characters). `what` names the keys in errors.
absl::StatusOr<std::string> ResolveKey(Db& db, const std::string& keys, const std::string& id_or_prefix,
                                       const std::string& what) {
  if (id_or_prefix.empty()) return ChooseSession(id_or_prefix, false, {}, what);
  {
    ASSIGN_OR_RETURN(Stmt exact, db.Prepare(absl::StrCat("SELECT k FROM (", keys, ") WHERE k = ?1")));
    exact.Bind(1, id_or_prefix);
    ASSIGN_OR_RETURN(bool row, exact.Step());
    if (row) return exact.ColumnText(0);
  }
  std::vector<std::string> found;
  if (id_or_prefix.size() >= 4) {
    // A range on the index: prefix <= id < prefix + U+10FFFF.
    ASSIGN_OR_RETURN(Stmt prefix, db.Prepare(absl::StrCat("SELECT DISTINCT k FROM (", keys, ") WHERE k >= ?1",
                                                          " AND k < ?1 || char(1114111) ORDER BY 1 LIMIT 6")));
    prefix.Bind(1, id_or_prefix);
    RETURN_IF_ERROR(prefix.ForEachRow([&found](const Stmt& r) {
      found.push_back(r.ColumnText(0));
      return true;
    }));
  }
  return ChooseSession(id_or_prefix, false, std::move(found), what);
}

}  // namespace

absl::StatusOr<std::string> ChooseSession(const std::string& id_or_prefix, bool exact, std::vector<std::string> prefixed,
                                          const std::string& what) {
  if (id_or_prefix.empty()) return absl::InvalidArgumentError("no session given");
  if (exact) return id_or_prefix;
  if (id_or_prefix.size() < 4) {
    return absl::NotFoundError(absl::StrCat("no ", what, " '", id_or_prefix,
                                            "' (a prefix needs at least 4 characters)"));
  }
  if (prefixed.empty()) return absl::NotFoundError(absl::StrCat("no ", what, " '", id_or_prefix, "' in the database"));
  if (prefixed.size() > 1) {
    if (prefixed.size() > 5) {
      prefixed.resize(6);
      prefixed.back() = "…";
    }
    return absl::InvalidArgumentError(absl::StrCat("session prefix '", id_or_prefix,
                                                    "' is ambiguous: ", absl::StrJoin(prefixed, ", ")));
  }
  return prefixed[0];
}

absl::StatusOr<std::string> ResolveSession(Db& db, const std::string& id_or_prefix) {
  return ResolveKey(db, "SELECT session_id AS k FROM conversations", id_or_prefix, "session");
}

absl::StatusOr<std::string> ResolveForgottenSession(Db& db, const std::string& id_or_prefix) {
  return ResolveKey(db, "SELECT key AS k FROM tombstones WHERE kind = 'session'", id_or_prefix, "forgotten session");
}

absl::StatusOr<std::vector<SessionFile>> SessionFiles(Db& db, const std::string& session_id) {
  ASSIGN_OR_RETURN(
      Stmt s,
      db.Prepare("WITH c AS (SELECT id FROM conversations WHERE session_id = ?1),"
                 " r AS (SELECT file_id FROM messages WHERE conversation_id IN c"
                 "       UNION SELECT file_id FROM events WHERE conversation_id IN c),"
                 " cand AS (SELECT id, stream_id FROM files WHERE id IN r OR session_id = ?1),"
                 " one AS (SELECT min(id) AS id FROM cand GROUP BY stream_id)"
                 " SELECT f.id, f.path, coalesce(f.agent_id, ''), coalesce(f.agent_type, ''),"
                 "  (SELECT t FROM (SELECT byte_offset AS o, timestamp_ms AS t FROM messages"
                 "     WHERE file_id = f.id AND generation = f.generation AND timestamp_ms IS NOT NULL"
                 "   UNION ALL SELECT byte_offset, timestamp_ms FROM events"
                 "     WHERE file_id = f.id AND generation = f.generation AND timestamp_ms IS NOT NULL)"
                 "   ORDER BY o LIMIT 1)"
                 " FROM files f WHERE f.id IN (SELECT id FROM one) ORDER BY f.path"));
  s.Bind(1, session_id);
  std::vector<SessionFile> files;
  RETURN_IF_ERROR(s.ForEachRow([&files](const Stmt& r) {
    SessionFile f;
    f.file_id = r.ColumnInt(0);
    f.path = r.ColumnText(1);
    f.agent_id = r.ColumnText(2);
    f.agent_type = r.ColumnText(3);
    f.first_ms = r.ColumnOptionalInt(4);
    files.push_back(std::move(f));
    return true;
  }));
  if (files.empty()) return files;
  // The main transcript: the file named after the session, else the
  // earliest one that is not an agent's.
  auto earlier = [](const SessionFile& a, const SessionFile& b) {
    const int64_t ta = a.first_ms.value_or(INT64_MAX), tb = b.first_ms.value_or(INT64_MAX);
    return ta != tb ? ta < tb : a.path < b.path;
  };
  auto main = std::find_if(files.begin(), files.end(), [&session_id](const SessionFile& f) {
    return f.agent_id.empty() && Basename(f.path) == session_id + ".jsonl";
  });
  if (main == files.end()) {
    for (auto it = files.begin(); it != files.end(); ++it) {
      if (it->agent_id.empty() && (main == files.end() || earlier(*it, *main))) main = it;
    }
  }
  if (main == files.end()) main = std::min_element(files.begin(), files.end(), earlier);
  main->main = true;
  std::iter_swap(files.begin(), main);
  std::sort(files.begin() + 1, files.end(), earlier);
  return files;
}

absl::StatusOr<std::vector<std::string>> SessionsOfProjects(Db& db, const std::vector<int64_t>& project_ids) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT session_id FROM conversations WHERE project_id = ?1"
                                      " ORDER BY started_ms IS NULL, started_ms, session_id"));
  std::vector<std::string> out;
  for (int64_t id : project_ids) {
    s.Bind(1, id);
    RETURN_IF_ERROR(s.ForEachRow([&out](const Stmt& r) {
      out.push_back(r.ColumnText(0));
      return true;
    }));
  }
  return out;
}

namespace {

// The parts of conversation `conversation_id` in export order, each with
// its stored message count and no messages yet: the session's files
// (SessionFiles), then any other file holding rows of it (a second copy of
// a stream whose first copy was replaced) by file id.
absl::StatusOr<std::vector<ConversationPart>> PartsInOrder(Db& db, int64_t conversation_id,
                                                          const std::string& session_id) {
  ASSIGN_OR_RETURN(std::vector<SessionFile> files, SessionFiles(db, session_id));
  std::vector<ConversationPart> parts;
  std::map<int64_t, size_t> part_of;
  for (SessionFile& f : files) {
    part_of[f.file_id] = parts.size();
    parts.push_back(ConversationPart{std::move(f), {}});
  }
  ASSIGN_OR_RETURN(Stmt counts, db.Prepare("SELECT m.file_id, count(*), f.path, coalesce(f.agent_id, ''),"
                                           " coalesce(f.agent_type, ''), min(m.timestamp_ms)"
                                           " FROM messages m JOIN files f ON f.id = m.file_id"
                                           " WHERE m.conversation_id = ?1 GROUP BY m.file_id ORDER BY m.file_id"));
  counts.Bind(1, conversation_id);
  RETURN_IF_ERROR(counts.ForEachRow([&](const Stmt& r) {
    const int64_t file_id = r.ColumnInt(0);
    auto it = part_of.find(file_id);
    if (it == part_of.end()) {
      SessionFile f;
      f.file_id = file_id;
      f.path = r.ColumnText(2);
      f.agent_id = r.ColumnText(3);
      f.agent_type = r.ColumnText(4);
      f.first_ms = r.ColumnOptionalInt(5);
      it = part_of.emplace(file_id, parts.size()).first;
      parts.push_back(ConversationPart{std::move(f), {}});
    }
    parts[it->second].stored = r.ColumnInt(1);
    return true;
  }));
  return parts;
}

// The place of message `uuid` among the stored messages of `parts` (in
// order, with their counts); NotFound when the conversation has none.
absl::StatusOr<int64_t> PlaceOf(Db& db, int64_t conversation_id, const std::vector<ConversationPart>& parts,
                                const MessageWindow& window) {
  const bool by_uuid = !window.around_uuid.empty();
  ASSIGN_OR_RETURN(Stmt at, db.Prepare(absl::StrCat("SELECT file_id, generation, byte_offset FROM messages"
                                                    " WHERE conversation_id = ?1 AND ",
                                                    by_uuid ? "uuid = ?2" : "id = ?2")));
  at.Bind(1, conversation_id);
  if (by_uuid) {
    at.Bind(2, window.around_uuid);
  } else {
    at.Bind(2, window.around_id);
  }
  ASSIGN_OR_RETURN(bool found, at.Step());
  if (!found) return absl::NotFoundError("no such message in the conversation");
  const int64_t file_id = at.ColumnInt(0), generation = at.ColumnInt(1), byte_offset = at.ColumnInt(2);
  int64_t place = 0;
  for (const ConversationPart& p : parts) {
    if (p.file.file_id == file_id) break;
    place += p.stored;
  }
  ASSIGN_OR_RETURN(Stmt before, db.Prepare("SELECT count(*) FROM messages WHERE conversation_id = ?1 AND file_id = ?2"
                                           " AND (generation, byte_offset) < (?3, ?4)"));
  before.Bind(1, conversation_id).Bind(2, file_id).Bind(3, generation).Bind(4, byte_offset);
  ASSIGN_OR_RETURN(bool row, before.Step());
  return place + (row ? before.ColumnInt(0) : 0);
}

}  // namespace

absl::StatusOr<int64_t> ConversationId(Db& db, const std::string& session_id) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT id FROM conversations WHERE session_id = ?1"));
  s.Bind(1, session_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no session '", session_id, "' in the database"));
  return s.ColumnInt(0);
}

std::vector<int64_t> ApplyWindow(const MessageWindow& window, std::optional<int64_t> place, Conversation* c) {
  c->stored_messages = 0;
  for (const ConversationPart& p : c->parts) c->stored_messages += p.stored;
  int64_t offset = window.offset;
  if (place.has_value() && window.Anchored()) offset = *place / window.limit * window.limit;
  if (window.limit > 0 && c->stored_messages > 0 && offset >= c->stored_messages) {
    offset = (c->stored_messages - 1) / window.limit * window.limit;  // past the end: the last window
  }
  c->window_offset = std::clamp<int64_t>(offset, 0, c->stored_messages);
  const int64_t window_end =
      window.limit < 0 ? c->stored_messages : std::min(c->stored_messages, c->window_offset + window.limit);
  c->partial = c->window_offset > 0 || window_end < c->stored_messages;
  std::vector<int64_t> counts;
  int64_t part_start = 0;  // the place of the part's first message in the conversation
  for (ConversationPart& part : c->parts) {
    const int64_t from = std::max(c->window_offset, part_start), to = std::min(window_end, part_start + part.stored);
    part.first = std::max<int64_t>(0, from - part_start);
    part_start += part.stored;
    counts.push_back(std::max<int64_t>(0, to - from));
  }
  return counts;
}

absl::StatusOr<Conversation> LoadConversation(Db& db, const std::string& session_id, const MessageWindow& window) {
  Conversation c;
  int64_t conversation_id = 0;
  {
    ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT c.id, c.session_id, coalesce(p.dir_name, ''), coalesce(p.cwd, ''),"
                                        " coalesce(c.title, ''), c.started_ms, c.ended_ms, c.message_count"
                                        " FROM conversations c LEFT JOIN projects p ON p.id = c.project_id"
                                        " WHERE c.session_id = ?1"));
    s.Bind(1, session_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError(absl::StrCat("no session '", session_id, "' in the database"));
    conversation_id = s.ColumnInt(0);
    c.session_id = s.ColumnText(1);
    c.project = s.ColumnText(2);
    c.cwd = s.ColumnText(3);
    c.title = s.ColumnText(4);
    c.started_ms = s.ColumnOptionalInt(5);
    c.ended_ms = s.ColumnOptionalInt(6);
    c.message_count = s.ColumnInt(7);
  }
  ASSIGN_OR_RETURN(c.parts, PartsInOrder(db, conversation_id, session_id));
  std::optional<int64_t> place;
  if (window.Anchored()) {
    absl::StatusOr<int64_t> found = PlaceOf(db, conversation_id, c.parts, window);
    if (found.ok()) place = *found;
    if (!found.ok() && !absl::IsNotFound(found.status())) return found.status();
  }
  const std::vector<int64_t> counts = ApplyWindow(window, place, &c);

  ASSIGN_OR_RETURN(LineBlocks blocks, LineBlocks::Prepare(db));
  // The rows of one part in file order, from ?3 on, at most ?2: chosen by id
  // first, so that only those are decompressed.
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT m.id, coalesce(m.uuid, ''), m.type, coalesce(m.subtype, ''),"
                                      " m.timestamp_ms, m.is_sidechain, m.is_meta, coalesce(m.model, ''),"
                                      " CAST(cco_raw(m.raw) AS TEXT)"
                                      " FROM messages m WHERE m.id IN (SELECT id FROM messages"
                                      "  WHERE conversation_id = ?4 AND file_id = ?1"
                                      "  ORDER BY generation, byte_offset LIMIT ?2 OFFSET ?3)"
                                      " ORDER BY m.generation, m.byte_offset"));
  for (size_t i = 0; i < c.parts.size(); ++i) {
    ConversationPart& part = c.parts[i];
    if (counts[i] == 0) continue;
    s.Bind(1, part.file.file_id).Bind(2, counts[i]).Bind(3, part.first).Bind(4, conversation_id);
    absl::Status failed;
    RETURN_IF_ERROR(s.ForEachRow([&](const Stmt& r) {
      ConversationMessage m;
      m.id = r.ColumnInt(0);
      m.uuid = r.ColumnText(1);
      m.type = r.ColumnText(2);
      m.subtype = r.ColumnText(3);
      m.timestamp_ms = r.ColumnOptionalInt(4);
      m.is_sidechain = r.ColumnInt(5) != 0;
      m.is_meta = r.ColumnInt(6) != 0;
      m.model = r.ColumnText(7);
      failed = blocks.Read(r.ColumnText(8), &m);
      if (!failed.ok()) return false;
      part.messages.push_back(std::move(m));
      return true;
    }));
    RETURN_IF_ERROR(failed);
  }
  return c;
}

absl::Status ExportJsonl(Db& db, const std::string& session, std::string* out, ExportCounts* counts) {
  ASSIGN_OR_RETURN(std::vector<SessionFile> files, SessionFiles(db, session));
  for (const SessionFile& f : files) {
    ASSIGN_OR_RETURN(std::vector<StoredLine> lines, StoredLinesOfFile(db, f.file_id));
    for (const StoredLine& line : lines) {
      if (!line.found) {
        ++counts->missing;
      } else if (line.truncated) {
        ++counts->truncated;
      } else {
        absl::StrAppend(out, line.bytes, "\n");
        ++counts->lines;
      }
    }
  }
  return absl::OkStatus();
}

std::string OneLine(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes + 3));
  bool space = false;
  for (char ch : s) {
    const bool blank = ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ';
    if (blank) {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += ch;
    if (out.size() > max_bytes) break;
  }
  if (out.size() <= max_bytes) return out;
  size_t cut = max_bytes;
  // Back to the first byte of a UTF-8 character.
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "…";
}

}  // namespace cco
