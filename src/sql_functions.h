// SQL functions that read cco's stored values. Registered on every
// connection cco opens (sqlite.cc), and built into the loadable extension
// (`.load libcco_sqlite` in the sqlite3 shell, or Datasette's
// --load-extension), so the database stays readable with plain SQL.
//
// Stored value encoding (messages.raw, messages.content, events.raw,
// quarantine.raw; see docs/schema.md "Compression"):
//   TEXT  the bytes as they are (rows written before a dictionary existed,
//         or values that compression would not shrink);
//   BLOB  one zstd frame. Its header names the dictionary it was compressed
//         with (zstd_dictionaries.id; 0 = none) and the decompressed size.
//
//   cco_raw(value)   the stored bytes, as TEXT (byte-exact: a quarantined
//                    line's invalid UTF-8 is returned as it was read)
//   cco_text(value)  the same function under the name that reads better for
//                    searchable text (messages.content)
// NULL gives NULL; a TEXT or numeric value is returned as it is. A BLOB that
// is not a zstd frame, names a dictionary the database does not hold, or
// would decompress past 1 GiB is an SQL error naming the cause.
//
//   cco_word_text(text)  the text as the word index messages_fts tokenizes
//                    it: each character of a script written without spaces
//                    set apart by U+200B (SplitUnspacedScript,
//                    src/message_kind.h); any other value as it is.
//
// FTS5 auxiliary functions of the word index (messages_fts):
//   cco_bm25_factor(messages_fts)  for a query of one phrase, bm25()'s
//                    per-row factor without the phrase's IDF, so that
//                    -(0.0 + idf * factor) equals bm25() (the search computes
//                    the IDF from the matches it counted, and spares FTS5
//                    evaluating the phrase a second time for it); NULL for
//                    a query of more phrases.
//   cco_fts_rows(messages_fts)  the rows of the index (bm25's N).
//
//   cco_fts_deferred()  0: read by the insert trigger of messages in
//                    databases before migration 0028 (schema/0016, 0024),
//                    which indexes the rows inserted there row by row.
#ifndef CCO_SRC_SQL_FUNCTIONS_H_
#define CCO_SRC_SQL_FUNCTIONS_H_

struct sqlite3;

namespace cco {

// Returns an SQLite result code (SQLITE_OK on success).
int RegisterSqlFunctions(sqlite3* db);

}  // namespace cco

#endif  // CCO_SRC_SQL_FUNCTIONS_H_
