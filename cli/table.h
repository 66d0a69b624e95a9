// Text tables for the terminal: columns sized to their content, fitted to
// the terminal's width (a compact set of columns when the full set does not
// fit, then the widest text columns cut with "…"), colour on a terminal.
//
// Widths are counted in code points (UTF-8), one column each: wide CJK
// characters make a row longer than counted.
#ifndef CCO_CLI_TABLE_H_
#define CCO_CLI_TABLE_H_

#include <string>
#include <vector>

namespace cco {

struct TableColumn {
  std::string header;
  bool right = false;         // numbers: right-aligned
  bool compact = true;        // kept in the compact form
  bool shrinkable = false;    // may be cut with "…" to fit the width
  bool cut_left = false;      // cut at the start ("…src/app"), for paths
};

struct TableStyle {
  int width = 0;          // columns available; 0: unlimited
  bool compact = false;   // only the compact columns, whatever the width
  bool color = false;     // ANSI bold header and totals, dim sub-rows
};

// How cco prints to stdout here: the width of the terminal (TIOCGWINSZ on
// stdout), else $COLUMNS, else unlimited (a pipe); colour when stdout is a
// terminal and NO_COLOR is unset or empty (https://no-color.org).
TableStyle StdoutStyle(bool compact);

// Code points of `s` (UTF-8).
size_t DisplayWidth(const std::string& s);

class Table {
 public:
  enum class RowKind { kNormal, kSub, kTotal };

  explicit Table(std::vector<TableColumn> columns) : columns_(std::move(columns)) {}
  // One cell per column; a cell may hold several lines ("\n"), the row is
  // then as tall as its tallest cell.
  void AddRow(std::vector<std::string> cells, RowKind kind = RowKind::kNormal);
  bool empty() const { return rows_.empty(); }
  // The table, each line ending in "\n": header, a rule, the rows (a rule
  // before each totals row).
  std::string Render(const TableStyle& style) const;

 private:
  struct Row {
    std::vector<std::string> cells;
    RowKind kind;
  };
  std::vector<TableColumn> columns_;
  std::vector<Row> rows_;
};

}  // namespace cco

#endif  // CCO_CLI_TABLE_H_
