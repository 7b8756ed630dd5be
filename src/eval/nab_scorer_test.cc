#include "eval/nab_scorer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

namespace foresight::eval::nab {
namespace {

const std::string kNab = FORESIGHT_NAB_DIR;

int64_t Minute(int m) { return int64_t{1'700'000'000} * 1'000'000 + int64_t{m} * 60'000'000; }

FileScores Series(const std::string& key, int n) {
  FileScores f;
  f.key = key;
  for (int i = 0; i < n; ++i) {
    f.timestamps.push_back(Minute(i));
    f.values.push_back(0);
    f.scores.push_back(0);
  }
  return f;
}

TEST(NabScorer, ParsesTimestampsAndProbation) {
  EXPECT_EQ(*ParseTimestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(*ParseTimestamp("2014-04-10 07:15:00.000000"), *ParseTimestamp("2014-04-10 07:15:00"));
  EXPECT_EQ(*ParseTimestamp("1970-01-02 00:00:01.5"), 86'401'500'000);
  EXPECT_FALSE(ParseTimestamp("2014-13-10 07:15:00").ok());
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  EXPECT_EQ(ProbationaryLength(4032), 604u);   // floor(0.15 * 4032)
  EXPECT_EQ(ProbationaryLength(22695), 750u);  // capped at 0.15 * 5000
}

// One window [100, 119] in 400 rows (probation 60): hand-computed scores.
TEST(NabScorer, ScoresAWindowByTheScaledSigmoidOfTheEarliestDetection) {
  Windows w{{"a/x.csv", {{Minute(100), Minute(119)}}}};
  const auto profiles = DefaultProfiles();
  auto f = Series("a/x.csv", 400);
  // A detection a quarter into the window and one false positive 10 rows after it.
  f.scores[105] = 0.9;
  f.scores[129] = 0.8;
  auto r = ScoreCorpus({f}, w, {profiles[0]});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ProfileResult& p = (*r)[0];
  auto s = [](double x) { return 2 / (1 + std::exp(5 * x)) - 1; };
  const double tp = s(-(119.0 - 105 + 1) / 20) / s(-1);
  const double fp = 0.11 * s(10.0 / 19);
  // Candidates: nothing (-1), only 0.9 (tp), both (tp + fp < tp since fp < 0): 0.9 wins.
  EXPECT_DOUBLE_EQ(p.threshold, 0.9);
  EXPECT_NEAR(p.raw, tp, 1e-12);
  EXPECT_DOUBLE_EQ(p.null_raw, -1);
  EXPECT_DOUBLE_EQ(p.perfect, 1);
  EXPECT_NEAR(p.normalized, 100 * (tp + 1) / 2, 1e-9);
  EXPECT_EQ(p.windows_detected, 1);
  EXPECT_EQ(p.fp_rows, 0);
  // Free false positives: threshold 0 catches the window's first row, worth the full tpWeight.
  auto r2 = ScoreCorpus({f}, w, {{"fp_free", {1.0, 0.0, 1.0}}});
  ASSERT_TRUE(r2.ok());
  EXPECT_DOUBLE_EQ((*r2)[0].threshold, 0);
  EXPECT_NEAR((*r2)[0].raw, 1.0, 1e-12);
  // Ties keep the highest threshold: the 0.8 false positive costs nothing, yet 0.9 stays.
  Windows w2{{"a/x.csv", {{Minute(105), Minute(119)}}}};  // 0.9 now catches the window's first row
  auto r4 = ScoreCorpus({f}, w2, {{"fp_free", {1.0, 0.0, 1.0}}});
  ASSERT_TRUE(r4.ok());
  EXPECT_DOUBLE_EQ((*r4)[0].threshold, 0.9);
  // A fixed threshold is used as given.
  auto r3 = ScoreCorpus({f}, w, {profiles[0]}, 0.15, {{"standard", 0.75}});
  ASSERT_TRUE(r3.ok());
  EXPECT_DOUBLE_EQ((*r3)[0].threshold, 0.75);
  EXPECT_NEAR((*r3)[0].raw, tp + fp, 1e-12);
  EXPECT_EQ((*r3)[0].fp_rows, 1);
}

TEST(NabScorer, ProbationaryRowsAndFalsePositivesBeforeAnyWindow) {
  Windows w{{"a/x.csv", {{Minute(300), Minute(309)}}}};
  auto f = Series("a/x.csv", 400);  // probation: rows 0..59
  f.scores[10] = 1.0;               // in probation: ignored
  f.scores[200] = 0.7;              // before the window: -fpWeight
  f.scores[300] = 0.7;              // the window's first row: +tpWeight
  auto r = ScoreCorpus({f}, w, DefaultProfiles());
  ASSERT_TRUE(r.ok());
  for (const ProfileResult& p : *r) {
    const double fpw = p.profile == "reward_low_FP_rate" ? 0.22 : 0.11;
    EXPECT_DOUBLE_EQ(p.threshold, 0.7) << p.profile;
    EXPECT_NEAR(p.raw, 1.0 - fpw, 1e-12) << p.profile;
    EXPECT_EQ(p.fp_rows, 1);
  }
}

TEST(NabScorer, PerfectAndNullDetectorsNormaliseTo100And0) {
  Windows w{{"a/x.csv", {{Minute(100), Minute(119)}, {Minute(250), Minute(260)}}}, {"b/y.csv", {}}};
  auto f = Series("a/x.csv", 400), g = Series("b/y.csv", 300);
  f.scores[100] = f.scores[250] = 1;
  auto r = ScoreCorpus({f, g}, w, DefaultProfiles());
  ASSERT_TRUE(r.ok());
  for (const ProfileResult& p : *r) EXPECT_NEAR(p.normalized, 100, 1e-9) << p.profile;
  auto n = ScoreCorpus({Series("a/x.csv", 400), g}, w, DefaultProfiles());
  ASSERT_TRUE(n.ok());
  for (const ProfileResult& p : *n) {
    EXPECT_NEAR(p.normalized, 0, 1e-9) << p.profile;
    EXPECT_DOUBLE_EQ(p.threshold, 1.1);
  }
}

TEST(NabScorer, BadInputIsAnErrorNamingTheProblem) {
  Windows w{{"a/x.csv", {{Minute(100), Minute(10000)}}}};
  auto r = ScoreCorpus({Series("a/x.csv", 400)}, w, DefaultProfiles());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("window end"), std::string::npos);
  auto r2 = ScoreCorpus({Series("c/z.csv", 10)}, w, DefaultProfiles());
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("c/z.csv"), std::string::npos);
  const std::string path = (std::filesystem::temp_directory_path() / "nab_bad_scores.csv").string();
  std::ofstream(path) << "timestamp,value,anomaly_score\n2014-01-01 00:00:00,1,0.5\n2014-01-01 00:05:00,1,x\n";
  auto r3 = ReadScoresCsv(path, "k");
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find(":3"), std::string::npos) << r3.status().ToString();
  std::filesystem::remove(path);
}

struct NumentaCorpus {
  Windows windows;
  std::vector<Profile> profiles;
  std::vector<FileScores> files;
  nlohmann::json published, thresholds;
};

NumentaCorpus LoadNumenta() {
  NumentaCorpus c;
  auto windows = LoadWindows(kNab + "/labels/combined_windows.json");
  EXPECT_TRUE(windows.ok()) << windows.status().ToString() << " (the eval_unpack_nab fixture unpacks it)";
  if (!windows.ok()) return c;
  c.windows = *windows;
  auto profiles = LoadProfiles(kNab + "/config/profiles.json");
  EXPECT_TRUE(profiles.ok()) << profiles.status().ToString();
  if (profiles.ok()) c.profiles = *profiles;
  auto files = ReadResultsDir(kNab + "/results/numenta", "numenta", c.windows);
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  if (files.ok()) c.files = std::move(*files);
  std::ifstream(kNab + "/results/final_results.json") >> c.published;
  std::ifstream(kNab + "/config/thresholds.json") >> c.thresholds;
  return c;
}

// The proof: NAB's shipped Numenta HTM results score as published (final_results.json: 70.1 / 63.1 / 74.3)
// with the threshold optimised over the whole corpus by our sweep.
TEST(NabScorer, ReproducesThePublishedNumentaScores) {
  const NumentaCorpus c = LoadNumenta();
  ASSERT_EQ(c.windows.size(), 58u);
  ASSERT_EQ(c.profiles.size(), 3u);
  ASSERT_EQ(c.files.size(), 58u);
  auto r = ScoreCorpus(c.files, c.windows, c.profiles);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const ProfileResult& p : *r) {
    EXPECT_NEAR(p.normalized, c.published["numenta"][p.profile].get<double>(), 0.2) << p.profile;
    EXPECT_EQ(p.windows, 116);
    EXPECT_DOUBLE_EQ(p.null_raw, p.profile == "reward_low_FN_rate" ? -232 : -116);
  }
  EXPECT_NEAR((*r)[0].normalized, 70.1, 0.2);
  EXPECT_NEAR((*r)[1].normalized, 63.1, 0.2);
  EXPECT_NEAR((*r)[2].normalized, 74.3, 0.2);
  // The exhaustive sweep finds the optimum: never below NAB's own (local-search) thresholds.
  for (const ProfileResult& p : *r) {
    EXPECT_GE(p.raw + 1e-9, c.thresholds["numenta"][p.profile]["score"].get<double>()) << p.profile;
  }
}

// At NAB's own thresholds (config/thresholds.json), every raw and normalised score matches to 1e-6.
TEST(NabScorer, MatchesNabExactlyAtItsOwnThresholds) {
  const NumentaCorpus c = LoadNumenta();
  ASSERT_EQ(c.files.size(), 58u);
  auto fixed = LoadThresholds(kNab + "/config/thresholds.json", "numenta");
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  auto r = ScoreCorpus(c.files, c.windows, c.profiles, 0.15, *fixed);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const ProfileResult& p : *r) {
    EXPECT_NEAR(p.raw, c.thresholds["numenta"][p.profile]["score"].get<double>(), 1e-6) << p.profile;
    EXPECT_NEAR(p.normalized, c.published["numenta"][p.profile].get<double>(), 1e-6) << p.profile;
  }
  EXPECT_FALSE(LoadThresholds(kNab + "/config/thresholds.json", "no_such_detector").ok());
}

}  // namespace
}  // namespace foresight::eval::nab
