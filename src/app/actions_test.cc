#include "app/actions.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace foresight::app {
namespace {

TEST(ActionCatalogTest, BuiltinCatalogueParsesAndCoversTheCommonResources) {
  const ActionCatalog& c = ActionCatalog::Default();
  ASSERT_GE(c.entries().size(), 8u);
  for (const char* resource : {"db_connections", "memory_used_percent", "host_disk_used_bytes", "host_fds_allocated",
                               "cpu_usage_percent", "response_time_ms", "error_rate"}) {
    auto steps = c.For(resource, "forecast");
    ASSERT_FALSE(steps.empty()) << resource;
    EXPECT_NE(steps, c.For("something_unknown")) << resource << " fell through to the default entry";
  }
  EXPECT_NE(c.For("db_connections")[0].find("pg_stat_activity"), std::string::npos);
  EXPECT_FALSE(c.For("something_unknown").empty());  // the default entry
}

TEST(ActionCatalogTest, UserEntriesComeFirstAndKindsFilter) {
  auto dir = std::filesystem::temp_directory_path() / ("actions_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "mine.yaml").string();
  std::ofstream(path) << "actions:\n"
                         "  - name: our-db\n"
                         "    match: [db_connections]\n"
                         "    kinds: [forecast]\n"
                         "    steps: [\"Page the DBA on-call\", \"Run scripts/kill-idle.sh\"]\n";
  auto c = ActionCatalog::LoadWithDefaults(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->For("db_connections", "forecast")[0], "Page the DBA on-call");
  EXPECT_NE(c->For("db_connections", "anomaly")[0], "Page the DBA on-call");  // kinds: forecast only
  EXPECT_EQ(c->For("memory_used_percent"), ActionCatalog::Default().For("memory_used_percent"));
  std::filesystem::remove_all(dir);
}

TEST(ActionCatalogTest, BadCataloguesNameTheProblemAndItsPlace) {
  auto bad_key = ActionCatalog::Parse("actions:\n  - match: [x]\n    steps: [a]\n    colour: red\n", "f.yaml");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("f.yaml:4:5"), std::string::npos) << bad_key.status().ToString();
  EXPECT_NE(bad_key.status().message().find("colour"), std::string::npos);
  auto no_steps = ActionCatalog::Parse("actions:\n  - match: [x]\n", "f.yaml");
  ASSERT_FALSE(no_steps.ok());
  EXPECT_NE(no_steps.status().message().find("step"), std::string::npos);
  auto bad_kind = ActionCatalog::Parse("actions:\n  - match: [x]\n    kinds: [guess]\n    steps: [a]\n", "f.yaml");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_FALSE(ActionCatalog::Parse("nothing: here\n", "f.yaml").ok());
  EXPECT_EQ(ActionCatalog::LoadWithDefaults("/nonexistent/actions.yaml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace foresight::app
