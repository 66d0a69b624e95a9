// limit_loop: what SQLite itself can do with cco's searchable texts — the
// "limit" that `cco rescan` is compared with by bench/run.
//
//   limit_loop --tree DIR --schema-db CCO_DB --work DIR
//
// 1. Untimed: reads every *.jsonl below DIR with cco's own LineParser and
//    spools, for every line, its length and (for a line that becomes a
//    messages row) its searchable text, to WORK/texts.bin. Parsing here
//    keeps the program independent of how the database stores text.
// 2. Reads the declaration of messages_fts from CCO_DB (the database `cco`
//    just built), so the word index below has the same columns, tokenizer
//    and options (prefix indexes included) as the schema of the day.
// 3. Timed: opens WORK/limit.db through cco's own Db::Open (the same
//    pragmas as cco's writer: WAL, synchronous=NORMAL, page cache, …),
//    and inserts each text with two prepared statements (a plain table and
//    its external-content FTS5 index), in transactions that close at the
//    same bounds as cco's writer (WriterOptions: records and line bytes per
//    batch). The time ends after the connection is closed (its final
//    checkpoint included).
//
// Prints one JSON object on stdout: the parameters and the figures.
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "ingest/line_parser.h"
#include "src/sqlite.h"
#include "src/writer.h"

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kNoText = 0xffffffffu;  // a line that is no messages row

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "limit_loop: %s\n", msg.c_str());
  std::exit(1);
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) Die(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

struct Spooled {
  int64_t lines = 0;
  int64_t messages = 0;
  int64_t text_bytes = 0;
  int64_t line_bytes = 0;
};

void Put32(std::ofstream& out, uint32_t v) { out.write(reinterpret_cast<const char*>(&v), sizeof(v)); }

// Every non-blank line of every transcript, in path order.
Spooled Spool(const std::string& tree, const std::string& path) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(tree)) {
    if (e.is_regular_file() && e.path().extension() == ".jsonl") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) Die("cannot write " + path);
  cco::LineParser parser;
  Spooled s;
  std::string line;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    int64_t offset = 0;
    while (std::getline(in, line)) {
      const int64_t start = offset;
      offset += static_cast<int64_t>(line.size()) + 1;
      std::string_view v(line);
      if (v.size() >= 3 && v.substr(0, 3) == "\xEF\xBB\xBF") v.remove_prefix(3);
      if (v.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      cco::LineRecord rec = parser.Parse(v, start);
      ++s.lines;
      s.line_bytes += static_cast<int64_t>(line.size()) + 1;
      Put32(out, static_cast<uint32_t>(line.size() + 1));
      if (rec.kind != cco::RecordKind::kMessage) {
        Put32(out, kNoText);
        continue;
      }
      ++s.messages;
      s.text_bytes += static_cast<int64_t>(rec.content.size());
      Put32(out, static_cast<uint32_t>(rec.content.size()));
      out.write(rec.content.data(), static_cast<std::streamsize>(rec.content.size()));
    }
  }
  if (!out.flush()) Die("cannot write " + path);
  return s;
}

// The arguments of a CREATE VIRTUAL TABLE … USING fts5(…), split at the
// top-level commas (quotes respected).
std::vector<std::string> Fts5Arguments(const std::string& sql) {
  const size_t open = sql.find('(');
  const size_t close = sql.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) Die("cannot parse: " + sql);
  std::vector<std::string> args;
  std::string cur;
  char quote = 0;
  for (size_t i = open + 1; i < close; ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      cur += c;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      cur += c;
    } else if (c == ',') {
      args.emplace_back(absl::StripAsciiWhitespace(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!absl::StripAsciiWhitespace(cur).empty()) args.emplace_back(absl::StripAsciiWhitespace(cur));
  return args;
}

// CPU time of this process (it has one thread), in seconds.
double CpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tree, schema_db, work;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--tree") tree = next();
    else if (a == "--schema-db") schema_db = next();
    else if (a == "--work") work = next();
    else Die("usage: limit_loop --tree DIR --schema-db CCO_DB --work DIR");
  }
  if (tree.empty() || schema_db.empty() || work.empty()) Die("usage: limit_loop --tree DIR --schema-db CCO_DB --work DIR");
  fs::create_directories(work);

  // 2. The word index as cco declares it today.
  std::string fts_sql;
  {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(schema_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) Die("open " + schema_db);
    sqlite3_stmt* s = nullptr;
    Check(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'", -1, &s, nullptr), db,
          "read schema");
    if (sqlite3_step(s) == SQLITE_ROW) fts_sql = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (fts_sql.empty()) Die("no messages_fts in " + schema_db);
  }
  std::vector<std::string> columns, options;
  for (const std::string& arg : Fts5Arguments(fts_sql)) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      columns.push_back(arg);
      continue;
    }
    const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(arg.substr(0, eq)));
    // The content table is this program's own plain table.
    if (key == "content" || key == "content_rowid") continue;
    options.push_back(arg);
  }
  if (columns.empty()) Die("no column in " + fts_sql);
  std::vector<std::string> names;  // column names without UNINDEXED
  for (const std::string& c : columns) names.push_back(c.substr(0, c.find_first_of(" \t")));

  // 1. The texts.
  const std::string spool = work + "/texts.bin";
  const Spooled spooled = Spool(tree, spool);

  // 3. The loop.
  const std::string db_path = work + "/limit.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path + suffix);
  const cco::WriterOptions batch;  // cco's writer defaults: the same transaction bounds
  std::string index_sql;
  std::string table_sql = absl::StrCat("CREATE TABLE messages (id INTEGER PRIMARY KEY, ", names[0], " TEXT NOT NULL");
  for (size_t i = 1; i < names.size(); ++i) absl::StrAppend(&table_sql, ", ", names[i], " TEXT");
  table_sql += ")";
  index_sql = absl::StrCat("CREATE VIRTUAL TABLE messages_fts USING fts5(", absl::StrJoin(columns, ", "),
                           ", content='messages', content_rowid='id'",
                           options.empty() ? "" : ", ", absl::StrJoin(options, ", "), ")");
  int64_t cache_size = 0;
  std::string journal_mode, synchronous;
  double seconds = 0, cpu_seconds = 0;
  int64_t batches = 0;
  {
    auto opened = cco::Db::Open(db_path, cco::Db::Mode::kReadWrite);
    if (!opened.ok()) Die(std::string(opened.status().message()));
    std::optional<cco::Db> db(std::move(*opened));
    sqlite3* h = db->get();
    Check(sqlite3_exec(h, table_sql.c_str(), nullptr, nullptr, nullptr), h, "create table");
    Check(sqlite3_exec(h, index_sql.c_str(), nullptr, nullptr, nullptr), h, "create fts");
    auto pragma = [h](const char* sql) {
      sqlite3_stmt* s = nullptr;
      Check(sqlite3_prepare_v2(h, sql, -1, &s, nullptr), h, sql);
      std::string v;
      if (sqlite3_step(s) == SQLITE_ROW) v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      sqlite3_finalize(s);
      return v;
    };
    journal_mode = pragma("PRAGMA journal_mode");
    synchronous = pragma("PRAGMA synchronous");  // 1 = NORMAL
    cache_size = std::atoll(pragma("PRAGMA cache_size").c_str());

    sqlite3_stmt* row = nullptr;
    sqlite3_stmt* fts = nullptr;
    Check(sqlite3_prepare_v3(h, absl::StrCat("INSERT INTO messages (id, ", names[0], ") VALUES (?1, ?2)").c_str(), -1,
                             SQLITE_PREPARE_PERSISTENT, &row, nullptr), h, "prepare insert");
    Check(sqlite3_prepare_v3(h, absl::StrCat("INSERT INTO messages_fts (rowid, ", names[0], ") VALUES (?1, ?2)").c_str(),
                             -1, SQLITE_PREPARE_PERSISTENT, &fts, nullptr), h, "prepare fts insert");
    std::ifstream in(spool, std::ios::binary);
    std::string text;
    int64_t id = 0;
    size_t records = 0;
    int64_t bytes = 0;
    bool open = false;
    auto get32 = [&in](uint32_t* v) { return static_cast<bool>(in.read(reinterpret_cast<char*>(v), sizeof(*v))); };
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    uint32_t line_len = 0, text_len = 0;
    while (get32(&line_len) && get32(&text_len)) {
      if (!open) {
        Check(sqlite3_exec(h, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), h, "begin");
        open = true;
      }
      ++records;
      bytes += line_len;
      if (text_len != kNoText) {
        text.resize(text_len);
        in.read(text.data(), text_len);
        ++id;
        for (sqlite3_stmt* s : {row, fts}) {
          sqlite3_bind_int64(s, 1, id);
          sqlite3_bind_text(s, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
          Check(sqlite3_step(s), h, "insert");
          sqlite3_reset(s);
        }
      }
      if (records >= batch.max_batch_records || bytes >= batch.max_batch_bytes) {
        Check(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr), h, "commit");
        ++batches;
        open = false;
        records = 0;
        bytes = 0;
      }
    }
    if (open) {
      Check(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr), h, "commit");
      ++batches;
    }
    sqlite3_finalize(row);
    sqlite3_finalize(fts);
    db.reset();  // close: the final checkpoint is part of the work
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_seconds = CpuSeconds() - cpu_start;
  }
  int64_t db_bytes = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const auto n = fs::file_size(db_path + suffix, ec);
    if (!ec) db_bytes += static_cast<int64_t>(n);
  }
  fs::remove(spool);
  std::printf(
      "{\"messages\":%lld,\"lines\":%lld,\"text_bytes\":%lld,\"line_bytes\":%lld,\"seconds\":%.3f,\"cpu_s\":%.3f,"
      "\"messages_per_s\":%.1f,\"batches\":%lld,\"batch_records\":%zu,\"batch_line_bytes\":%lld,"
      "\"journal_mode\":%s,\"synchronous\":%s,\"cache_size\":%lld,\"fts\":%s,\"db_bytes\":%lld}\n",
      static_cast<long long>(spooled.messages), static_cast<long long>(spooled.lines),
      static_cast<long long>(spooled.text_bytes), static_cast<long long>(spooled.line_bytes), seconds, cpu_seconds,
      seconds > 0 ? static_cast<double>(spooled.messages) / seconds : 0.0, static_cast<long long>(batches),
      batch.max_batch_records, static_cast<long long>(batch.max_batch_bytes), JsonString(journal_mode).c_str(),
      JsonString(synchronous == "1" ? "NORMAL" : synchronous).c_str(), static_cast<long long>(cache_size),
      JsonString(index_sql).c_str(), static_cast<long long>(db_bytes));
  return 0;
}
