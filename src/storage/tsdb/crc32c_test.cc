#include "storage/tsdb/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace foresight::storage::tsdb {
namespace {

TEST(Crc32cTest, MatchesStandardCheckValue) { EXPECT_EQ(Crc32c("123456789"), 0xE3069283u); }

TEST(Crc32cTest, IncrementalEqualsOneShot) {
  std::mt19937 rng(7);
  std::string s(1000, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    uint32_t a = Crc32c(0, s.data(), cut);
    a = Crc32c(a, s.data() + cut, s.size() - cut);
    EXPECT_EQ(a, Crc32c(s)) << cut;
  }
}

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, and of 0xff.
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
}

TEST(Crc32cTest, DetectsSingleBitFlip) {
  std::string s = "the quick brown fox";
  uint32_t c = Crc32c(s);
  s[3] ^= 0x10;
  EXPECT_NE(c, Crc32c(s));
}

}  // namespace
}  // namespace foresight::storage::tsdb
