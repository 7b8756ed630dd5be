#pragma once
// Status and Result<T>: how expected failures travel in Foresight.
// Codes map to HTTP once, in api/ (InvalidArgument 400, NotFound 404, ResourceExhausted 429,
// Unavailable 503, FailedPrecondition 409, Internal 500, DataLoss 500).

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace foresight {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kResourceExhausted,
  kUnavailable,
  kFailedPrecondition,
  kOutOfRange,
  kUnauthenticated,
  kPermissionDenied,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  // Each factory joins its parts with ": " so context reads left to right ("wal open: /x: No such file").
  template <typename... Parts>
  static Status InvalidArgument(const Parts&... parts) { return Make(StatusCode::kInvalidArgument, parts...); }
  template <typename... Parts>
  static Status NotFound(const Parts&... parts) { return Make(StatusCode::kNotFound, parts...); }
  template <typename... Parts>
  static Status AlreadyExists(const Parts&... parts) { return Make(StatusCode::kAlreadyExists, parts...); }
  template <typename... Parts>
  static Status ResourceExhausted(const Parts&... parts) { return Make(StatusCode::kResourceExhausted, parts...); }
  template <typename... Parts>
  static Status Unavailable(const Parts&... parts) { return Make(StatusCode::kUnavailable, parts...); }
  template <typename... Parts>
  static Status FailedPrecondition(const Parts&... parts) { return Make(StatusCode::kFailedPrecondition, parts...); }
  template <typename... Parts>
  static Status OutOfRange(const Parts&... parts) { return Make(StatusCode::kOutOfRange, parts...); }
  template <typename... Parts>
  static Status DataLoss(const Parts&... parts) { return Make(StatusCode::kDataLoss, parts...); }
  template <typename... Parts>
  static Status Internal(const Parts&... parts) { return Make(StatusCode::kInternal, parts...); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: line 3: bad field" (or "OK").
  std::string ToString() const;
  // Returns a copy with `context` prepended to the message.
  Status WithContext(std::string_view context) const;

 private:
  template <typename... Parts>
  static Status Make(StatusCode code, const Parts&... parts) {
    std::string msg;
    ((msg.empty() ? void() : void(msg += ": "), msg += std::string_view(parts)), ...);
    return Status(code, std::move(msg));
  }

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                       // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace foresight

#define FS_CONCAT_INNER(a, b) a##b
#define FS_CONCAT(a, b) FS_CONCAT_INNER(a, b)

#define FS_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::foresight::Status _fs_st = (expr);          \
    if (!_fs_st.ok()) return _fs_st;              \
  } while (0)

#define FS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)  \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#define FS_ASSIGN_OR_RETURN(lhs, expr) FS_ASSIGN_OR_RETURN_IMPL(FS_CONCAT(_fs_res_, __LINE__), lhs, expr)
