#pragma once
// Plain HTTP request/response values and a small router. Boost.Beast stays inside http_server.cc so the
// rest of the code base compiles without its headers.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace foresight::api {

struct HttpRequest {
  std::string method;                           // "GET", "POST", ...
  std::string target;                           // raw target, e.g. "/api/v1/query?series=cpu"
  std::string path;                             // decoded path without the query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;   // lower-case names
  std::string body;
  std::map<std::string, std::string> params;    // path parameters filled by the router ({id})

  // First value of a query parameter, or "" when absent.
  std::string Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return query.count(std::string(name)) > 0; }
  std::string Header(std::string_view lower_name) const;
};

// A response body that stays open (Server-Sent Events). The server writes the status line and the
// headers (no Content-Length, Connection: close), then calls Pull() again after each write. For each
// Pull the body calls `deliver` exactly once, from any thread: with bytes to write, or with nullopt
// to end the response (the server then closes the connection). Cancel() is called when the client
// disconnects, a write fails or the server stops; it must drop a pending `deliver` without calling it
// and must not block on the caller. After Cancel, Pull is never called again.
class StreamBody {
 public:
  using Deliver = std::function<void(std::optional<std::string>)>;
  virtual ~StreamBody() = default;
  virtual void Pull(Deliver deliver) = 0;
  virtual void Cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a streamed response: `body` is ignored and the connection ends with the stream.
  std::shared_ptr<StreamBody> stream;

  static HttpResponse Json(int status, std::string body);
  static HttpResponse Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  // {"status":"error","error":{"code":"INVALID_ARGUMENT","message":"..."}} with the status' HTTP code.
  static HttpResponse Error(const Status& status);
  static HttpResponse Error(int http_status, std::string_view code, std::string_view message);
};

// The single place where Status codes become HTTP status codes.
int HttpStatusFor(StatusCode code);

using Handler = std::function<HttpResponse(HttpRequest&)>;

// Router matches "METHOD /path/{param}/..." patterns; unknown paths get 404, a known path with another
// method gets 405 with an Allow header. Handlers must not throw; a thrown exception becomes a 500.
class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);
  HttpResponse Dispatch(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space). Malformed escapes are kept literally.
std::multimap<std::string, std::string> ParseQueryString(std::string_view qs);
std::string UrlDecode(std::string_view s);

}  // namespace foresight::api
