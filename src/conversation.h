// A conversation read back from the database, for people: the session's
// transcripts (the main one, then each agent's), their messages in file
// order, and each message's content blocks (text, thinking, tool calls and
// their results). Shared by `cco show`, `cco export` and the web pages, which
// render it (render_text.h, render_html.h).
//
// Blocks come from the stored raw line (messages.raw) through SQLite's JSON
// functions, so the core stays free of a JSON parser. Errors: NotFound for an
// unknown session, InvalidArgument for an ambiguous prefix (the candidates
// are named); SQLite errors as they come.
#ifndef CCO_SRC_CONVERSATION_H_
#define CCO_SRC_CONVERSATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

// One transcript file of a session, in export order.
struct SessionFile {
  int64_t file_id = 0;
  std::string path;
  std::string agent_id;    // "" for the main transcript
  std::string agent_type;  // from the agent's sidecar; "" when unknown
  bool main = false;
  std::optional<int64_t> first_ms;  // time of its first timestamped line
};

// The session named by `id_or_prefix`: an exact conversations.session_id,
// else the only one starting with it (at least 4 characters). NotFound when
// none matches; InvalidArgument naming a few candidates when several do.
absl::StatusOr<std::string> ResolveSession(Db& db, const std::string& id_or_prefix);

// ResolveSession's rule over what a store found for `id_or_prefix`: `exact`
// when a session has that id; else `prefixed`, the sessions starting with it
// (sorted, up to 6; not looked for below 4 characters). `what` names the
// sessions in errors.
absl::StatusOr<std::string> ChooseSession(const std::string& id_or_prefix, bool exact, std::vector<std::string> prefixed,
                                          const std::string& what = "session");

// As ResolveSession, over the sessions `cco forget` keeps out (tombstones of
// kind 'session'): for an undo, when the session is no longer stored.
absl::StatusOr<std::string> ResolveForgottenSession(Db& db, const std::string& id_or_prefix);

// The files whose lines make up `session_id`, in export order: the main
// transcript first (the file named after the session, else the earliest
// file that is not an agent's), then the others by their first line's time
// (then path). Every file with a row of the conversation is included, and
// files whose path names the session; of several copies of one transcript
// (the same stream under two roots) only the first seen.
absl::StatusOr<std::vector<SessionFile>> SessionFiles(Db& db, const std::string& session_id);

// The sessions of the projects `project_ids`, oldest first.
absl::StatusOr<std::vector<std::string>> SessionsOfProjects(Db& db, const std::vector<int64_t>& project_ids);

enum class BlockKind { kText, kThinking, kToolUse, kToolResult, kImage, kOther };

struct Block {
  BlockKind kind = BlockKind::kText;
  std::string text;         // text, thinking, a tool result's text, a tool call's input JSON
  std::string tool_name;    // kToolUse
  // kToolUse: the input's most telling field for people (command,
  // file_path, path, pattern, url, query, description, prompt), else "".
  std::string summary;
  std::string tool_use_id;  // kToolUse, kToolResult
  bool is_error = false;    // kToolResult with is_error: true
  std::string type;         // the block's own type (kOther: e.g. "document")
};

struct ConversationMessage {
  int64_t id = 0;  // messages.id
  std::string uuid;
  std::string type;     // user, assistant, system
  std::string subtype;  // e.g. compact_boundary
  std::optional<int64_t> timestamp_ms;
  bool is_sidechain = false;
  bool is_meta = false;
  std::string model;
  std::vector<Block> blocks;
  // A user line that someone typed: text, and no tool result.
  bool IsPrompt() const;
  // Who speaks, for people: "you" (a prompt), "user" (tool results and
  // other user lines), "claude", or the type.
  std::string Speaker() const;
};

// The blocks of stored lines, through SQLite's JSON functions on `db` (the
// database's own connection, or any other, such as an in-memory one for
// lines read from a team server): a content array's blocks in order, else
// the content string, else a system line's top-level content.
class LineBlocks {
 public:
  static absl::StatusOr<LineBlocks> Prepare(Db& db);
  // Appends the blocks of `raw` (one transcript line) to m->blocks.
  absl::Status Read(const std::string& raw, ConversationMessage* m);

 private:
  LineBlocks(Stmt blocks, Stmt plain) : blocks_(std::move(blocks)), plain_(std::move(plain)) {}
  Stmt blocks_;
  Stmt plain_;
};

struct ConversationPart {
  SessionFile file;
  std::vector<ConversationMessage> messages;  // in file order: the part's messages in the window loaded
  int64_t stored = 0;  // the part's messages in the database
  int64_t first = 0;   // the place of messages.front() among the part's stored messages (0: its first)
};

struct Conversation {
  std::string session_id;
  std::string project;  // the project's directory name
  std::string cwd;      // the project's working directory; "" when unknown
  std::string title;    // "" when none
  std::optional<int64_t> started_ms, ended_ms;
  int64_t message_count = 0;
  // Every part, the main transcript first (as SessionFiles, then any other
  // file holding rows of the session), each with the messages of the window.
  std::vector<ConversationPart> parts;
  int64_t stored_messages = 0;  // messages of every part in the database: the places of a window
  int64_t window_offset = 0;    // the place of the first message loaded
  bool partial = false;         // the window left messages out
};

// Which messages of a conversation to load: places in export order (the
// parts in order, each part's messages in file order), 0-based.
struct MessageWindow {
  int64_t offset = 0;  // skip this many
  int64_t limit = -1;  // then at most this many; -1: all
  // When set and stored: instead of `offset`, the window of `limit` (its
  // offset a multiple of `limit`) that holds this message (messages.uuid).
  std::string around_uuid;
  // The same by messages.id (a line without uuid), when around_uuid is empty.
  int64_t around_id = 0;
  // A window around a message rather than at an offset.
  bool Anchored() const { return (!around_uuid.empty() || around_id != 0) && limit > 0; }
};

// The window over `c->parts` (their `stored` counts set): sets
// stored_messages, window_offset, partial and each part's `first`, and
// returns how many messages of each part to load from its `first` on.
// `place`: the place of the message the window is anchored at, when it is
// stored (else the window is at window.offset).
std::vector<int64_t> ApplyWindow(const MessageWindow& window, std::optional<int64_t> place, Conversation* c);

// The conversation `session_id` (exact id; see ResolveSession), the
// messages of `window` only (all by default); with a limit, an offset past
// the last message gives the last window.
absl::StatusOr<Conversation> LoadConversation(Db& db, const std::string& session_id,
                                              const MessageWindow& window = {});

// conversations.id of `session_id` (exact id); NotFound when not stored.
absl::StatusOr<int64_t> ConversationId(Db& db, const std::string& session_id);

struct ExportCounts {
  int64_t lines = 0;
  int64_t truncated = 0;  // over-long lines: only a prefix is stored
  int64_t missing = 0;    // a duplicate whose stored copy is gone
};

// Appends the stored lines of `session` (exact id), byte-exact, one per
// line: the main transcript, then each agent's (SessionFiles' order). What
// `cco export --format jsonl` writes and `cco serve`'s
// /api/conversation/SESSION answers.
absl::Status ExportJsonl(Db& db, const std::string& session, std::string* out, ExportCounts* counts);

// `s` cut to at most `max_bytes` at a UTF-8 character boundary, "…" added
// when cut; newlines and tabs become spaces.
std::string OneLine(std::string_view s, size_t max_bytes);

}  // namespace cco

#endif  // CCO_SRC_CONVERSATION_H_
