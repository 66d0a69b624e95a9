#include "cli/help.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "src/message_kind.h"

namespace cco {
namespace {

FlagHelp Db() {
  return {"db", "PATH",
          "The database, in a directory that exists. Default: $CCO_DB, else "
          "${XDG_DATA_HOME:-~/.local/share}/cco/cco.db (created 0600 in a 0700 directory by the writing commands)."};
}
FlagHelp Json(const std::string& what) { return {"json", "", absl::StrCat("Print ", what, " as one JSON object.")}; }
FlagHelp Root() {
  FlagHelp f{"root", "DIR",
             "A Claude config directory holding projects/ (like ~/.claude) or a projects/ directory (repeatable); any "
             "other directory is refused (exit 2), a project directory with a hint to pass its parent. Only "
             "transcripts below it are read: other *.jsonl files are skipped and named. Default: each entry of "
             "CLAUDE_CONFIG_DIR (comma-separated) + /projects, else ${XDG_CONFIG_HOME:-~/.config}/claude/projects and "
             "~/.claude/projects where they exist."};
  f.repeatable = true;
  return f;
}
FlagHelp MaxLineBytes() {
  return {"max-line-bytes", "N", "Longest line accepted (default 4194304 = 4 MiB); longer lines are quarantined (their first 64 KiB kept). Peak memory stays under 80 MiB + 16 x N (docs/memory.md)."};
}
FlagHelp Repeatable(FlagHelp f) {
  f.repeatable = true;
  return f;
}
FlagHelp PushExclude() {
  FlagHelp f{"exclude-project", "P",
             "Keep project P (its directory name or working directory) local: none of its rows is pushed "
             "(repeatable; remembered for the server)."};
  f.repeatable = true;
  return f;
}
FlagHelp BatchRecords() {
  return {"batch-records", "N", "Close a write transaction after N records (default 20000; tuning and tests)."};
}

std::vector<CommandHelp> BuildCommands() {
  std::vector<CommandHelp> c;
  c.push_back({"rescan", "", {},
               "ingest everything not yet in the database, then exit",
               "Ingest every complete line not yet in the database, re-verify every file's identity, archive "
               "transcripts that disappeared (their history stays), then exit. `cco --rescan` is the same. A progress "
               "bar on a terminal, a summary at the end. Ctrl-C (SIGINT) or SIGTERM stops it cleanly: what was read "
               "is committed, and the next run continues from there (exit 130).\n\nSee also: cco replay (a fixture "
               "tree, deterministically), cco watch (the service).",
               {Root(), Db(), Json("the summary"), MaxLineBytes(), BatchRecords()}});
  c.push_back({"replay", "DIR", {},
               "ingest a fixture tree deterministically",
               "Ingest the transcripts below DIR (a projects/ directory) deterministically, with no clock: a final "
               "line without a newline is taken. For CI and golden comparisons. --db is required.\n\nSee also: cco "
               "rescan (every transcript of this user).",
               {Db(), Json("the summary"), MaxLineBytes(), BatchRecords()}});
  c.push_back({"watch", "", {},
               "the service: backfill, then follow the transcripts live",
               "Backfill what is pending, then follow the transcripts live (inotify, or polling) until SIGTERM or "
               "SIGINT, which commit what is queued and exit 0; SIGHUP reconciles every root. Missing roots are waited "
               "for. On a terminal it prints its roots, its database and the backfill's progress; otherwise (under "
               "systemd) only log lines on stderr. Speaks the systemd notify protocol (READY, STATUS, WATCHDOG) when "
               "run by systemd. See docs/service.md.",
               {Root(),
                Db(),
                {"reconcile-every", "SECONDS", "Reconcile every root, stat-only, this often (default 300)."},
                {"batch-delay-ms", "N", "Longest wait before a batch is committed (default 50): bounds live latency."},
                {"poll", "", "Poll (a stat-only pass every 2 s) instead of using inotify."},
                {"push-to", "URL",
                 "Also keep this team server (postgresql://ROLE@HOST/DATABASE) in step: committed rows are pushed "
                 "as cco push does, within a second; an unreachable server is retried with a backoff (1 s doubling "
                 "to 30 s) and shown in cco status (rows behind, last success, last error). See docs/team.md."},
                {"machine", "NAME", "With --push-to: the machine name to push as (as cco push)."},
                {"usage-only", "", "With --push-to: send usage and metadata only (as cco push)."},
                PushExclude(),
                MaxLineBytes(),
                {"serve", "", "Also serve the dashboard (as cco serve does) from this process, once the database is open."},
                {"port", "N", "With --serve: TCP port (default 8787; 0: any free port)."},
                {"listen", "ADDR", "With --serve: IP address (default 127.0.0.1; beyond loopback a token is required)."}}});
  c.push_back({"status", "", {},
               "whether the service runs, and how far behind the database is",
               "Which command holds the writer lock (watch, rescan or replay; pid, since when), its roots, the last "
               "commit, files per root, queue depth, quarantined lines, database and WAL size; during a backfill \"N "
               "of M files, X of Y MB, ETA\"; pending: what the writer's walk found and has not read yet (also after "
               "an interrupted rescan), else bytes on disk not yet committed; last lines waiting over a minute for "
               "their newline. Read-only: a missing database is reported (exit 0), never created; one written by a "
               "newer cco is refused (exit 1). With --db postgresql://… the team server's messages and events and "
               "each machine's push (its mark, rows, last push), as far as the role may read.",
               {{"db", "PATH|URL",
                 "The database (as for every command: $CCO_DB, else "
                 "${XDG_DATA_HOME:-~/.local/share}/cco/cco.db), or a team server: postgresql://ROLE@HOST/DATABASE."},
                Json("the status")}});
  {
    CommandHelp report{"report", "KIND", {"daily", "weekly", "monthly", "session", "project", "tools", "blocks"},
                       "token usage and cost per period, session or project; tool calls",
                       "KIND is daily, weekly, monthly, session, project or tools. Token usage and estimated cost "
                       "per day, week, month, session or project (counted as `ccusage claude daily` counts; --json "
                       "has ccusage's shape), or per tool: calls, errors, error rate, mean and p95 duration. Days "
                       "are cut in the system's time zone unless --tz says otherwise; the table's title names the "
                       "zone. Tables fit the terminal's width (a compact set of columns when the full one does not "
                       "fit), with colour on a terminal unless NO_COLOR is set. A range with no usage says so (exit "
                       "0). Reads the rollups only, through a read-only connection: works while the service writes."
                       "\n\nblocks: 5-hour billing blocks with the rules of `ccusage claude blocks` v20.0.24 (a block "
                       "starts at its first API response floored to the UTC hour and ends 5 hours later; gaps of more "
                       "than 5 hours are shown as gap blocks; the active block with its burn rate and a projection "
                       "to its end), read from the usage winners' time index; --json has ccusage's shape. Now is "
                       "$CCO_NOW when set.",
                       {}};
    report.flags = {
        {"db", "PATH|URL",
         "The database (see cco help status), or a team server: postgresql://ROLE@HOST/DATABASE for team-wide "
         "answers in the same shapes, as far as the role may read (docs/team.md)."},
        Repeatable({"user", "NAME", "Team server only: only this user's rows (repeatable)."}),
        Repeatable({"machine", "NAME", "Team server only: only this machine's rows (repeatable)."}),
        {"tz", "ZONE",
         "Time zone of the days: an IANA name (Asia/Tokyo), utc or UTC, or a fixed offset (+09:00, -03:30). "
         "Default: the system zone ($TZ, else /etc/localtime)."},
        {"since", "DATE", "First day included, in the report's zone: YYYY-MM-DD or YYYYMMDD."},
        {"until", "DATE", "Last day included (YYYY-MM-DD or YYYYMMDD); not before --since."},
        {"project", "NAME",
         "Only this project: its directory name (-home-u-app), its path, or any directory its sessions worked in. "
         "A name that matches nothing is a usage error naming the closest projects."},
        {"start-of-week", "DAY",
         "First day of a week (weekly): a day name, its first three letters, or a number 0-7 with 0 (and 7) = "
         "sunday, 1 = monday, as cron counts. Default: sunday.",
         {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}},
        {"order", "ORDER",
         "asc: oldest first; desc: newest first (periods by date, sessions by last activity). Default: periods "
         "oldest first, sessions and projects most expensive first.",
         {"asc", "desc"},
         true},
        {"breakdown", "", "One row per model under each row of the table."},
        {"compact", "", "Only the essential columns, whatever the terminal's width."},
        {"by-agent", "", "session: each session split by agent (the main transcript and every subagent)."},
        {"active", "", "blocks: only the active block, with its burn rate and projection."},
        {"recent", "", "blocks: only blocks started in the last 3 days, and the active one."},
        {"token-limit", "N",
         "blocks: tokens allowed per block, or max (the most any completed block used): a % column, and a "
         "warning when the active block is projected above 80 % of it."},
        {"session-length", "HOURS", "blocks: length of a billing block in hours (default 5)."},
        Json("the report")};
    c.push_back(std::move(report));
  }
  c.push_back({"serve", "", {},
               "the dashboard: usage charts, sessions, conversations, search, tools and status in a browser",
               "Serve a local dashboard and a JSON API over the database, read-only, until SIGTERM or SIGINT (exit "
               "0). Prints its URL (http://127.0.0.1:8787/ by default). Pages: overview (tokens and cost per day, "
               "week or month stacked by model, by project, today so far; period, range, zone and project pickers), "
               "sessions (sortable, filterable, 50 a page), conversations, search (the matches of cco search, 20 a "
               "page, each linked to its message in its conversation), tools (calls, errors, error rate, p95 "
               "duration), status (writer, lag, backlog, quarantine); they follow new lines while a writer runs. "
               "Every chart has its "
               "numbers in a table beside it. The API under /api/ answers with the --json of the same command: "
               "/api/report/KIND (KIND as for cco report; parameters tz, since, until, project, start-of-week, "
               "order, by-agent, breakdown mean what the flags mean), /api/sessions (= report session), "
               "/api/search?q=WORDS (= search --json; parameters project, session, kind, since, until, tz, limit, "
               "offset, newest, fts mean what the flags mean), /api/conversation/SESSION (= export: the stored "
               "lines), "
               "/api/status (= status --json), /api/changes (the change sequence: a number that grows with every "
               "stored change). Only GET; no CORS; a strict Content-Security-Policy; the Host header must name the "
               "listen address. A missing database is exit 2. With --db postgresql://… the same pages and API over a "
               "team server, as far as the role may read; ?user= and ?machine= (comma-separated) mean --user and "
               "--machine (docs/team.md). See also: cco watch --serve (one service process).",
               {{"db", "PATH|URL",
                 "The database (see cco help status), or a team server: postgresql://ROLE@HOST/DATABASE (docs/team.md)."},
                {"port", "N", "TCP port (default 8787; 0: any free port, printed in the URL)."},
                {"listen", "ADDR",
                 "IP address to listen on (default 127.0.0.1). Anything but a loopback address prints a warning "
                 "and requires a token on every request: $CCO_SERVE_TOKEN, else a new one printed in the URL "
                 "(?token=…, then kept in a cookie)."}}});
  c.push_back({"statusline", "", {},
               "Claude Code's status line: model, costs, the active block, context and plan usage",
               "Claude Code's statusLine command (see the README for the settings.json snippet). Reads the JSON "
               "Claude Code pipes on stdin (session_id, model, cost, context_window, rate_limits; unknown fields "
               "are ignored, an empty or invalid payload is an empty one) and prints one line: model, context used, "
               "the plan's 5-hour and 7-day usage with their resets (when the payload has rate_limits), this "
               "session's cost, today's cost, the active billing block's cost, time left and burn rate, a usage "
               "limit in force with its reset time, and `cco watch not running` when no service holds the "
               "database. Colours by thresholds (NO_COLOR or --no-color: none). Reads the database read-only "
               "through its indexes, never a transcript; one process, no children; SIGTERM or SIGPIPE end it at "
               "once. Past its deadline it prints the last good line of the session (kept under "
               "$XDG_RUNTIME_DIR/cco, else beside the database) instead of waiting. Always exits 0 with a line, "
               "but for a bad flag (exit 2).",
               {Db(),
                {"tz", "ZONE", "Time zone of today and of reset times (default: the system zone)."},
                {"warn", "PERCENT", "Yellow from this percentage of context or plan usage on (default 50)."},
                {"critical", "PERCENT", "Red from this percentage on (default 80)."},
                {"no-color", "", "No colour (also when NO_COLOR is set)."},
                {"deadline-ms", "N", "Print the last good line after N ms instead of waiting (default 100)."}}});
  c.push_back({"top", "", {},
               "a live view: the active block, burn rate, cost by model, active sessions, tool errors",
               "A terminal view refreshed every second: the active billing block with a bar against the token "
               "limit and its projection, time left and burn rate; a usage limit in force with its reset time; "
               "tokens and cost by model for today (d), the last 7 days (w) or this month (m); sessions active in "
               "the last 10 minutes with their project and cost; recent tool errors. q (or Esc) quits. Resizes "
               "with the terminal; --no-color or NO_COLOR turns colour off. Reads the database read-only (rollups and indexes), "
               "so it costs milliseconds a refresh while the service writes.",
               {Db(),
                {"tz", "ZONE", "Time zone of days and clock times (default: the system zone)."},
                {"token-limit", "N", "Tokens allowed per block for the bar, or max (default: the most any completed block used)."},
                {"no-color", "", "No colour (also when NO_COLOR is set)."}}});
  c.push_back({"check", "", {},
               "verify the database against a recompute",
               "PRAGMA integrity_check (and every stored value decodes), PRAGMA foreign_key_check, FTS5's "
               "integrity-check of every full-text index (with the rank argument, so the index is compared with its "
               "content; it needs write access to the database and writes nothing), every followed file's "
               "read_position just after a newline of the file on disk (archived files and files changed since are "
               "skipped and counted), and every rollup and conversation stat compared with a recompute over the "
               "stored rows. A damaged file is named as such. Exit 0 only when all of them hold, else 1.",
               {Db(),
                {"sources", "",
                 "Also replay the transcripts that still exist into a temporary database and compare everything, "
                 "session by session."},
                Json("the verdict")}});
  // Search.
  const std::vector<std::string> kinds(std::begin(kMessageKinds), std::end(kMessageKinds));
  c.push_back({"search", "QUERY...", {},
               "find messages by their words: best or newest first, with a snippet",
               "Every message whose text holds all the words of QUERY (several arguments are joined by spaces), best "
               "match first (bm25) or newest first, each with its time, project, kind and session, a snippet with the "
               "words marked (coloured on a terminal unless NO_COLOR is set; between [ and ] otherwise), and the "
               "command that opens the conversation there (cco show SESSION --at UUID). Each word is searched as typed, "
               "so code needs no quoting: tail_reader.cc, src/x.cc, ERR_X77 and error: x find those texts "
               "(case and accents ignored); after --, words starting with - are words too (cco search -- --flag-x). Words in scripts written without spaces (Chinese, Japanese, Korean, Thai) "
               "are also found inside longer runs of text, each as the run of its characters. With --fts, QUERY is FTS5 "
               "syntax instead: \"a phrase\", prefix*, AND, OR, NOT, NEAR(a b, 10). A query that cannot be searched (FTS5 syntax it rejects, only "
               "punctuation, over 4096 bytes or 64 words, invalid UTF-8) is a usage error (exit 2). No match: an empty "
               "result and exit 0. --json prints {\"results\": [{uuid, session, project, timestamp, kind, snippet, "
               "rank}], \"total\": N} (rank: bm25, lower is better; total: every match, not only those shown). Reads "
               "through a read-only connection: works while the service writes. With --db postgresql://… the team "
               "server's messages are searched (as far as the role may read; plain words only, each a phrase, "
               "ranked by PostgreSQL's ts_rank_cd; no --fts or --kind there): the same shape, not necessarily the "
               "same matches (docs/team.md).",
               {{"db", "PATH|URL",
                 "The database (see cco help status), or a team server: postgresql://ROLE@HOST/DATABASE."},
                Repeatable({"user", "NAME", "Team server only: only this user's messages (repeatable)."}),
                Repeatable({"machine", "NAME", "Team server only: only this machine's messages (repeatable)."}),
                {"project", "NAME", "Only this project (as `cco report --project` matches it)."},
                {"session", "SESSION", "Only this session: its id or a unique prefix."},
                {"kind", "KIND",
                 absl::StrCat("Only messages of this kind (repeat it, or separate kinds with commas): ",
                              absl::StrJoin(kinds, ", "), "."),
                 kinds},
                {"since", "DATE", "Only messages from this day on (YYYY-MM-DD or YYYYMMDD, in --tz)."},
                {"until", "DATE", "Only messages up to the end of this day (YYYY-MM-DD or YYYYMMDD, in --tz)."},
                {"tz", "ZONE", "Time zone of the days and of the times shown (default: the system zone)."},
                {"newest", "", "Newest first instead of best match first (bm25; with no filter, over the newest "
                               "50,000 matches when there are more, as the output says)."},
                {"limit", "N", "Show at most N matches (1-1000, default 20)."},
                {"offset", "N", "Skip the first N matches (0-100000, default 0): the next page is --offset 20."},
                {"fts", "", "QUERY is FTS5 query syntax (phrases, prefix*, AND/OR/NOT, NEAR) instead of plain words."},
                Json("the matches")}});
  // Conversations and operations (show, export; backup, restore, optimize, forget).
  c.push_back({"show", "SESSION", {},
               "read a conversation in the terminal",
               "The conversation SESSION (its id, or a unique prefix of at least 4 characters) as text: prompts and "
               "responses in full; thinking, tool calls and tool results folded to one line each; sidechain lines "
               "marked, each agent's transcript after the main one under its own heading. Times in UTC. Paged through "
               "$PAGER (default less) when stdout is a terminal.",
               {Db(), {"at", "UUID", "Start at this message (its uuid, as `cco search` prints it); the earlier ones "
                                     "are counted, not shown. An unknown uuid is an error (exit 2)."}}});
  c.push_back({"export", "[SESSION]", {},
               "a session or a project as JSONL, Markdown or HTML",
               "Write the session SESSION (its id or a unique prefix), or with --project every session of a "
               "project, oldest first. jsonl gives the stored lines back byte-exact, each followed by a newline: the "
               "main transcript's lines in file order, then each agent transcript's, ordered by their first line's "
               "time; a line stored once under another file (a copy) is given from where it was stored, at its place; "
               "one copy of a transcript found under two roots. Left out, and counted on stderr: blank lines (never "
               "stored), a line over the max line size (only its first 64 KiB are stored), an earlier revision of a "
               "rewritten line (only its hash is kept), lines of an earlier generation of a file that was replaced. md "
               "and html are documents for people (the transcripts' text in code blocks or escaped; HTML "
               "self-contained, no script).",
               {Db(),
                {"project", "NAME", "Every session of this project (as `cco report --project` matches it)."},
                {"format", "FORMAT", "jsonl (default), md or html.", {"jsonl", "md", "html"}, true},
                {"output", "FILE", "Write to FILE (also -o FILE; replaced whole, through a temporary file) instead "
                                   "of stdout."}}});
  c.push_back({"backup", "DEST", {},
               "an online copy of the database, verified",
               "Copy the database to DEST while the service keeps writing (SQLite's backup API: one consistent "
               "snapshot), as a single self-contained file, verified with PRAGMA integrity_check before it is moved "
               "to DEST; nothing is left at DEST when it fails. An existing DEST is refused (exit 2) unless --force. "
               "The backup is recorded in <db>.backups, so that cco forget can name the copies that still hold what "
               "it removes.",
               {Db(),
                {"compress", "", "Write DEST as one zstd frame with its checksum (cco restore decompresses it)."},
                {"force", "", "Replace an existing DEST."},
                Json("the result")}});
  c.push_back({"restore", "SRC", {},
               "put a backup in place of the database",
               "Replace the database with the backup SRC (as cco backup writes it, compressed or not). Refused while "
               "a writer (cco watch, rescan, replay) holds the database (exit 3); its lock is held meanwhile. SRC is "
               "decompressed and verified (PRAGMA integrity_check, a cco schema this version reads) before anything "
               "changes; the current database (with its -wal) is renamed to <db>.before-restore-<UTC time> and kept; "
               "the copy is verified again in place, and the old database is put back if it fails.",
               {Db(), Json("the result")}});
  c.push_back({"optimize", "", {},
               "merge the full-text indexes, refresh statistics, checkpoint the WAL",
               "PRAGMA optimize (the query planner's statistics), FTS5's optimize of every full-text index (its "
               "segments merged into one), and a WAL checkpoint that truncates the -wal file when no reader holds "
               "it. Safe while the service runs: its writer waits for the moment each step takes. --json prints "
               "{db, fts, wal_frames, checkpointed, wal_busy, bytes, wal_bytes, vacuumed[, bytes_before]}.",
               {Db(),
                {"vacuum", "",
                 "Also VACUUM: rewrite the database without its free and part-empty pages, so the file shrinks "
                 "(after cco forget, or a migration that dropped an index). Needs free disk space about the "
                 "database's size; the service's writer waits until it is done (seconds per GB)."},
                Json("the result")}});
  c.push_back({"forget", "", {},
               "purge a session or a project, so that a rescan does not bring it back",
               "Remove every stored line of a session (--session: its id or a unique prefix) or of a project "
               "(--project: as cco report --project matches it, exactly one), for a secret pasted into a prompt. A "
               "tombstone keeps it out: the writer passes its lines over (counted as forgotten, so every line is "
               "still accounted for once), and a project's tombstone also keeps out its future sessions. Nothing of it "
               "stays in the database file: derived data rebuilt without it (as cco rederive), every full-text index "
               "merged, every compression dictionary (which may hold pieces of the lines it was trained on) replaced "
               "by one trained on what remains and the stored values re-encoded, secure_delete on, VACUUM, the WAL "
               "checkpointed and truncated. The backups cco backup made "
               "before are named: they still hold it. Refused while a writer runs (exit 3): stop the service first. "
               "--undo removes the tombstone and reads its transcripts again where they still exist, and names those "
               "that do not.",
               {Db(),
                {"session", "ID", "The session to forget (or, with --undo, to bring back)."},
                {"project", "NAME", "The project to forget (or, with --undo, to bring back)."},
                {"undo", "", "Bring it back from the transcripts that still exist (a session by the id or prefix the forget "
                                "took); every transcript with forgotten lines is read again, and those of the "
                                "target that no longer exist are named."},
                Json("the result")}});
  c.push_back({"rederive", "", {},
               "rebuild every derived table with this version's rules and prices",
               "Rebuild every derived table (usage winners, costs, rollups, tool executions, conversation stats) from "
               "the stored lines with this version's rules and prices, in one transaction verified like cco check; "
               "then name the models still without a price. Writing commands do it by themselves after an upgrade "
               "that changes a rule or a price.",
               {Db(), Json("the result")}});
  // The team server (docs/team.md).
  c.push_back({"push", "", {},
               "copy this database's rows to a team's PostgreSQL server",
               "Copy every row committed since the last push (projects, conversations, messages with their raw "
               "lines, events, tool executions, usage) into the team server, in batches, exactly once: each server "
               "transaction holds a batch and this machine's high-water mark, so a push stopped at any moment "
               "continues where it stopped. Revisions and deletions follow. Runs beside a writer (the local commit "
               "never waits). Credentials come from the URL, PGPASSFILE (~/.pgpass) or PGPASSWORD, and are never "
               "stored or printed. --usage-only and --exclude-project are remembered for the server and enforced "
               "on every later push to it (cco status shows them); given after rows were pushed, they take back "
               "what the server holds of this machine first (its text, or the project's rows). See docs/team.md.",
               {{"to", "URL", "The server: postgresql://ROLE@HOST[:PORT]/DATABASE (required)."},
                Db(),
                {"machine", "NAME", "The machine name to push as, when the server registers several for this role."},
                {"usage-only", "", "Send usage, tool executions and metadata only: no message text, raw lines, "
                                   "titles or tool input/output."},
                PushExclude(),
                {"batch-rows", "N", "Rows per server transaction (default 5000)."},
                Json("the result")}});
  c.push_back({"team-init", "", {},
               "create or upgrade the team server's schema",
               "Apply the team server's schema migrations (tables, roles cco_machine, cco_member and cco_lead, "
               "row-level security) as the database's owner; run once, and again after upgrading cco. Checksummed: "
               "a changed applied migration is refused. See docs/team.md.",
               {{"db", "URL", "The server: postgresql://OWNER@HOST[:PORT]/DATABASE (required)."}}});
  c.push_back({"help", "[COMMAND]", {},
               "this help, or a command's",
               "Without COMMAND, the list of commands; with one, its arguments and every option (the same as "
               "`cco COMMAND --help`).",
               {}});
  c.push_back({"completion", "SHELL", {"bash", "zsh"},
               "print a shell completion script",
               "SHELL is bash or zsh. The set-up (.ci/setup) installs both; by hand: `cco completion bash > "
               "~/.local/share/bash-completion/completions/cco`, or `cco completion zsh > _cco` in a directory of "
               "zsh's $fpath.",
               {}});
  c.push_back({"man", "", {},
               "print the manual page (roff)",
               "Print this manual as a man(7) page; the build writes it to build/cco.1 and the set-up installs it. "
               "Read it without installing: `cco man | man -l -`.",
               {}});
  c.push_back({"version", "", {}, "print the version", "Print cco's version.", {}});
  return c;
}

std::string Wrap(const std::string& text, size_t indent, size_t width) {
  std::string out;
  const std::string pad(indent, ' ');
  bool first_paragraph = true;
  for (absl::string_view paragraph : absl::StrSplit(text, "\n\n")) {
    if (!first_paragraph) out += "\n";
    first_paragraph = false;
    std::string line = pad;
    for (absl::string_view word : absl::StrSplit(paragraph, ' ', absl::SkipEmpty())) {
      if (line.size() > indent && line.size() + 1 + word.size() > width) {
        out += line + "\n";
        line = pad;
      }
      if (line.size() > indent) line += ' ';
      absl::StrAppend(&line, word);
    }
    out += line + "\n";
  }
  return out;
}

// `prefix` then `text` wrapped with every line indented by `indent` (the
// prefix padded to it, or alone on its line when longer).
std::string Hanging(const std::string& prefix, const std::string& text, size_t indent, size_t width) {
  std::string body = Wrap(text, indent, width);
  if (prefix.size() + 1 > indent) return prefix + "\n" + body;
  return prefix + std::string(indent - prefix.size(), ' ') + body.substr(indent);
}

std::string FlagLabel(const FlagHelp& f) {
  std::string label = absl::StrCat("--", f.name);
  if (!f.value.empty()) absl::StrAppend(&label, " ", f.value);
  if (f.repeatable) absl::StrAppend(&label, "...");
  return label;
}

std::string Synopsis(const CommandHelp& c) {
  std::string s = absl::StrCat("cco ", c.name);
  if (!c.arguments.empty()) absl::StrAppend(&s, " ", c.arguments);
  for (const FlagHelp& f : c.flags) absl::StrAppend(&s, " [", FlagLabel(f), "]");
  return s;
}

std::string FlagList(const std::vector<FlagHelp>& flags) {
  std::string out;
  for (const FlagHelp& f : flags) {
    out += "  " + FlagLabel(f) + "\n";
    out += Wrap(f.text, 6, 78);
  }
  return out;
}

constexpr char kDates[] = "Dates (--since, --until): YYYY-MM-DD or YYYYMMDD, a day in the report's time zone.";

constexpr char kEnvironment[] =
    "CCO_DB       the database, when --db is not given\n"
    "CCO_LOG      log level, when --log-level is not given\n"
    "CLAUDE_CONFIG_DIR  Claude Code's configuration directories (comma-separated)\n"
    "XDG_CONFIG_HOME, XDG_DATA_HOME, HOME  where the default roots and database are\n"
    "TZ           the reports' default time zone (else /etc/localtime)\n"
    "NO_COLOR     no colour in tables, even on a terminal\n"
    "COLUMNS      the width of tables when stdout is not a terminal\n"
    "CCO_NOW      the time taken as now by report blocks, statusline and top (ISO 8601 or ms since the epoch; for tests)\n";

}  // namespace

const std::vector<CommandHelp>& Commands() {
  static const std::vector<CommandHelp>* commands = new std::vector<CommandHelp>(BuildCommands());
  return *commands;
}

const CommandHelp* FindCommand(const std::string& name) {
  for (const CommandHelp& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const std::vector<FlagHelp>& CommonFlags() {
  static const std::vector<FlagHelp>* flags = new std::vector<FlagHelp>{
      {"log-level", "LEVEL", "Log level on stderr (default warn; env CCO_LOG). Taken by every command.",
       {"trace", "debug", "info", "warn", "error", "off"}, true},
      {"help", "", "This command's help (also -h, and `cco help COMMAND`)."}};
  return *flags;
}

const std::vector<ExitCodeHelp>& ExitCodes() {
  static const std::vector<ExitCodeHelp>* codes = new std::vector<ExitCodeHelp>{
      {kExitOk, "ok (quarantined lines included; a report with no usage in its range too)"},
      {kExitFailure,
       "failure (among them: not a cco database, a database written by a newer cco, one that needs a migration, a "
       "check that found differences, an I/O error)"},
      {kExitUsage,
       "usage error: an unknown command, flag or flag value, a missing root or a directory that is not one, no database where a reader looks, a "
       "--db that is a directory or whose directory does not exist, an invalid time zone or date range, a project "
       "that matches nothing"},
      {kExitLocked, "the database is in use by another cco writer (its pid is named)"},
      {kExitInterrupted, "interrupted by Ctrl-C (SIGINT) or SIGTERM: what was read is committed; run it again to "
                         "continue"}};
  return *codes;
}

FlagSpec FlagsFor(const std::string& command) {
  const CommandHelp* c = FindCommand(command);
  FlagSpec spec;
  if (c == nullptr) return spec;
  for (const FlagHelp& f : c->flags) {
    (f.value.empty() ? spec.bool_flags : spec.value_flags).push_back(f.name);
    if (f.strict) spec.choices[f.name] = f.choices;
  }
  // "QUERY..." takes any number of arguments.
  spec.max_positional = c->arguments.empty() ? 0 : absl::EndsWith(c->arguments, "...") ? 1024 : 1;
  return spec;
}

std::string GlobalHelp() {
  std::string out =
      "cco — Claude Code Observatory: keeps a SQLite database in step with\n"
      "Claude Code transcripts (~/.claude/projects/**/*.jsonl), exactly once.\n\n"
      "Usage: cco COMMAND [ARGUMENTS] [OPTIONS]\n"
      "       cco help COMMAND (or cco COMMAND --help) for a command's options\n\n"
      "Commands:\n";
  for (const CommandHelp& c : Commands()) {
    std::string head = c.name + (c.arguments.empty() ? "" : " " + c.arguments);
    out += absl::StrCat("  ", head, std::string(head.size() < 18 ? 18 - head.size() : 1, ' '), c.summary, "\n");
  }
  out += "\nOptions of every command:\n" + FlagList(CommonFlags());
  out += "\n" + Wrap(kDates, 0, 78);
  out += "\nEnvironment:\n";
  for (absl::string_view line : absl::StrSplit(kEnvironment, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  out += "\nExit codes:\n";
  for (const ExitCodeHelp& e : ExitCodes()) out += Hanging(absl::StrCat("  ", e.code), e.meaning, 7, 78);
  return out;
}

std::string CommandHelpText(const CommandHelp& c) {
  std::string out = Hanging("Usage:", Synopsis(c), 7, 78);
  out += "\n" + Wrap(c.description, 2, 78);
  if (!c.flags.empty()) out += "\nOptions:\n" + FlagList(c.flags);
  out += "\nOptions of every command:\n" + FlagList(CommonFlags());
  if (c.name == "report") out += "\n" + Wrap(kDates, 0, 78);
  out += "\nExit codes:";
  for (const ExitCodeHelp& e : ExitCodes()) absl::StrAppend(&out, " ", e.code);
  out += " (see cco --help).\n";
  return out;
}

namespace {

// Text with roff's special characters escaped; `code` spans (`…`) bold.
std::string Roff(const std::string& text) {
  std::string s = absl::StrReplaceAll(text, {{"\\", "\\e"}, {"-", "\\-"}});
  std::string out;
  bool bold = false;
  for (char ch : s) {
    if (ch == '`') {
      out += bold ? "\\fR" : "\\fB";
      bold = !bold;
    } else {
      out += ch;
    }
  }
  // A line starting with '.' or '\'' would be a request.
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string RoffParagraphs(const std::string& text) {
  std::string out;
  for (absl::string_view p : absl::StrSplit(text, "\n\n")) out += ".PP\n" + Roff(std::string(p)) + "\n";
  return out;
}

std::string RoffFlags(const std::vector<FlagHelp>& flags) {
  std::string out;
  for (const FlagHelp& f : flags) {
    out += ".TP\n\\fB" + Roff("--" + f.name) + "\\fR";
    if (!f.value.empty()) out += " \\fI" + Roff(f.value) + "\\fR";
    if (f.repeatable) out += "...";
    out += "\n" + Roff(f.text) + "\n";
  }
  return out;
}

}  // namespace

std::string ManPage() {
  std::string out = absl::StrCat(".TH CCO 1 \"\" \"cco ", CCO_VERSION, "\" \"User Commands\"\n");
  out += ".SH NAME\ncco \\- Claude Code Observatory: keeps a SQLite database in step with Claude Code transcripts\n";
  out += ".SH SYNOPSIS\n";
  for (const CommandHelp& c : Commands()) out += ".br\n" + Roff(Synopsis(c)) + "\n";
  out += ".SH DESCRIPTION\n" +
         RoffParagraphs("cco keeps a SQLite database in step with Claude Code's JSONL transcripts "
                        "(~/.claude/projects/**/*.jsonl): every complete line of every transcript is committed exactly "
                        "once, with derived token, cost and tool data, so the history outlives the transcripts and "
                        "reports take milliseconds.");
  out += ".SH COMMANDS\n";
  for (const CommandHelp& c : Commands()) {
    out += ".SS \"" + Roff(c.name + (c.arguments.empty() ? "" : " " + c.arguments)) + "\"\n";
    out += Roff(c.summary) + ".\n" + RoffParagraphs(c.description);
    if (!c.flags.empty()) out += RoffFlags(c.flags);
  }
  out += ".SH OPTIONS\nTaken by every command:\n" + RoffFlags(CommonFlags());
  out += ".SH DATES\n" + Roff(kDates) + "\n";
  out += ".SH ENVIRONMENT\n";
  for (absl::string_view line : absl::StrSplit(kEnvironment, '\n', absl::SkipEmpty())) {
    const size_t gap = line.find("  ");
    out += ".TP\n\\fB" + Roff(std::string(line.substr(0, gap))) + "\\fR\n" +
           Roff(std::string(absl::StripLeadingAsciiWhitespace(line.substr(gap)))) + "\n";
  }
  out += ".SH EXIT STATUS\n";
  for (const ExitCodeHelp& e : ExitCodes()) out += absl::StrCat(".TP\n\\fB", e.code, "\\fR\n", Roff(e.meaning), "\n");
  out += ".SH FILES\n.TP\n\\fI~/.local/share/cco/cco.db\\fR\nThe default database; "
         "\\fIcco.db.lock\\fR beside it holds the writer's pid.\n"
         ".SH SEE ALSO\n\\fBsqlite3\\fR(1), \\fBsystemd.service\\fR(5); the project's docs/schema.md (the "
         "database), docs/service.md (the service).\n";
  return out;
}

std::string CompletionScript(const std::string& shell) {
  // Per command: its flags, and the values of flags and arguments with
  // choices.
  if (shell == "bash") {
    std::string out =
        "# bash completion for cco (generated by `cco completion bash`)\n"
        "_cco() {\n"
        "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=${COMP_WORDS[1]}\n"
        "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
        "    COMPREPLY=($(compgen -W \"";
    std::vector<std::string> names;
    for (const CommandHelp& c : Commands()) names.push_back(c.name);
    out += absl::StrJoin(names, " ") + " --help --version --rescan\" -- \"$cur\"))\n    return\n  fi\n";
    out += "  case \"$prev\" in\n";
    out += "    --db|--root) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    out += "    --log-level) COMPREPLY=($(compgen -W \"" + absl::StrJoin(CommonFlags()[0].choices, " ") +
           "\" -- \"$cur\")); return ;;\n";
    for (const CommandHelp& c : Commands()) {
      for (const FlagHelp& f : c.flags) {
        if (f.choices.empty()) continue;
        out += "    --" + f.name + ") COMPREPLY=($(compgen -W \"" + absl::StrJoin(f.choices, " ") +
               "\" -- \"$cur\")); return ;;\n";
      }
    }
    // A word starting with '-' completes flags, any other the command's
    // argument.
    out += "  esac\n  case \"$cmd:$cur\" in\n";
    for (const CommandHelp& c : Commands()) {
      std::vector<std::string> flags;
      for (const FlagHelp& f : c.flags) flags.push_back("--" + f.name);
      for (const FlagHelp& f : CommonFlags()) flags.push_back("--" + f.name);
      out += "    " + c.name + ":-*) COMPREPLY=($(compgen -W \"" + absl::StrJoin(flags, " ") + "\" -- \"$cur\")) ;;\n";
      std::vector<std::string> words = c.argument_choices;
      if (c.name == "help") {
        for (const CommandHelp& other : Commands()) words.push_back(other.name);
      }
      if (!words.empty()) {
        out += "    " + c.name + ":*) COMPREPLY=($(compgen -W \"" + absl::StrJoin(words, " ") + "\" -- \"$cur\")) ;;\n";
      } else if (c.arguments == "DIR") {
        out += "    " + c.name + ":*) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n";
      }
    }
    out += "  esac\n}\ncomplete -F _cco cco\n";
    return out;
  }
  if (shell == "zsh") {
    std::string out =
        "#compdef cco\n# zsh completion for cco (generated by `cco completion zsh`)\n"
        "_cco() {\n  local -a commands\n  commands=(\n";
    for (const CommandHelp& c : Commands()) {
      out += "    '" + c.name + ":" + absl::StrReplaceAll(c.summary, {{"'", "'\\''"}, {":", "\\:"}}) + "'\n";
    }
    out += "  )\n  if (( CURRENT == 2 )); then\n    _describe 'command' commands\n    return\n  fi\n";
    out += "  case $words[2] in\n";
    auto zsh_flag = [](const FlagHelp& f) {
      std::string text = absl::StrReplaceAll(f.text.substr(0, f.text.find(". ")),
                                             {{"'", "'\\''"}, {"[", "("}, {"]", ")"}, {":", "-"}});
      std::string spec = absl::StrCat(f.repeatable ? "*" : "", "'--", f.name, "[", text, "]");
      if (!f.value.empty()) {
        if (!f.choices.empty()) {
          absl::StrAppend(&spec, ":", f.value, ":(", absl::StrJoin(f.choices, " "), ")");
        } else if (f.value == "PATH" || f.value == "DIR") {
          absl::StrAppend(&spec, ":", f.value, ":_files");
        } else {
          absl::StrAppend(&spec, ":", f.value, ": ");
        }
      }
      return spec + "'";
    };
    for (const CommandHelp& c : Commands()) {
      out += "    " + c.name + ")\n      _arguments";
      for (const FlagHelp& f : c.flags) out += " \\\n        " + zsh_flag(f);
      for (const FlagHelp& f : CommonFlags()) out += " \\\n        " + zsh_flag(f);
      if (!c.argument_choices.empty()) {
        out += " \\\n        '1:" + c.arguments + ":(" + absl::StrJoin(c.argument_choices, " ") + ")'";
      } else if (c.name == "help") {
        std::vector<std::string> names;
        for (const CommandHelp& other : Commands()) names.push_back(other.name);
        out += " \\\n        '1:command:(" + absl::StrJoin(names, " ") + ")'";
      } else if (c.arguments == "DIR") {
        out += " \\\n        '1:directory:_files -/'";
      }
      out += "\n      ;;\n";
    }
    out += "  esac\n}\n_cco \"$@\"\n";
    return out;
  }
  return "";
}

}  // namespace cco
