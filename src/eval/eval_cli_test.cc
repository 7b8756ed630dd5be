// The real foresight-eval binary (the same subcommands as `foresight eval`) on the unpacked NAB and SMD data:
// output layout, exit codes, sane scores. One or two NAB files only; the full corpus is `make eval`.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {
namespace fs = std::filesystem;

const std::string kBin = FORESIGHT_EVAL_BIN;
const std::string kData = FORESIGHT_EVAL_DATA;

struct Result {
  int exit_code;
  std::string out;  // stdout and stderr
};

Result Exec(const std::string& args) {
  const std::string cmd = kBin + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Result r{-1, ""};
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

fs::path TempDir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / (name + "." + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

TEST(EvalCli, NabSmokeRunWritesNabLayoutWithSaneScores) {
  const fs::path out = TempDir("eval_nab_smoke");
  const Result r = Exec("eval nab --data " + kData + "/nab --out " + out.string() + " --files art_daily_jumpsup");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("[ 1/1] artificialWithAnomaly/art_daily_jumpsup.csv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("standard"), std::string::npos);
  EXPECT_NE(r.out.find("subset of the corpus"), std::string::npos);
  const fs::path f = out / "ensemble/artificialWithAnomaly/ensemble_art_daily_jumpsup.csv";
  std::ifstream in(f);
  ASSERT_TRUE(in) << f;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "timestamp,value,anomaly_score,label");
  size_t rows = 0, labelled = 0, probation_nonzero = 0;
  double max_in = 0, max_out = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string ts, value, score, label;
    std::getline(ss, ts, ',');
    std::getline(ss, value, ',');
    std::getline(ss, score, ',');
    std::getline(ss, label, ',');
    ASSERT_EQ(ts.size(), 19u) << line;
    const double s = std::stod(score);
    ASSERT_TRUE(s >= 0 && s <= 1) << line;
    if (rows < 604) probation_nonzero += s != 0;  // 15 % of 4032 rows
    if (label == "1") {
      ++labelled;
      max_in = std::max(max_in, s);
    } else {
      max_out = std::max(max_out, s);
    }
    ++rows;
  }
  EXPECT_EQ(rows, 4032u);
  EXPECT_EQ(labelled, 403u);  // NAB's window for this file
  EXPECT_EQ(probation_nonzero, 0u);
  EXPECT_GT(max_in, 0.5);  // the jump is found inside its window
  fs::remove_all(out);
}

TEST(EvalCli, NabScoreOnlyScoresShippedResults) {
  const Result r = Exec("eval nab --data " + kData + "/nab --out " + kData + "/nab/results --detector numenta --score-only");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("standard                     70.1"), std::string::npos) << r.out;
}

TEST(EvalCli, BadInputExitsTwoNamingTheProblem) {
  Result r = Exec("eval nab --data /nonexistent --out /tmp/x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent"), std::string::npos) << r.out;
  r = Exec("eval nab --data " + kData + "/nab --out /tmp/x --detector nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown detector"), std::string::npos) << r.out;
  r = Exec("eval nab --data " + kData + "/nab --out /tmp/x --param oops");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("name=number"), std::string::npos) << r.out;
  r = Exec("eval smd --data /nonexistent");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("train"), std::string::npos) << r.out;
  r = Exec("eval");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(EvalCli, SmdReportsEveryMachineAndTheMean) {
  const fs::path out = TempDir("eval_smd");
  const Result r = Exec("eval smd --data " + kData + "/smd-dev --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* m : {"machine-1-2", "machine-1-3", "machine-2-1", "mean"}) {
    EXPECT_NE(r.out.find(m), std::string::npos) << m;
  }
  std::ifstream js(out / "summary.json");
  ASSERT_TRUE(js);
  std::string all((std::istreambuf_iterator<char>(js)), std::istreambuf_iterator<char>());
  const size_t at = all.find("\"machine\":\"mean\",\"f1\":");
  ASSERT_NE(at, std::string::npos) << all;
  const double f1 = std::stod(all.substr(at + 22));
  EXPECT_GT(f1, 0.3);  // a detector, not noise (random scores reach ~0.1 point-wise on this data)
  EXPECT_LE(f1, 1.0);
  EXPECT_TRUE(fs::exists(out / "machine-1-2_scores.csv"));
  fs::remove_all(out);
}

}  // namespace
