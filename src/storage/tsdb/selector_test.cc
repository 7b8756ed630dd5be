#include "storage/tsdb/selector.h"

#include <gtest/gtest.h>

namespace foresight::storage {
namespace {

TEST(SelectorTest, ParsesMetricAndAllOperators) {
  auto r = ParseSelector(R"(cpu_seconds{host="a", mode!="idle",dev=~"sd[a-z]+" , fs!~'tmp.*'})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].name, "__name__");
  EXPECT_EQ((*r)[0].value, "cpu_seconds");
  EXPECT_EQ((*r)[1].op, MatchOp::kEqual);
  EXPECT_EQ((*r)[2].op, MatchOp::kNotEqual);
  EXPECT_EQ((*r)[3].op, MatchOp::kRegexMatch);
  EXPECT_EQ((*r)[3].value, "sd[a-z]+");
  EXPECT_EQ((*r)[4].op, MatchOp::kRegexNoMatch);
  EXPECT_EQ((*r)[4].value, "tmp.*");
}

TEST(SelectorTest, ParsesBareNameAndBracesOnly) {
  auto a = ParseSelector("node:load1");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].value, "node:load1");
  auto b = ParseSelector(R"({job="x",})");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].name, "job");
}

TEST(SelectorTest, UnescapesValuesButKeepsRegexEscapes) {
  auto r = ParseSelector(R"({a="x\"y\\z", b=~"\d+\.\d+"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value, "x\"y\\z");
  EXPECT_EQ((*r)[1].value, R"(\d+\.\d+)");
}

void ExpectBad(std::string_view text, std::string_view needle) {
  auto r = ParseSelector(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("offset"), std::string::npos) << r.status().message();
}

TEST(SelectorTest, RejectsBadSelectorsNamingTheProblem) {
  ExpectBad("", "empty selector");
  ExpectBad("{}", "empty selector");
  ExpectBad("cpu{host=\"a\"", "missing '}'");
  ExpectBad("cpu{host=\"a}", "unterminated string");
  ExpectBad("cpu{host~\"a\"}", "expected one of");
  ExpectBad("cpu{host=a}", "expected quoted value");
  ExpectBad("cpu{1host=\"a\"}", "expected label name");
  ExpectBad("cpu{a=\"x\" b=\"y\"}", "expected ',' or '}'");
  ExpectBad("cpu{a=\"x\"} extra", "trailing characters");
  ExpectBad("9cpu", "expected metric name");
  ExpectBad("cpu{a=~\"(unclosed\"}", "invalid regex");
  ExpectBad("cpu{a=~\"[z-a]\"}", "invalid regex");
}

Labels L(std::initializer_list<Label> l) { return Labels(l); }

TEST(CompiledMatchersTest, RegexesAreAnchoredAndMissingLabelsAreEmpty) {
  tsdb::RegexCache cache;
  auto sel = ParseSelector(R"(cpu{mode=~"idle|user", host!~"db.*", dc=""})");
  ASSERT_TRUE(sel.ok());
  auto cm = tsdb::CompiledMatchers::Compile(*sel, cache);
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->metric_equal(), "cpu");
  EXPECT_TRUE(cm->Matches(L({{"__name__", "cpu"}, {"mode", "idle"}, {"host", "web1"}})));
  EXPECT_TRUE(cm->Matches(L({{"__name__", "cpu"}, {"mode", "user"}})));
  EXPECT_FALSE(cm->Matches(L({{"__name__", "cpu"}, {"mode", "idle2"}})));      // anchored at the end
  EXPECT_FALSE(cm->Matches(L({{"__name__", "cpu"}, {"mode", "xidle"}})));      // and the start
  EXPECT_FALSE(cm->Matches(L({{"__name__", "cpu"}, {"mode", "idle"}, {"host", "db1"}})));
  EXPECT_FALSE(cm->Matches(L({{"__name__", "cpu"}, {"mode", "idle"}, {"dc", "eu"}})));
  EXPECT_FALSE(cm->Matches(L({{"__name__", "mem"}, {"mode", "idle"}})));
}

TEST(CompiledMatchersTest, BadRegexInAMatcherIsInvalidArgument) {
  tsdb::RegexCache cache;
  std::vector<LabelMatcher> ms{{"a", MatchOp::kRegexMatch, "(("}};
  auto cm = tsdb::CompiledMatchers::Compile(ms, cache);
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.status().code(), StatusCode::kInvalidArgument);
}

TEST(RegexCacheTest, ReturnsTheSameCompiledRegex) {
  tsdb::RegexCache cache(2);
  auto a = cache.Get("a.*");
  auto b = cache.Get("a.*");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  ASSERT_TRUE(cache.Get("b").ok());
  ASSERT_TRUE(cache.Get("c").ok());  // evicts (clears) when full; still correct
  EXPECT_TRUE(std::regex_match("abc", **cache.Get("a.*")));
}

}  // namespace
}  // namespace foresight::storage
