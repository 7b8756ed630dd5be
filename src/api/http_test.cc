#include "api/http.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "../../tests/support/http_client.h"

namespace foresight::api {
namespace {

using foresight::testing::HttpCall;

TEST(HttpTest, ParsesAndDecodesQueryStrings) {
  auto q = ParseQueryString("series=cpu%7Bhost%3D%22a%22%7D&from=now-1h&flag&x=a+b&bad=%zz");
  EXPECT_EQ(q.find("series")->second, "cpu{host=\"a\"}");
  EXPECT_EQ(q.find("from")->second, "now-1h");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.find("x")->second, "a b");
  EXPECT_EQ(q.find("bad")->second, "%zz");
}

TEST(HttpTest, RouterMatchesParamsAndAnswers404And405) {
  Router router;
  router.Add("GET", "/api/v1/predictions/{id}", [](HttpRequest& r) { return HttpResponse::Json(200, r.params["id"]); });
  router.Add("POST", "/collect", [](HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/predictions/abc";
  EXPECT_EQ(router.Dispatch(req).body, "abc");
  req.path = "/nope";
  EXPECT_EQ(router.Dispatch(req).status, 404);
  req.path = "/collect";
  HttpResponse r = router.Dispatch(req);
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.body.find("GET is not allowed on /collect"), std::string::npos);
}

TEST(HttpTest, HandlerExceptionBecomes500WithMessage) {
  Router router;
  router.Add("GET", "/boom", [](HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
  HttpRequest req;
  req.method = "GET";
  req.path = "/boom";
  HttpResponse r = router.Dispatch(req);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("kaput"), std::string::npos);
}

TEST(HttpTest, StatusCodesMapToHttpOnce) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 409);
}

TEST(HttpServerTest, ServesRequestsAndRejectsOversizedBodies) {
  Router router;
  router.Add("POST", "/echo", [](HttpRequest& r) { return HttpResponse::Json(200, r.body); });
  HttpServerOptions opts;
  opts.port = 0;
  opts.max_body_bytes = 1024;
  HttpServer server(opts, [&router](HttpRequest& r) { return router.Dispatch(r); });
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);

  auto ok = HttpCall(server.port(), "POST", "/echo", "{\"a\":1}");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"a\":1}");

  auto big = HttpCall(server.port(), "POST", "/echo", std::string(4096, 'x'));
  EXPECT_EQ(big.status, 413);
  auto err = nlohmann::json::parse(big.body);
  EXPECT_NE(err["error"]["message"].get<std::string>().find("exceeds the limit of 1024 bytes"), std::string::npos);

  // The server survives both and keeps serving.
  EXPECT_EQ(HttpCall(server.port(), "POST", "/echo", "{}").status, 200);
  EXPECT_EQ(HttpCall(server.port(), "GET", "/missing").status, 404);
  server.Stop();
}

TEST(HttpServerTest, SecondServerOnSamePortFailsWithUnavailable) {
  HttpServerOptions opts;
  opts.port = 0;
  HttpServer a(opts, [](HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  ASSERT_TRUE(a.Start().ok());
  opts.port = a.port();
  HttpServer b(opts, [](HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  Status st = b.Start();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace foresight::api
