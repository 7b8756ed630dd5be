#include "ingest/remote_write.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace foresight::ingest {
namespace {

using Series = RemoteWriteSeries;

Result<RemoteWriteResult> Decode(std::string_view body, std::vector<LabeledSample>* out,
                                 RemoteWriteOptions options = {}) {
  return DecodeRemoteWrite(body, options, out);
}

std::string Snappy(std::string_view plain) {
  std::string out;
  snappy::Compress(plain.data(), plain.size(), &out);
  return out;
}

std::string Unsnappy(std::string_view body) {
  std::string out;
  EXPECT_TRUE(snappy::Uncompress(body.data(), body.size(), &out));
  return out;
}

TEST(RemoteWriteTest, RoundTripsManySeriesInRequestOrder) {
  constexpr int kSeries = 300;
  constexpr int kSamples = 40;
  std::vector<Series> in;
  for (int i = 0; i < kSeries; ++i) {
    Series s;
    // Unsorted on purpose: the decoder sorts.
    s.labels = {{"instance", "host-" + std::to_string(i % 17) + ":9100"},
                {"__name__", "node_cpu_seconds_total"},
                {"cpu", std::to_string(i)},
                {"job", "node"}};
    for (int j = 0; j < kSamples; ++j) s.samples.emplace_back(1'700'000'000'000 + j * 15'000, i * 1000.0 + j + 0.25);
    in.push_back(std::move(s));
  }
  std::vector<LabeledSample> out;
  auto r = Decode(EncodeRemoteWriteForTest(in), &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->series, size_t{kSeries});
  EXPECT_EQ(r->samples, size_t{kSeries * kSamples});
  EXPECT_EQ(r->bad_series, 0u);
  ASSERT_EQ(out.size(), size_t{kSeries * kSamples});
  for (int i = 0; i < kSeries; ++i) {
    Labels want{{"__name__", "node_cpu_seconds_total"},
                {"cpu", std::to_string(i)},
                {"instance", "host-" + std::to_string(i % 17) + ":9100"},
                {"job", "node"}};
    for (int j = 0; j < kSamples; ++j) {
      const LabeledSample& s = out[static_cast<size_t>(i * kSamples + j)];
      ASSERT_EQ(s.labels, want) << i << " " << j;
      ASSERT_EQ(s.ts_ns, (1'700'000'000'000 + j * 15'000) * kNanosPerMilli);
      ASSERT_EQ(s.value, i * 1000.0 + j + 0.25);
    }
  }
  EXPECT_EQ(out[0].labels.ToString(), R"(node_cpu_seconds_total{cpu="0",instance="host-0:9100",job="node"})");
}

TEST(RemoteWriteTest, ValuesArePreservedBitExactly) {
  const uint64_t kBits[] = {
      0x7ff0000000000002ULL,  // Prometheus staleness marker (a NaN with a payload)
      0x7ff8000000000001ULL,  // quiet NaN, Prometheus' "normal" NaN
      0xfff8000000000000ULL,  // negative quiet NaN
      0x7ff0000000000000ULL,  // +Inf
      0xfff0000000000000ULL,  // -Inf
      0x8000000000000000ULL,  // -0.0
      0x0000000000000001ULL,  // smallest denormal
      0x7fefffffffffffffULL,  // DBL_MAX
  };
  Series s{{{"__name__", "m"}}, {}};
  for (size_t i = 0; i < std::size(kBits); ++i) s.samples.emplace_back(static_cast<int64_t>(i), std::bit_cast<double>(kBits[i]));
  std::vector<LabeledSample> out;
  auto r = Decode(EncodeRemoteWriteForTest({s}), &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), std::size(kBits));
  for (size_t i = 0; i < std::size(kBits); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].value), kBits[i]) << i;
    EXPECT_EQ(out[i].ts_ns, static_cast<int64_t>(i) * kNanosPerMilli);
  }
}

// Hand-encoded wire bytes, independent of our .proto: pins the field numbers and wire types of
// WriteRequest.timeseries = 1, TimeSeries.labels = 1 / samples = 2, Label.name = 1 / value = 2,
// Sample.value = 1 (fixed64) / timestamp = 2 (varint). Unknown fields (metadata = 3 of WriteRequest,
// exemplars = 3 of TimeSeries) are skipped.
TEST(RemoteWriteTest, DecodesPrometheusWireFormat) {
  std::string label = std::string("\x0a\x08__name__\x12\x02up", 14);
  std::string sample = std::string("\x09\x00\x00\x00\x00\x00\x00\xf0\x3f", 9) + "\x10\xe8\x07";  // 1.0 at 1000 ms
  std::string exemplar = "\x1a\x02\x18\x01";  // TimeSeries field 3 (exemplars): {timestamp: 1}
  std::string series = "\x0a" + std::string(1, static_cast<char>(label.size())) + label + "\x12" +
                       std::string(1, static_cast<char>(sample.size())) + sample + exemplar;
  std::string metadata("\x1a\x04\x08\x01\x12\x00", 6);  // WriteRequest field 3 (metadata): {type: 1, name: ""}
  std::string request = "\x0a" + std::string(1, static_cast<char>(series.size())) + series + metadata;

  std::vector<LabeledSample> out;
  auto r = Decode(Snappy(request), &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->series, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels, (Labels{{"__name__", "up"}}));
  EXPECT_EQ(out[0].value, 1.0);
  EXPECT_EQ(out[0].ts_ns, 1000 * kNanosPerMilli);
}

TEST(RemoteWriteTest, MillisecondsBecomeNanosecondsAtTheEdgesOfTheRange) {
  const int64_t kMaxMs = std::numeric_limits<int64_t>::max() / kNanosPerMilli;
  std::vector<LabeledSample> out;
  auto r = Decode(EncodeRemoteWriteForTest({{{{"__name__", "m"}}, {{-kMaxMs, 1}, {-1, 2}, {0, 3}, {kMaxMs, 4}}}}), &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].ts_ns, -kMaxMs * kNanosPerMilli);
  EXPECT_EQ(out[1].ts_ns, -kNanosPerMilli);
  EXPECT_EQ(out[2].ts_ns, 0);
  EXPECT_EQ(out[3].ts_ns, kMaxMs * kNanosPerMilli);
}

TEST(RemoteWriteTest, BadSeriesAreSkippedAndTheGoodKept) {
  std::vector<Series> in = {
      {{{"__name__", "good_a"}, {"job", "x"}}, {{1, 1}, {2, 2}}},
      {{{"__name__", "m"}, {"1x", "v"}}, {{1, 1}}},                   // 2: invalid label name
      {{{"job", "x"}}, {{1, 1}}},                                     // 3: missing __name__
      {{{"__name__", "m"}, {"job", "a"}, {"job", "b"}}, {{1, 1}}},    // 4: duplicate
      {{{"__name__", "a-b"}}, {{1, 1}}},                              // 5: invalid metric name
      {{{"__name__", "m"}}, {{1, 1}, {9'300'000'000'000, 2}}},        // 6: timestamp out of range
      {{{"__name__", "m"}, {"a", "1"}, {"b", "2"}, {"c", "3"}}, {{1, 1}}},  // 7: 4 labels > max 3
      {{{"__name__", ""}, {"job", "x"}}, {{1, 1}}},                   // 8: empty __name__ is absent
      {{{"__name__", "m"}, {"", "v"}}, {{1, 1}}},                     // 9: empty label name
      {{{"__name__", "m"}, {"j\"\n\xff", "v"}}, {{1, 1}}},            // 10: quoted with escapes
      {{{"__name__", "good_b"}, {"job", "y"}}, {{3, 3}}},
  };
  RemoteWriteOptions options;
  options.max_labels = 3;
  std::vector<LabeledSample> out;
  auto r = Decode(EncodeRemoteWriteForTest(in), &out, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->series, 2u);
  EXPECT_EQ(r->bad_series, 9u);
  EXPECT_EQ(r->samples, 3u);
  EXPECT_EQ(r->first_error, "series 2: invalid label name \"1x\"");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].labels.ToString(), R"(good_a{job="x"})");
  EXPECT_EQ(out[1].labels.ToString(), R"(good_a{job="x"})");
  EXPECT_EQ(out[2].labels.ToString(), R"(good_b{job="y"})");
  EXPECT_EQ(out[2].value, 3.0);

  // Each cause on its own, with its message.
  const std::pair<size_t, std::string> kCauses[] = {
      {2, "series 1: missing metric name (__name__)"},
      {3, "series 1: duplicate label name \"job\""},
      {4, "series 1: invalid metric name \"a-b\""},
      {5, "series 1: timestamp 9300000000000 ms out of range"},
      {6, "series 1: more than 3 labels (max_labels, __name__ included)"},
      {7, "series 1: missing metric name (__name__)"},
      {8, "series 1: invalid label name \"\""},
      {9, "series 1: invalid label name \"j\\\"\\x0a\\xff\""},
  };
  for (const auto& [i, message] : kCauses) {
    std::vector<LabeledSample> none;
    auto one = Decode(EncodeRemoteWriteForTest({in[i]}), &none, options);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->first_error, message) << i;
    EXPECT_EQ(one->bad_series, 1u);
    EXPECT_TRUE(none.empty());
  }
}

TEST(RemoteWriteTest, EmptyValuesAreAbsentAndSeriesWithoutSamplesCount) {
  std::vector<LabeledSample> out;
  auto r = Decode(EncodeRemoteWriteForTest({{{{"__name__", "m"}, {"empty", ""}, {"job", "j"}}, {{5, 1}}},
                                            {{{"__name__", "no_samples"}}, {}}}),
                  &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->series, 2u);
  EXPECT_EQ(r->samples, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.ToString(), R"(m{job="j"})");
}

TEST(RemoteWriteTest, LabelValuesKeepTheirBytes) {
  std::string value = "caf\xc3\xa9 \xff \"x\"";
  value.push_back('\0');
  value += "end";
  std::vector<LabeledSample> out;
  auto r = Decode(EncodeRemoteWriteForTest({{{{"__name__", "m"}, {"v", value}}, {{1, 1}}}}), &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.Get("v"), value);
}

TEST(RemoteWriteTest, AppendsWithoutClearing) {
  std::vector<LabeledSample> out(2);
  auto r = Decode(EncodeRemoteWriteForTest({{{{"__name__", "m"}}, {{1, 1}}}}), &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].labels.metric(), "m");
}

TEST(RemoteWriteTest, EmptyRequestDecodesNothing) {
  std::vector<LabeledSample> out;
  auto r = Decode(Snappy(""), &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->series, 0u);
  EXPECT_TRUE(r->ok());
  EXPECT_TRUE(out.empty());
}

TEST(RemoteWriteTest, CorruptSnappyIsInvalidArgument) {
  std::string good = EncodeRemoteWriteForTest({{{{"__name__", "m"}}, {{1, 1}, {2, 2}, {3, 3}}}});
  const std::string kBodies[] = {
      "",                                // empty: not even a length
      "\xff\xff\xff\xff\xff\xff",        // unterminated length varint
      good.substr(0, good.size() - 3),   // truncated
      std::string("\xff\x06\x00\x00sNaPpY", 10),  // the framed (stream) format, which v1 is not
      "up 1",                            // plain text
  };
  for (const auto& body : kBodies) {
    std::vector<LabeledSample> out;
    auto r = Decode(body, &out);
    ASSERT_FALSE(r.ok()) << testing::PrintToString(body);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "snappy: corrupt input");
    EXPECT_TRUE(out.empty());
  }
}

TEST(RemoteWriteTest, BadProtobufIsInvalidArgument) {
  std::string plain = Unsnappy(EncodeRemoteWriteForTest({{{{"__name__", "m"}}, {{1, 1}}}}));
  const std::string kPlains[] = {
      "\xff\xff\xff",                  // invalid tag
      plain.substr(0, plain.size() - 2),  // truncated message
      "\x0a\x7f",                      // length past the end
      "up 12\n",                       // text, not protobuf (a short one can be valid protobuf)
  };
  for (const auto& p : kPlains) {
    std::vector<LabeledSample> out;
    auto r = Decode(Snappy(p), &out);
    ASSERT_FALSE(r.ok()) << testing::PrintToString(p);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "protobuf: cannot parse WriteRequest");
    EXPECT_TRUE(out.empty());
  }
}

TEST(RemoteWriteTest, DecompressedSizeLimitIsResourceExhausted) {
  std::vector<Series> in(100, Series{{{"__name__", "m"}, {"job", std::string(200, 'x')}}, {{1, 1}}});
  std::string body = EncodeRemoteWriteForTest(in);
  const size_t plain_size = Unsnappy(body).size();

  RemoteWriteOptions options;
  options.max_decompressed_bytes = plain_size - 1;
  std::vector<LabeledSample> out;
  auto r = Decode(body, &out, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "snappy body: decompressed size " + std::to_string(plain_size) +
                                      " bytes exceeds the limit of " + std::to_string(plain_size - 1) + " bytes");
  EXPECT_TRUE(out.empty());

  options.max_decompressed_bytes = plain_size;  // exactly at the limit: accepted
  auto at = Decode(body, &out, options);
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(at->samples, 100u);
}

TEST(RemoteWriteTest, SnappyBombIsRefusedBeforeDecompressing) {
  // A header claiming 3.75 GiB followed by almost nothing: refused from the header alone.
  std::string body = "\x80\x80\x80\x80\x0f";
  body += std::string("\x00\x00", 2);
  std::vector<LabeledSample> out;
  auto r = Decode(body, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("limit of 33554432 bytes"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace foresight::ingest
