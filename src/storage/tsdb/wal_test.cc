#include "storage/tsdb/wal.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "storage/tsdb/test_util.h"

namespace foresight::storage::tsdb {
namespace {

std::vector<Sample> ReplayAll(const WalOptions& o, std::unique_ptr<Wal>* keep = nullptr) {
  std::vector<Sample> out;
  auto wal = Wal::Open(o, [&](WalRecordType t, std::string_view p) {
    if (t != WalRecordType::kSamples) return;
    size_t n = p.size() / sizeof(Sample);
    size_t old = out.size();
    out.resize(old + n);
    std::memcpy(out.data() + old, p.data(), p.size());
  });
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  if (keep && wal.ok()) *keep = std::move(wal).value();
  return out;
}

std::vector<std::filesystem::path> Segments(const std::string& dir) {
  std::vector<std::filesystem::path> v;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".wal") v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  return v;
}

TEST(WalTest, ReplaysAcknowledgedBatchesInOrder) {
  TempDir dir;
  CapturingLogger log;
  WalOptions o{dir.path(), FsyncPolicy::kEveryBatch, std::chrono::milliseconds(100), log.logger};
  {
    std::unique_ptr<Wal> wal;
    EXPECT_TRUE(ReplayAll(o, &wal).empty());
    for (int b = 0; b < 10; ++b) {
      std::vector<Sample> batch;
      for (int i = 0; i < 5; ++i) batch.push_back({1, b * 5 + i, b * 0.5});
      ASSERT_TRUE(wal->AppendSamples(batch).ok());
    }
  }
  auto got = ReplayAll(o);
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(got[i].ts_ns, i);
  EXPECT_EQ(log.warnings(), 0);
}

TEST(WalTest, TornLastRecordIsCutOffWithWarning) {
  TempDir dir;
  CapturingLogger log;
  WalOptions o{dir.path(), FsyncPolicy::kEveryBatch, std::chrono::milliseconds(100), log.logger};
  {
    std::unique_ptr<Wal> wal;
    ReplayAll(o, &wal);
    for (int b = 0; b < 3; ++b) {
      std::vector<Sample> batch{{1, b, 1.0}, {2, b, 2.0}};
      ASSERT_TRUE(wal->AppendSamples(batch).ok());
    }
  }
  auto seg = Segments(dir.path()).back();
  const auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 5);  // tear the last record
  auto got = ReplayAll(o);
  EXPECT_EQ(got.size(), 4u);
  EXPECT_GE(log.warnings(), 1);
  EXPECT_NE(log.text().find("cutting off"), std::string::npos) << log.text();
  // The cut is permanent: a second open sees a clean log.
  CapturingLogger log2;
  o.logger = log2.logger;
  EXPECT_EQ(ReplayAll(o).size(), 4u);
  EXPECT_EQ(log2.warnings(), 0);
}

TEST(WalTest, FlippedByteStopsReplayAtThatRecord) {
  TempDir dir;
  CapturingLogger log;
  WalOptions o{dir.path(), FsyncPolicy::kInterval, std::chrono::milliseconds(5), log.logger};
  {
    std::unique_ptr<Wal> wal;
    ReplayAll(o, &wal);
    for (int b = 0; b < 4; ++b) {
      std::vector<Sample> batch{{1, b, 1.0}};
      ASSERT_TRUE(wal->AppendSamples(batch).ok());
    }
  }
  auto seg = Segments(dir.path()).back();
  // Records are 9 + 24 bytes after an 8-byte magic; corrupt the value of the third record.
  FlipByte(seg.string(), 8 + 2 * 33 + 9 + 20);
  auto got = ReplayAll(o);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].ts_ns, 1);
  EXPECT_NE(log.text().find("checksum mismatch"), std::string::npos) << log.text();
}

TEST(WalTest, GroupCommitFromManyThreadsLosesNothing) {
  TempDir dir;
  WalOptions o{dir.path(), FsyncPolicy::kEveryBatch, std::chrono::milliseconds(100), nullptr};
  {
    std::unique_ptr<Wal> wal;
    ReplayAll(o, &wal);
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int b = 0; b < 50; ++b) {
          std::vector<Sample> batch{{static_cast<SeriesId>(t), b, 0}, {static_cast<SeriesId>(t), b, 1}};
          ASSERT_TRUE(wal->AppendSamples(batch).ok());
        }
      });
    }
  }
  EXPECT_EQ(ReplayAll(o).size(), 400u);
}

TEST(WalTest, CheckpointReplacesCoveredSegments) {
  TempDir dir;
  WalOptions o{dir.path(), FsyncPolicy::kEveryBatch, std::chrono::milliseconds(100), nullptr};
  {
    std::unique_ptr<Wal> wal;
    ReplayAll(o, &wal);
    std::vector<Sample> a{{1, 1, 1}};
    ASSERT_TRUE(wal->AppendSamples(a).ok());
    auto upto = wal->Rotate();
    ASSERT_TRUE(upto.ok());
    std::vector<Sample> b{{1, 2, 2}};
    ASSERT_TRUE(wal->AppendSamples(b).ok());
    std::string recs;
    std::vector<Sample> snap{{7, 70, 7}};
    Wal::FrameRecord(WalRecordType::kSamples,
                     std::string_view(reinterpret_cast<const char*>(snap.data()), sizeof(Sample)), &recs);
    ASSERT_TRUE(wal->WriteCheckpoint(*upto, recs).ok());
  }
  auto got = ReplayAll(o);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].series_id, 7u);  // from the checkpoint
  EXPECT_EQ(got[1].ts_ns, 2);       // from the later segment; segment 1 is gone
}

TEST(WalTest, CorruptCheckpointRecordIsReportedAndRecordsBeforeItSurvive) {
  TempDir dir;
  CapturingLogger log;
  WalOptions o{dir.path(), FsyncPolicy::kEveryBatch, std::chrono::milliseconds(100), log.logger};
  {
    std::unique_ptr<Wal> wal;
    ReplayAll(o, &wal);
    auto upto = wal->Rotate();
    ASSERT_TRUE(upto.ok());
    std::string recs;
    for (int i = 0; i < 3; ++i) {
      Sample x{1, i, 1.0 * i};
      Wal::FrameRecord(WalRecordType::kSamples, std::string_view(reinterpret_cast<const char*>(&x), sizeof x), &recs);
    }
    ASSERT_TRUE(wal->WriteCheckpoint(*upto, recs).ok());
  }
  std::filesystem::path cp;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().starts_with("checkpoint.")) cp = e.path();
  }
  ASSERT_FALSE(cp.empty());
  FlipByte(cp.string(), 8 + 33 + 9 + 3);  // inside the second record's payload
  auto got = ReplayAll(o);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].ts_ns, 0);
  EXPECT_NE(log.text().find("checkpoint"), std::string::npos) << log.text();
}

TEST(WalTest, SegmentWithTornHeaderIsIgnored) {
  TempDir dir;
  CapturingLogger log;
  WalOptions o{dir.path(), FsyncPolicy::kEveryBatch, std::chrono::milliseconds(100), log.logger};
  {
    std::unique_ptr<Wal> wal;
    ReplayAll(o, &wal);
    Sample x{1, 5, 5};
    ASSERT_TRUE(wal->AppendSamples(std::span<const Sample>(&x, 1)).ok());
  }
  { std::ofstream(dir.path() + "/00000099.wal") << "FSW"; }  // a crash while creating a segment
  auto got = ReplayAll(o);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_NE(log.text().find("torn or bad header"), std::string::npos) << log.text();
}

}  // namespace
}  // namespace foresight::storage::tsdb
