// foresight-forecast, the real binary, on CSV files written by the test.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "../../tests/support/subprocess.h"

namespace {

namespace fsys = std::filesystem;

class ForecastCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fsys::temp_directory_path() /
           ("forecast_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fsys::create_directories(dir_);
  }
  void TearDown() override { fsys::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // Runs the CLI; returns the exit code and the first line of its output parsed as JSON.
  int Run(const std::vector<std::string>& args, nlohmann::json* out) {
    foresight::testing::Subprocess p;
    std::vector<std::string> argv = {FORECAST_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string log = (dir_ / "out.txt").string();
    EXPECT_TRUE(p.Start(argv, log));
    int code = p.Wait(std::chrono::seconds(60));
    std::string text = p.Output();
    *out = nlohmann::json::parse(text.substr(0, text.find('\n')), nullptr, /*allow_exceptions=*/false);
    return code;
  }

  fsys::path dir_;
};

// NAB's layout: "YYYY-MM-DD HH:MM:SS",value; 3 days at 5 minutes of a daily cycle on a slow ramp.
std::string NabCsv(bool constant = false) {
  std::string s = "timestamp,value\n";
  for (int i = 0; i < 3 * 288; ++i) {
    int day = 1 + i / 288, minute = (i % 288) * 5;
    char ts[32];
    std::snprintf(ts, sizeof(ts), "2014-03-%02d %02d:%02d:00", day, minute / 60, minute % 60);
    double v = constant ? 7.0 : 50 + 0.01 * i + 10 * std::sin(2 * M_PI * i / 288.0) + 0.3 * std::sin(i * 1.7);
    s += std::string(ts) + "," + std::to_string(v) + "\n";
  }
  return s;
}

TEST_F(ForecastCliTest, ForecastsTheHeldOutTail) {
  nlohmann::json j;
  ASSERT_EQ(Run({"--input", Write("s.csv", NabCsv()), "--emit-forecast"}, &j), 0) << j.dump();
  EXPECT_EQ(j["points_test"], 86);  // 10 % of 864 rows
  EXPECT_EQ(j["points_train"], 864 - 86);
  EXPECT_EQ(j["step_s"], 300.0);
  EXPECT_TRUE(j["fit_seconds"].is_number());
  ASSERT_TRUE(j["mase"].is_number());
  EXPECT_LT(j["mase"].get<double>(), 1.0);  // a clean daily cycle: far better than a random walk
  EXPECT_NE(j["method"], "theil_sen");
  ASSERT_EQ(j["forecast"]["p50"].size(), 86u);
  EXPECT_EQ(j["forecast"]["t"][0].get<double>(), 1393632000.0 + (864 - 86) * 300);  // 2014-03-01 + head
  EXPECT_TRUE(j["describe"]["mase"].is_number());
}

TEST_F(ForecastCliTest, OneMethodOnRequest) {
  nlohmann::json j;
  ASSERT_EQ(Run({"--input", Write("s.csv", NabCsv()), "--method", "theil_sen", "--holdout", "0.2"}, &j), 0);
  EXPECT_EQ(j["method"], "theil_sen");
  EXPECT_EQ(j["points_test"], 173);
  EXPECT_FALSE(j.contains("forecast"));
}

TEST_F(ForecastCliTest, BadInputExitsTwoWithTheReason) {
  nlohmann::json j;
  EXPECT_EQ(Run({"--input", (dir_ / "missing.csv").string()}, &j), 2);
  EXPECT_EQ(j["error"], "cannot open " + (dir_ / "missing.csv").string());

  EXPECT_EQ(Run({"--input", Write("c.csv", NabCsv(true))}, &j), 2);
  EXPECT_EQ(j["error"], "constant series: all 778 points equal 7");

  std::string path = Write("bad.csv", "timestamp,value\n2014-03-01 00:00:00,1\n2014-03-01 00:05:00,abc\n");
  EXPECT_EQ(Run({"--input", path}, &j), 2);
  EXPECT_EQ(j["error"], path + ":3: bad value 'abc'");

  EXPECT_EQ(Run({"--input", Write("s.csv", NabCsv()), "--method", "arima"}, &j), 2);
  EXPECT_EQ(j["error"], "unknown --method arima");

  std::string shortfile = Write("short.csv", "timestamp,value\n1393632000,1\n1393632300,2\n");
  EXPECT_EQ(Run({"--input", shortfile}, &j), 2);
  EXPECT_EQ(j["error"], shortfile + ": 2 rows, need at least 10");
}

}  // namespace
