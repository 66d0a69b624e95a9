#include "src/stored_lines.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/status.h"

namespace cco {

absl::StatusOr<std::vector<StoredLine>> StoredLinesOfFile(Db& db, int64_t file_id) {
  ASSIGN_OR_RETURN(Stmt gen, db.Prepare("SELECT generation FROM files WHERE id = ?1"));
  gen.Bind(1, file_id);
  ASSIGN_OR_RETURN(bool row, gen.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no file with id ", file_id));
  const int64_t generation = gen.ColumnInt(0);
  gen.Reset();

  // Rows stored from this file, and duplicates resolved by hash to the row
  // of their kind that holds the same bytes.
  ASSIGN_OR_RETURN(
      Stmt s,
      db.Prepare("SELECT byte_offset, CAST(cco_raw(raw) AS BLOB), 0 FROM messages"
                 " WHERE file_id = ?1 AND generation = ?2"
                 " UNION ALL SELECT byte_offset, CAST(cco_raw(raw) AS BLOB), 0 FROM events"
                 " WHERE file_id = ?1 AND generation = ?2"
                 " UNION ALL SELECT byte_offset, CAST(cco_raw(raw) AS BLOB), raw_truncated FROM quarantine"
                 " WHERE file_id = ?1 AND generation = ?2"
                 " UNION ALL SELECT d.byte_offset, CAST(cco_raw(CASE d.kind"
                 "   WHEN 'message' THEN (SELECT raw FROM messages m WHERE m.line_hash = d.line_hash LIMIT 1)"
                 "   WHEN 'event' THEN (SELECT raw FROM events e WHERE e.line_hash = d.line_hash LIMIT 1)"
                 "   ELSE (SELECT raw FROM quarantine q WHERE q.line_hash = d.line_hash LIMIT 1) END) AS BLOB),"
                 "   (SELECT raw_truncated FROM quarantine q WHERE d.kind = 'quarantine'"
                 "    AND q.line_hash = d.line_hash LIMIT 1)"
                 " FROM duplicates d WHERE d.file_id = ?1 AND d.generation = ?2"
                 " ORDER BY 1"));
  s.Bind(1, file_id).Bind(2, generation);
  std::vector<StoredLine> out;
  RETURN_IF_ERROR(s.ForEachRow([&out](const Stmt& r) {
    StoredLine line;
    line.byte_offset = r.ColumnInt(0);
    line.found = !r.ColumnIsNull(1);
    line.bytes = r.ColumnBlob(1);
    line.truncated = r.ColumnInt(2) != 0;
    out.push_back(std::move(line));
    return true;
  }));
  return out;
}

}  // namespace cco
