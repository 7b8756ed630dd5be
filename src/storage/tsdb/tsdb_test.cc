#include "storage/tsdb/tsdb.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "storage/tsdb/test_util.h"

namespace foresight::storage::tsdb {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000LL * kNanosPerSecond;
constexpr int64_t kSec = kNanosPerSecond;

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

class TsdbTest : public ::testing::Test {
 protected:
  TsdbOptions Options() {
    TsdbOptions o;
    o.data_dir = dir_.path();
    o.background = false;
    o.chunk_max_samples = 120;
    o.logger = log_.logger;
    return o;
  }
  std::unique_ptr<Tsdb> OpenDb(const TsdbOptions& o) {
    auto db = Tsdb::Open(o, clock_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  std::unique_ptr<Tsdb> OpenDb() { return OpenDb(Options()); }
  SeriesId MustResolve(Tsdb& db, const std::string& text) {
    auto labels = Labels::Parse(text);
    EXPECT_TRUE(labels.ok()) << text;
    auto id = db.Resolve(*labels);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::vector<Sample> ReadAll(const Tsdb& db, SeriesId id) {
    std::vector<Sample> out;
    Status s = db.ReadRange(id, std::numeric_limits<TimestampNs>::min(), std::numeric_limits<TimestampNs>::max(), &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  TempDir dir_;
  FakeClock clock_{kT0};
  CapturingLogger log_;
};

TEST_F(TsdbTest, ResolveIsStableAndPersists) {
  SeriesId a;
  SeriesId b;
  {
    auto db = OpenDb();
    a = MustResolve(*db, R"(cpu{host="a",mode="idle"})");
    b = MustResolve(*db, R"(cpu{host="b",mode="idle"})");
    EXPECT_NE(a, b);
    EXPECT_EQ(MustResolve(*db, R"(cpu{mode="idle",host="a"})"), a);
  }
  auto db = OpenDb();
  EXPECT_EQ(MustResolve(*db, R"(cpu{host="a",mode="idle"})"), a);
  EXPECT_EQ(MustResolve(*db, R"(cpu{host="b",mode="idle"})"), b);
  auto labels = db->LabelsOf(b);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->Get("host"), "b");
  EXPECT_EQ(db->LabelsOf(999).status().code(), StatusCode::kNotFound);
}

TEST_F(TsdbTest, ResolveRejectsInvalidLabelsAndEnforcesCardinality) {
  auto o = Options();
  o.max_series = 2;
  auto db = OpenDb(o);
  EXPECT_EQ(db->Resolve(Labels()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db->Resolve(Labels({{"bad-name", "x"}})).status().code(), StatusCode::kInvalidArgument);
  MustResolve(*db, "a");
  MustResolve(*db, "b");
  auto c = db->Resolve(Labels({{"__name__", "c"}}));
  EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(db->Resolve(Labels({{"__name__", "a"}})).ok());  // existing series still resolve
}

TEST_F(TsdbTest, LabelValuesWithQuotesAndNewlinesRoundTripThroughTheIndex) {
  Labels l({{"__name__", "m"}, {"path", "C:\\dir \"x\"\nnext,}{"}});
  SeriesId id;
  {
    auto db = OpenDb();
    auto r = db->Resolve(l);
    ASSERT_TRUE(r.ok());
    id = *r;
  }
  auto db = OpenDb();
  auto back = db->LabelsOf(id);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, l);
}

TEST_F(TsdbTest, AppendAndReadRangeAcrossHeadSealedAndPersistedChunks) {
  auto db = OpenDb();
  SeriesId id = MustResolve(*db, "m");
  std::vector<Sample> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back({id, kT0 + i * kSec, static_cast<double>(i % 17)});
  ASSERT_TRUE(db->Append(batch).ok());
  auto all = ReadAll(*db, id);
  ASSERT_EQ(all.size(), 1000u);
  ASSERT_TRUE(db->PersistChunks().ok());
  EXPECT_EQ(db->stats().chunks, 8u);  // 8 full chunks of 120; 40 samples still in the head
  all = ReadAll(*db, id);
  ASSERT_EQ(all.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(all[i].ts_ns, kT0 + i * kSec);
    EXPECT_EQ(all[i].value, i % 17);
  }
  std::vector<Sample> part;
  ASSERT_TRUE(db->ReadRange(id, kT0 + 100 * kSec, kT0 + 250 * kSec, &part).ok());
  ASSERT_EQ(part.size(), 151u);
  EXPECT_EQ(part.front().ts_ns, kT0 + 100 * kSec);
  EXPECT_EQ(part.back().ts_ns, kT0 + 250 * kSec);
  EXPECT_EQ(db->ReadRange(12345, 0, 1, &part).code(), StatusCode::kNotFound);
}

TEST_F(TsdbTest, OutOfOrderAndEqualTimestampsAreRejectedAndCounted) {
  auto db = OpenDb();
  SeriesId a = MustResolve(*db, "a");
  SeriesId b = MustResolve(*db, "b");
  std::vector<Sample> batch{{a, 10, 1}, {a, 20, 2}, {a, 15, 3}, {b, 5, 4}, {a, 20, 5}, {a, 30, 6}};
  ASSERT_TRUE(db->Append(batch).ok());
  EXPECT_EQ(db->stats().samples_rejected, 2u);
  EXPECT_EQ(db->stats().samples_appended, 4u);
  auto got = ReadAll(*db, a);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].value, 2);  // equal timestamp: the first write wins
  EXPECT_EQ(got[2].ts_ns, 30);
  // Rejections are not logged, so they do not come back after a restart either.
  db.reset();
  db = OpenDb();
  EXPECT_EQ(ReadAll(*db, a).size(), 3u);
  EXPECT_EQ(ReadAll(*db, b).size(), 1u);
}

TEST_F(TsdbTest, UnknownSeriesFailsTheWholeBatch) {
  auto db = OpenDb();
  SeriesId a = MustResolve(*db, "a");
  std::vector<Sample> batch{{a, 10, 1}, {a + 100, 20, 2}};
  EXPECT_EQ(db->Append(batch).code(), StatusCode::kNotFound);
  EXPECT_TRUE(ReadAll(*db, a).empty());
}

TEST_F(TsdbTest, SpecialFloatsRoundTripBitExactlyThroughWalAndChunks) {
  std::vector<double> vals{std::nan(""),
                           -std::nan(""),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::denorm_min(),
                           -std::numeric_limits<double>::denorm_min(),
                           0.0,
                           -0.0,
                           std::numeric_limits<double>::max(),
                           1e-310};
  uint64_t payload_nan = 0x7ff4000000abcdefULL;
  double pn;
  std::memcpy(&pn, &payload_nan, 8);
  vals.push_back(pn);
  SeriesId id;
  {
    auto db = OpenDb();
    id = MustResolve(*db, "special");
    std::vector<Sample> batch;
    for (size_t i = 0; i < 300; ++i) batch.push_back({id, kT0 + static_cast<int64_t>(i), vals[i % vals.size()]});
    ASSERT_TRUE(db->Append(batch).ok());
    ASSERT_TRUE(db->PersistChunks().ok());
  }
  auto db = OpenDb();
  auto got = ReadAll(*db, id);
  ASSERT_EQ(got.size(), 300u);
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(Bits(got[i].value), Bits(vals[i % vals.size()])) << i;
}

TEST_F(TsdbTest, ReopenRecoversHeadsFromWalAndCheckpoint) {
  SeriesId id;
  {
    auto db = OpenDb();
    id = MustResolve(*db, "m");
    std::vector<Sample> batch;
    for (int i = 0; i < 250; ++i) batch.push_back({id, kT0 + i, static_cast<double>(i)});
    ASSERT_TRUE(db->Append(batch).ok());
    ASSERT_TRUE(db->Checkpoint().ok());
    batch.clear();
    for (int i = 250; i < 300; ++i) batch.push_back({id, kT0 + i, static_cast<double>(i)});
    ASSERT_TRUE(db->Append(batch).ok());
  }
  {
    auto db = OpenDb();
    auto got = ReadAll(*db, id);
    ASSERT_EQ(got.size(), 300u);
    for (int i = 0; i < 300; ++i) ASSERT_EQ(got[i].value, i);
    // Appends continue after the recovered newest sample.
    std::vector<Sample> more{{id, kT0 + 299, -1}, {id, kT0 + 300, 300}};
    ASSERT_TRUE(db->Append(more).ok());
    EXPECT_EQ(db->stats().samples_rejected, 1u);
  }
  auto db = OpenDb();
  EXPECT_EQ(ReadAll(*db, id).size(), 301u);
}

TEST_F(TsdbTest, TornWalTailIsCutWithWarningAndEarlierBatchesSurvive) {
  SeriesId id;
  {
    auto db = OpenDb();
    id = MustResolve(*db, "m");
    for (int b = 0; b < 5; ++b) {
      std::vector<Sample> batch{{id, kT0 + b * 2, 1.0 * b}, {id, kT0 + b * 2 + 1, 1.0 * b}};
      ASSERT_TRUE(db->Append(batch).ok());
    }
    // Simulate a crash: no checkpoint at close.
    ASSERT_TRUE(db->Flush().ok());
    std::filesystem::copy(dir_.path() + "/wal", dir_.path() + "/wal.crash");
  }
  std::filesystem::remove_all(dir_.path() + "/wal");
  std::filesystem::rename(dir_.path() + "/wal.crash", dir_.path() + "/wal");
  std::filesystem::path seg;
  for (auto& e : std::filesystem::directory_iterator(dir_.path() + "/wal")) {
    if (e.path().extension() == ".wal" && std::filesystem::file_size(e.path()) > 8) seg = e.path();
  }
  ASSERT_FALSE(seg.empty());
  std::filesystem::resize_file(seg, std::filesystem::file_size(seg) - 10);
  auto db = OpenDb();
  auto got = ReadAll(*db, id);
  EXPECT_EQ(got.size(), 8u);
  EXPECT_NE(log_.text().find("cutting off"), std::string::npos) << log_.text();
}

TEST_F(TsdbTest, CorruptChunkIsSkippedWithWarningOthersIntact) {
  SeriesId a;
  SeriesId b;
  {
    auto db = OpenDb();
    a = MustResolve(*db, "a");
    b = MustResolve(*db, "b");
    std::vector<Sample> batch;
    for (int i = 0; i < 240; ++i) batch.push_back({a, kT0 + i, 1.0 * i});
    for (int i = 0; i < 120; ++i) batch.push_back({b, kT0 + i, 2.0 * i});
    ASSERT_TRUE(db->Append(batch).ok());
    ASSERT_TRUE(db->PersistChunks().ok());
    ASSERT_EQ(db->stats().chunks, 3u);
  }
  // Chunks are written a[0..119], a[120..239], b: flip a byte inside a's second chunk.
  std::filesystem::path seg;
  for (auto& e : std::filesystem::directory_iterator(dir_.path() + "/chunks")) {
    if (std::filesystem::file_size(e.path()) > 8) seg = e.path();
  }
  ASSERT_FALSE(seg.empty());
  const auto size = std::filesystem::file_size(seg);
  // Locate the chunk records by walking the headers (32-byte header, data, 4-byte crc).
  std::vector<uint64_t> offsets;
  {
    std::ifstream f(seg, std::ios::binary);
    uint64_t off = 8;
    while (off < size) {
      offsets.push_back(off);
      f.seekg(static_cast<std::streamoff>(off + 28));
      uint32_t len = 0;
      f.read(reinterpret_cast<char*>(&len), 4);
      off += 32 + len + 4;
    }
  }
  ASSERT_EQ(offsets.size(), 3u);
  FlipByte(seg.string(), offsets[1] + 40);
  auto db = OpenDb();
  auto got = ReadAll(*db, a);
  ASSERT_EQ(got.size(), 120u);  // the first chunk survives
  EXPECT_EQ(got.back().value, 119);
  EXPECT_EQ(ReadAll(*db, b).size(), 120u);
  EXPECT_EQ(db->corrupt_chunks(), 1u);
  EXPECT_NE(log_.text().find("corrupt chunk"), std::string::npos) << log_.text();
}

TEST_F(TsdbTest, MissingSegmentFileIsDataLossNotAnError) {
  SeriesId id;
  {
    auto db = OpenDb();
    id = MustResolve(*db, "m");
    std::vector<Sample> batch;
    for (int i = 0; i < 130; ++i) batch.push_back({id, kT0 + i, 1.0 * i});
    ASSERT_TRUE(db->Append(batch).ok());
    ASSERT_TRUE(db->PersistChunks().ok());
  }
  auto db = OpenDb();
  for (auto& e : std::filesystem::directory_iterator(dir_.path() + "/chunks")) {
    if (std::filesystem::file_size(e.path()) > 8) std::filesystem::remove(e.path());
  }
  auto got = ReadAll(*db, id);
  EXPECT_EQ(got.size(), 10u);  // the head survives; the persisted chunk is reported lost
  EXPECT_EQ(db->corrupt_chunks(), 1u);
  EXPECT_NE(log_.text().find("segment file missing"), std::string::npos) << log_.text();
}

TEST_F(TsdbTest, HalfWrittenChunkAtSegmentEndIsCutOff) {
  SeriesId id;
  {
    auto db = OpenDb();
    id = MustResolve(*db, "m");
    std::vector<Sample> batch;
    for (int i = 0; i < 120; ++i) batch.push_back({id, kT0 + i, 1.0 * i});
    ASSERT_TRUE(db->Append(batch).ok());
    ASSERT_TRUE(db->PersistChunks().ok());
  }
  std::filesystem::path seg;
  for (auto& e : std::filesystem::directory_iterator(dir_.path() + "/chunks")) {
    if (std::filesystem::file_size(e.path()) > 8) seg = e.path();
  }
  ASSERT_FALSE(seg.empty());
  {
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    f << "half a chunk record that never made it into the index";
  }
  const auto before = std::filesystem::file_size(seg);
  auto db = OpenDb();
  EXPECT_LT(std::filesystem::file_size(seg), before);
  EXPECT_EQ(ReadAll(*db, id).size(), 120u);
  EXPECT_NE(log_.text().find("torn chunk write"), std::string::npos) << log_.text();
}

TEST_F(TsdbTest, SelectByMatchers) {
  auto db = OpenDb();
  SeriesId a = MustResolve(*db, R"(cpu{host="web1",mode="idle"})");
  SeriesId b = MustResolve(*db, R"(cpu{host="web2",mode="user"})");
  SeriesId c = MustResolve(*db, R"(mem{host="web1"})");
  auto sel = [&](std::string_view text) {
    auto ms = ParseSelector(text);
    EXPECT_TRUE(ms.ok()) << text;
    auto r = db->Select(*ms);
    EXPECT_TRUE(r.ok());
    std::vector<SeriesId> ids;
    for (auto& s : *r) ids.push_back(s.id);
    return ids;
  };
  EXPECT_EQ(sel("cpu"), (std::vector<SeriesId>{a, b}));
  EXPECT_EQ(sel(R"({host="web1"})"), (std::vector<SeriesId>{a, c}));
  EXPECT_EQ(sel(R"(cpu{mode!="idle"})"), (std::vector<SeriesId>{b}));
  EXPECT_EQ(sel(R"({__name__=~"cpu|mem",host=~"web.*"})"), (std::vector<SeriesId>{a, b, c}));
  EXPECT_EQ(sel(R"({host!~"web1"})"), (std::vector<SeriesId>{b}));
  EXPECT_EQ(sel(R"({mode=""})"), (std::vector<SeriesId>{c}));
  auto all = db->Select({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  std::vector<LabelMatcher> bad{{"x", MatchOp::kRegexMatch, "(("}};
  EXPECT_EQ(db->Select(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TsdbTest, SelectAgreesWithBruteForceOnRandomSelectors) {
  auto db = OpenDb();
  std::mt19937_64 rng(77);
  std::vector<std::pair<SeriesId, Labels>> all;
  const char* metrics[] = {"cpu", "mem", "disk"};
  for (int i = 0; i < 300; ++i) {
    Labels l({{"__name__", metrics[rng() % 3]}, {"host", "h" + std::to_string(rng() % 10)}});
    if (rng() % 2) l.Set("dc", rng() % 2 ? "eu" : "us");
    auto id = db->Resolve(l);
    ASSERT_TRUE(id.ok());
    if (std::none_of(all.begin(), all.end(), [&](auto& p) { return p.first == *id; })) all.emplace_back(*id, l);
  }
  tsdb::RegexCache cache;
  for (int q = 0; q < 200; ++q) {
    std::vector<LabelMatcher> ms;
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) {
      static const char* names[] = {"__name__", "host", "dc", "absent"};
      static const char* values[] = {"cpu", "h3", "eu", "", "h[1-3]", "c.*", "us|eu", "nothing"};
      ms.push_back({names[rng() % 4], static_cast<MatchOp>(rng() % 4), values[rng() % 8]});
    }
    auto got = db->Select(ms);
    ASSERT_TRUE(got.ok());
    auto cm = CompiledMatchers::Compile(ms, cache);
    ASSERT_TRUE(cm.ok());
    std::vector<SeriesId> want;
    for (auto& [id, l] : all) {
      if (cm->Matches(l)) want.push_back(id);
    }
    std::sort(want.begin(), want.end());
    std::vector<SeriesId> ids;
    for (auto& s : *got) ids.push_back(s.id);
    ASSERT_EQ(ids, want) << "query " << q;
  }
}

TEST_F(TsdbTest, ScanStreamsBatchesAndStopsEarly) {
  auto db = OpenDb();
  SeriesId id = MustResolve(*db, "m");
  std::vector<Sample> batch;
  for (int i = 0; i < 500; ++i) batch.push_back({id, i, 1.0 * i});
  ASSERT_TRUE(db->Append(batch).ok());
  ASSERT_TRUE(db->PersistChunks().ok());
  size_t total = 0;
  int calls = 0;
  ASSERT_TRUE(db->Scan(id, 10, 489, [&](std::span<const Sample> s) {
                  total += s.size();
                  ++calls;
                  return true;
                }).ok());
  EXPECT_EQ(total, 480u);
  EXPECT_GT(calls, 1);
  calls = 0;
  ASSERT_TRUE(db->Scan(id, 0, 1000, [&](std::span<const Sample>) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2);
}

// Reference implementation: aggregate the raw samples directly.
std::vector<Bucket> BruteForce(const std::vector<Sample>& raw, TimestampNs from, TimestampNs to, int64_t step) {
  std::vector<Bucket> out;
  for (const Sample& s : raw) {
    if (s.ts_ns < from || s.ts_ns > to) continue;
    TimestampNs b = s.ts_ns / step * step;
    if (s.ts_ns < 0 && s.ts_ns % step) b -= step;
    if (out.empty() || out.back().start != b) out.push_back(Bucket{b, s.value, s.value, 0, 0, 0});
    Bucket& k = out.back();
    k.min = std::fmin(k.min, s.value);
    k.max = std::fmax(k.max, s.value);
    k.sum += s.value;
    k.last = s.value;
    ++k.count;
  }
  return out;
}

TEST_F(TsdbTest, DownsampledMatchesBruteForceWithAndWithoutSummaries) {
  auto db = OpenDb();
  SeriesId id = MustResolve(*db, "m");
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(100, 15);
  std::vector<Sample> raw;
  TimestampNs t = kT0;
  for (int i = 0; i < 5000; ++i) {
    t += kSec + static_cast<int64_t>(rng() % 1000);
    raw.push_back({id, t, std::round(noise(rng) * 100) / 100});
  }
  ASSERT_TRUE(db->Append(raw).ok());
  ASSERT_TRUE(db->PersistChunks().ok());
  for (int64_t step : {int64_t{7} * kSec, 60 * kSec, 600 * kSec, 3600 * kSec}) {
    for (auto [from, to] : {std::pair{kT0, t}, std::pair{kT0 + 333 * kSec, kT0 + 4000 * kSec}}) {
      auto got = db->ReadDownsampled(id, from, to, step);
      ASSERT_TRUE(got.ok());
      auto want = BruteForce(raw, from, to, step);
      ASSERT_EQ(got->size(), want.size()) << step;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ((*got)[i].start, want[i].start);
        EXPECT_EQ((*got)[i].count, want[i].count);
        EXPECT_EQ((*got)[i].min, want[i].min);
        EXPECT_EQ((*got)[i].max, want[i].max);
        EXPECT_EQ((*got)[i].last, want[i].last);
        EXPECT_NEAR((*got)[i].sum, want[i].sum, 1e-6 * std::abs(want[i].sum));
      }
    }
  }
  EXPECT_EQ(db->ReadDownsampled(id, kT0, t, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TsdbTest, RetentionDropsOldChunksAndRollupsServeExpiredRanges) {
  auto o = Options();
  o.raw_retention_ns = 2 * kHourNs;
  o.rollup_1m_retention_ns = 6 * kHourNs;
  o.rollup_1h_retention_ns = 24 * kHourNs;
  o.segment_max_bytes = 256;  // many small segments so whole files expire
  const TimestampNs base = 1'699'999'200LL * kSec;  // hour aligned
  auto db = OpenDb(o);
  SeriesId id = MustResolve(*db, "m");
  // 4 hours of 10 s samples: value = minute index, so 1 m rollups are easy to check.
  std::vector<Sample> raw;
  for (int i = 0; i < 4 * 360; ++i) raw.push_back({id, base + i * 10 * kSec, static_cast<double>(i / 6)});
  for (size_t i = 0; i < raw.size(); i += 100) {
    std::span<const Sample> part(raw.data() + i, std::min<size_t>(100, raw.size() - i));
    ASSERT_TRUE(db->Append(part).ok());
    ASSERT_TRUE(db->PersistChunks().ok());  // persisting often spreads chunks over segments
  }
  ASSERT_TRUE(db->SealAll().ok());
  const TimestampNs end = raw.back().ts_ns;
  clock_.Set(end + kSec);
  const auto segments_before = std::distance(std::filesystem::directory_iterator(dir_.path() + "/chunks"),
                                             std::filesystem::directory_iterator{});
  ASSERT_TRUE(db->EnforceRetention(clock_.NowNs()).ok());
  const auto segments_after = std::distance(std::filesystem::directory_iterator(dir_.path() + "/chunks"),
                                            std::filesystem::directory_iterator{});
  EXPECT_LT(segments_after, segments_before);
  // Raw data older than 2 h is gone (whole chunks: a chunk goes when its newest sample expires).
  auto kept = ReadAll(*db, id);
  ASSERT_FALSE(kept.empty());
  EXPECT_GE(kept.back().ts_ns, clock_.NowNs() - 2 * kHourNs);
  EXPECT_GT(kept.front().ts_ns, base);
  EXPECT_LE(kept.front().ts_ns, clock_.NowNs() - 2 * kHourNs + 120 * 10 * kSec);
  // A 1-minute downsample over the whole range: rollups before the raw data, raw after; every minute
  // appears once with 6 samples.
  auto buckets = db->ReadDownsampled(id, base, end, kMinuteNs);
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->size(), 240u);
  for (size_t i = 0; i < buckets->size(); ++i) {
    EXPECT_EQ((*buckets)[i].count, 6u) << i;
    EXPECT_EQ((*buckets)[i].min, static_cast<double>(i)) << i;
    EXPECT_EQ((*buckets)[i].last, static_cast<double>(i)) << i;
  }
  // An hour step uses 1 h rollups for the expired part.
  auto hours = db->ReadDownsampled(id, base, end, kHourNs);
  ASSERT_TRUE(hours.ok());
  uint64_t total = 0;
  for (auto& b : *hours) total += b.count;
  EXPECT_EQ(total, raw.size());
  // Later the 1 m rollups expire too, while the 1 h ones are kept.
  clock_.Advance(7 * kHourNs);
  ASSERT_TRUE(db->EnforceRetention(clock_.NowNs()).ok());
  EXPECT_TRUE(ReadAll(*db, id).empty());
  buckets = db->ReadDownsampled(id, base, end, kMinuteNs);
  ASSERT_TRUE(buckets.ok());
  EXPECT_TRUE(buckets->empty());
  hours = db->ReadDownsampled(id, base, end, kHourNs);
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->size(), 4u);
  EXPECT_EQ((*hours)[0].count, 360u);
  EXPECT_EQ((*hours)[3].max, 239);
  // Survives a restart.
  db.reset();
  db = OpenDb(o);
  hours = db->ReadDownsampled(id, base, end, kHourNs);
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(hours->size(), 4u);
}

TEST_F(TsdbTest, HeadsAreSealedByAgeOnTheInjectedClock) {
  auto db = OpenDb();
  SeriesId id = MustResolve(*db, "m");
  std::vector<Sample> batch{{id, kT0, 1}, {id, kT0 + 1, 2}};
  ASSERT_TRUE(db->Append(batch).ok());
  ASSERT_TRUE(db->PersistChunks().ok());
  EXPECT_EQ(db->stats().chunks, 0u);
  clock_.Advance(2 * kHourNs);
  ASSERT_TRUE(db->PersistChunks().ok());
  EXPECT_EQ(db->stats().chunks, 1u);
  EXPECT_EQ(db->stats().samples_in_chunks, 2u);
}

TEST_F(TsdbTest, ConcurrentAppendsAndReads) {
  auto o = Options();
  o.background = true;
  o.maintenance_interval = std::chrono::milliseconds(5);
  o.checkpoint_interval = std::chrono::milliseconds(20);
  auto db = OpenDb(o);
  constexpr int kThreads = 4;
  constexpr int kBatches = 100;
  constexpr int kPerBatch = 50;
  std::vector<SeriesId> ids;
  for (int t = 0; t < kThreads; ++t) ids.push_back(MustResolve(*db, "s" + std::to_string(t)));
  SeriesId shared = MustResolve(*db, "shared");
  std::atomic<bool> done{false};
  std::jthread reader([&] {
    while (!done) {
      for (SeriesId id : ids) {
        std::vector<Sample> out;
        ASSERT_TRUE(db->ReadRange(id, 0, std::numeric_limits<TimestampNs>::max(), &out).ok());
        for (size_t i = 1; i < out.size(); ++i) ASSERT_LT(out[i - 1].ts_ns, out[i].ts_ns);
        ASSERT_TRUE(db->ReadDownsampled(id, kT0, kT0 + 1'000'000, 1000).ok());
      }
    }
  });
  {
    std::vector<std::jthread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int b = 0; b < kBatches; ++b) {
          std::vector<Sample> batch;
          for (int i = 0; i < kPerBatch; ++i) {
            batch.push_back({ids[t], kT0 + b * kPerBatch + i, static_cast<double>(i)});
            batch.push_back({shared, kT0 + (b * kPerBatch + i) * kThreads + t, 1.0});
          }
          ASSERT_TRUE(db->Append(batch).ok());
        }
      });
    }
  }
  done = true;
  reader.join();
  for (SeriesId id : ids) EXPECT_EQ(ReadAll(*db, id).size(), static_cast<size_t>(kBatches * kPerBatch));
  const auto st = db->stats();
  EXPECT_EQ(st.samples_appended + st.samples_rejected, 2u * kThreads * kBatches * kPerBatch);
  const size_t shared_count = ReadAll(*db, shared).size();
  EXPECT_EQ(shared_count, 2u * kThreads * kBatches * kPerBatch - kThreads * kBatches * kPerBatch - st.samples_rejected);
  db.reset();
  db = OpenDb(o);
  for (SeriesId id : ids) EXPECT_EQ(ReadAll(*db, id).size(), static_cast<size_t>(kBatches * kPerBatch));
  EXPECT_EQ(ReadAll(*db, shared).size(), shared_count);
}

TEST_F(TsdbTest, IntervalFsyncPolicyStillRecoversAfterClose) {
  auto o = Options();
  o.fsync_policy = FsyncPolicy::kInterval;
  o.fsync_interval = std::chrono::milliseconds(10);
  SeriesId id;
  {
    auto db = OpenDb(o);
    id = MustResolve(*db, "m");
    std::vector<Sample> batch{{id, 1, 1}, {id, 2, 2}};
    ASSERT_TRUE(db->Append(batch).ok());
  }
  auto db = OpenDb(o);
  EXPECT_EQ(ReadAll(*db, id).size(), 2u);
}

TEST_F(TsdbTest, SeriesCreatedUnderIntervalPolicySurviveReopen) {
  auto o = Options();
  o.fsync_policy = FsyncPolicy::kInterval;
  SeriesId id;
  {
    auto db = OpenDb(o);
    id = MustResolve(*db, R"(m{a="1"})");
    ASSERT_TRUE(db->Flush().ok());  // also fsyncs the series rows committed without sync
  }
  auto db = OpenDb(o);
  EXPECT_EQ(MustResolve(*db, R"(m{a="1"})"), id);
}

TEST_F(TsdbTest, WithoutWalACleanCloseSealsTheHeads) {
  auto o = Options();
  o.wal = false;
  SeriesId id;
  {
    auto db = OpenDb(o);
    id = MustResolve(*db, "m");
    std::vector<Sample> batch;
    for (int i = 0; i < 130; ++i) batch.push_back({id, kT0 + i, 1.0});
    ASSERT_TRUE(db->Append(batch).ok());
    EXPECT_EQ(db->stats().wal_bytes, 0u);
    EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wal"));
  }
  auto db = OpenDb(o);
  EXPECT_EQ(ReadAll(*db, id).size(), 130u);
  EXPECT_EQ(db->stats().chunks, 2u);
}

TEST_F(TsdbTest, OpenRejectsBadOptions) {
  TsdbOptions o;
  EXPECT_EQ(Tsdb::Open(o, clock_).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foresight::storage::tsdb

namespace foresight::storage::tsdb {
namespace {

// Two stores on one directory would rotate and delete each other's WAL segments (seen when a second
// `foresight serve` started before the first had exited): the second open is refused, naming the
// directory and the holder, and succeeds once the first is closed.
TEST_F(TsdbTest, ASecondOpenOfTheSameDirectoryIsRefusedUntilTheFirstCloses) {
  auto first = OpenDb();
  ASSERT_NE(first, nullptr);
  auto second = Tsdb::Open(Options(), clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another process (pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.status().message();
  first.reset();
  auto third = Tsdb::Open(Options(), clock_);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

}  // namespace
}  // namespace foresight::storage::tsdb
