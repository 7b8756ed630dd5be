#include "core/labels.h"

#include <gtest/gtest.h>

#include "core/types.h"

namespace foresight {
namespace {

TEST(LabelsTest, SortsAndDropsEmptyValuesAndDuplicates) {
  Labels l{{"mode", "idle"}, {"__name__", "cpu"}, {"host", "a"}, {"mode", "user"}, {"x", ""}};
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l.pairs()[0].name, "__name__");
  EXPECT_EQ(l.Get("mode"), "user");
  EXPECT_FALSE(l.Has("x"));
  EXPECT_EQ(l.ToString(), "cpu{host=\"a\",mode=\"user\"}");
}

TEST(LabelsTest, ParseRoundTripsCanonicalText) {
  Labels l{{"__name__", "disk_used_bytes"}, {"mount", "/var \"log\""}, {"host", "db-1"}};
  auto parsed = Labels::Parse(l.ToString());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, l);
  EXPECT_EQ(parsed->Hash(), l.Hash());
}

TEST(LabelsTest, ParseRejectsMalformedSelectorsWithPosition) {
  for (const char* bad : {"cpu{host=a}", "cpu{host=\"a\"", "cpu{=\"a\"}", "1cpu", "cpu{host=\"a\"}x"}) {
    auto r = Labels::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LabelsTest, SetKeepsOrderAndEmptyRemoves) {
  Labels l{{"b", "2"}};
  l.Set("a", "1");
  l.Set("c", "3");
  EXPECT_EQ(l.pairs()[0].name, "a");
  EXPECT_EQ(l.pairs()[2].name, "c");
  l.Set("b", "");
  EXPECT_EQ(l.size(), 2u);
}

TEST(LabelsTest, EntityPrefersEntityLabelOverHost) {
  EXPECT_EQ(EntityOf(Labels{{"host", "h1"}}), "h1");
  EXPECT_EQ(EntityOf(Labels{{"host", "h1"}, {"entity", "db-1"}}), "db-1");
  EXPECT_EQ(EntityOf(Labels{{"__name__", "x"}}), "");
}

}  // namespace
}  // namespace foresight
