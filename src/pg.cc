#include "src/pg.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <mutex>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/status.h"

namespace cco {

namespace {

// libpq, loaded on the first connection rather than linked: linking it
// makes every run of cco load and initialise libpq's TLS, Kerberos and LDAP
// libraries first (5 ms of a report's 14 ms), which only the team server
// needs. The header gives the signatures; the functions come from the
// shared library the package libpq5 installs.
struct LibPq {
  decltype(&PQclear) clear;
  decltype(&PQcmdTuples) cmd_tuples;
  decltype(&PQconnectdbParams) connectdb_params;
  decltype(&PQerrorMessage) error_message;
  decltype(&PQexec) exec;
  decltype(&PQexecParams) exec_params;
  decltype(&PQfinish) finish;
  decltype(&PQfreemem) freemem;
  decltype(&PQgetResult) get_result;
  decltype(&PQgetisnull) getisnull;
  decltype(&PQgetlength) getlength;
  decltype(&PQgetvalue) getvalue;
  decltype(&PQntuples) ntuples;
  decltype(&PQputCopyData) put_copy_data;
  decltype(&PQputCopyEnd) put_copy_end;
  decltype(&PQresultStatus) result_status;
  decltype(&PQsetNoticeProcessor) set_notice_processor;
  decltype(&PQstatus) status;
  decltype(&PQunescapeBytea) unescape_bytea;
};

// Loads libpq once. FailedPrecondition naming the library when it is
// missing or lacks a function.
absl::StatusOr<const LibPq*> LoadLibPq() {
  static LibPq lib;
  static absl::Status status = absl::OkStatus();
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "a team server needs PostgreSQL's client library libpq.so.5 (Debian: apt install libpq5): ", dlerror()));
      return;
    }
    auto load = [&](auto& fn, const char* name) {
      void* sym = dlsym(handle, name);
      if (sym == nullptr && status.ok()) {
        status = absl::FailedPreconditionError(absl::StrCat("libpq.so.5 lacks ", name, ": too old a libpq"));
      }
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
    };
    load(lib.clear, "PQclear");
    load(lib.cmd_tuples, "PQcmdTuples");
    load(lib.connectdb_params, "PQconnectdbParams");
    load(lib.error_message, "PQerrorMessage");
    load(lib.exec, "PQexec");
    load(lib.exec_params, "PQexecParams");
    load(lib.finish, "PQfinish");
    load(lib.freemem, "PQfreemem");
    load(lib.get_result, "PQgetResult");
    load(lib.getisnull, "PQgetisnull");
    load(lib.getlength, "PQgetlength");
    load(lib.getvalue, "PQgetvalue");
    load(lib.ntuples, "PQntuples");
    load(lib.put_copy_data, "PQputCopyData");
    load(lib.put_copy_end, "PQputCopyEnd");
    load(lib.result_status, "PQresultStatus");
    load(lib.set_notice_processor, "PQsetNoticeProcessor");
    load(lib.status, "PQstatus");
    load(lib.unescape_bytea, "PQunescapeBytea");
  });
  if (!status.ok()) return status;
  return &lib;
}

// The library, once a connection exists (PgConn::Connect loaded it).
const LibPq& Pq() { return **LoadLibPq(); }

}  // namespace

bool IsPostgresUrl(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

std::string RedactedUrl(std::string_view url) {
  // scheme://[user[:password]@]host…: drop ":password", and any
  // password=… parameter.
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const size_t end = out.find_first_of("&", p);
    out.replace(p, (end == std::string::npos ? out.size() : end) - p, "password=…");
  }
  return out;
}

void PgResult::Clear::operator()(pg_result* r) const { Pq().clear(r); }
PgResult::PgResult(pg_result* r) : result_(r) {}
int PgResult::rows() const { return result_ ? Pq().ntuples(result_.get()) : 0; }
int64_t PgResult::affected() const {
  int64_t n = 0;
  return result_ && absl::SimpleAtoi(Pq().cmd_tuples(result_.get()), &n) ? n : 0;
}
bool PgResult::IsNull(int row, int col) const { return Pq().getisnull(result_.get(), row, col) != 0; }
std::string PgResult::Text(int row, int col) const {
  return std::string(Pq().getvalue(result_.get(), row, col),
                     static_cast<size_t>(Pq().getlength(result_.get(), row, col)));
}
int64_t PgResult::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtoll(Pq().getvalue(result_.get(), row, col), nullptr, 10);
}
std::optional<int64_t> PgResult::OptionalInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}
std::string PgResult::Bytes(int row, int col) const {
  size_t n = 0;
  unsigned char* bytes = Pq().unescape_bytea(reinterpret_cast<const unsigned char*>(Pq().getvalue(result_.get(), row, col)), &n);
  if (bytes == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(bytes), n);
  Pq().freemem(bytes);
  return out;
}

void PgConn::Finish::operator()(pg_conn* c) const { Pq().finish(c); }

absl::StatusOr<PgConn> PgConn::Connect(const std::string& url) {
  const std::string where = RedactedUrl(url);
  // A server that does not answer must not hang a push for minutes.
  std::vector<const char*> keys = {"dbname"};
  std::vector<const char*> values = {url.c_str()};
  if (!absl::StrContains(url, "connect_timeout")) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  keys.push_back("application_name");
  values.push_back("cco");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  ASSIGN_OR_RETURN(const LibPq* lib, LoadLibPq());
  const LibPq& pq = *lib;
  pg_conn* c = pq.connectdb_params(keys.data(), values.data(), /*expand_dbname=*/1);
  PgConn conn(c, where);
  if (c == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  if (Pq().status(c) != CONNECTION_OK) {
    std::string message = absl::StripAsciiWhitespace(Pq().error_message(c)).operator std::string();
    if (absl::StrContains(message, "password authentication failed") ||
        absl::StrContains(message, "no password supplied") || absl::StrContains(message, "permission denied")) {
      return absl::PermissionDeniedError(absl::StrCat(where, ": ", message));
    }
    if (absl::StrContains(message, "invalid URI") || absl::StrContains(message, "invalid connection option") ||
        absl::StrContains(message, "missing \"=\"")) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
    }
    return absl::UnavailableError(absl::StrCat(where, ": ", message));
  }
  // Quiet NOTICEs (CREATE … IF NOT EXISTS) would go to stderr otherwise.
  Pq().set_notice_processor(c, [](void*, const char*) {}, nullptr);
  return conn;
}

bool PgConn::ok() const { return conn_ && Pq().status(conn_.get()) == CONNECTION_OK; }

absl::Status PgConn::Error(std::string_view what) const {
  std::string message = absl::StripAsciiWhitespace(Pq().error_message(conn_.get())).operator std::string();
  std::string text = absl::StrCat(where_, ": ", std::string(what), ": ", message);
  if (!ok()) return absl::UnavailableError(text);
  if (absl::StrContains(message, "row-level security") || absl::StrContains(message, "permission denied")) {
    return absl::PermissionDeniedError(text);
  }
  return absl::InternalError(text);
}

absl::Status PgConn::Exec(std::string_view sql) {
  PgResult r(Pq().exec(conn_.get(), std::string(sql).c_str()));
  const ExecStatusType st = Pq().result_status(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error("statement failed");
  return absl::OkStatus();
}

absl::StatusOr<PgResult> PgConn::Query(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.has_value() ? p->c_str() : nullptr);
  PgResult r(Pq().exec_params(conn_.get(), std::string(sql).c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0));
  const ExecStatusType st = Pq().result_status(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error("query failed");
  return r;
}

absl::Status PgConn::CopyIn(std::string_view copy_sql, std::string_view data) {
  {
    PgResult r(Pq().exec(conn_.get(), std::string(copy_sql).c_str()));
    if (Pq().result_status(r.get()) != PGRES_COPY_IN) return Error("COPY failed");
  }
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; off < data.size(); off += kChunk) {
    const size_t n = std::min(kChunk, data.size() - off);
    if (Pq().put_copy_data(conn_.get(), data.data() + off, static_cast<int>(n)) != 1) return Error("COPY failed");
  }
  if (Pq().put_copy_end(conn_.get(), nullptr) != 1) return Error("COPY failed");
  absl::Status status = absl::OkStatus();
  while (pg_result* raw = Pq().get_result(conn_.get())) {
    PgResult r(raw);
    if (Pq().result_status(raw) != PGRES_COMMAND_OK && status.ok()) status = Error("COPY failed");
  }
  return status;
}

namespace {
void AppendEscaped(std::string* row, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': row->append("\\\\"); break;
      case '\t': row->append("\\t"); break;
      case '\n': row->append("\\n"); break;
      case '\r': row->append("\\r"); break;
      default: row->push_back(c);
    }
  }
}
}  // namespace

void CopyText(std::string* row, std::string_view value) {
  AppendEscaped(row, value);
  row->push_back('\t');
}
void CopyOptionalText(std::string* row, const std::optional<std::string>& value) {
  if (value.has_value()) {
    CopyText(row, *value);
  } else {
    CopyNull(row);
  }
}
void CopyBytes(std::string* row, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  row->append("\\\\x");
  for (unsigned char c : bytes) {
    row->push_back(kHex[c >> 4]);
    row->push_back(kHex[c & 15]);
  }
  row->push_back('\t');
}
void CopyNull(std::string* row) { row->append("\\N\t"); }
void CopyInt(std::string* row, int64_t value) { absl::StrAppend(row, value, "\t"); }
void CopyOptionalInt(std::string* row, std::optional<int64_t> value) {
  if (value.has_value()) {
    CopyInt(row, *value);
  } else {
    CopyNull(row);
  }
}
void EndRow(std::string* row) {
  if (!row->empty() && row->back() == '\t') row->back() = '\n';
}

}  // namespace cco
