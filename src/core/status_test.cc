#include "core/status.h"

#include <gtest/gtest.h>

namespace foresight {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("half", "odd value", std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  FS_ASSIGN_OR_RETURN(int h, Half(x));
  FS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, FactoriesJoinContextLeftToRight) {
  Status s = Status::NotFound("series", "cpu{host=\"a\"}");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: series: cpu{host=\"a\"}");
  EXPECT_EQ(s.WithContext("query").message(), "query: series: cpu{host=\"a\"}");
}

TEST(StatusTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "half: odd value: 3");
}

}  // namespace
}  // namespace foresight
