#include "storage/sqlite/sqlite_record_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace foresight::storage {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fs_sqlite_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

std::unique_ptr<SqliteRecordStore> OpenOrDie(const std::string& path) {
  auto store = SqliteRecordStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

Prediction FullPrediction(const std::string& id) {
  Prediction p;
  p.id = id;
  p.entity = "web-3";
  p.kind = "forecast";
  p.resource = "disk_used_percent{device=\"sda1\"}";
  p.score = 0.8125;
  p.severity = Severity::kCritical;
  p.eta = 1'700'000'100'000'000'000;
  p.eta_low = 1'700'000'050'000'000'000;
  p.eta_high = 1'700'000'200'000'000'000;
  p.probability = 0.93;
  p.attributions = {{"memory_used_percent.slope_15m", 0.31, 0.5}, {"cpu \"quoted\"\n", -1.25e-7, -0.1}};
  p.evidence = "disk grew 3 %/h — ünïcode";
  p.actions = {"rotate logs", "expand volume"};
  p.model = {"holt_winters", 7};
  p.simulated = true;
  p.created_at = 1'700'000'000'000'000'001;
  p.updated_at = 1'700'000'000'500'000'000;
  p.feedback = "";
  p.closed_at = 1'700'000'000'900'000'000;
  p.details_json = R"({"limit":100,"direction":"above"})";
  return p;
}

Prediction MinimalPrediction(const std::string& id, const std::string& entity, TimestampNs updated_at,
                             Severity severity = Severity::kWarning, const std::string& kind = "anomaly") {
  Prediction p;
  p.id = id;
  p.entity = entity;
  p.kind = kind;
  p.score = 0.7;
  p.severity = severity;
  p.created_at = updated_at;
  p.updated_at = updated_at;
  return p;
}

void ExpectSamePrediction(const Prediction& a, const Prediction& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.entity, b.entity);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.resource, b.resource);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.eta, b.eta);
  EXPECT_EQ(a.eta_low, b.eta_low);
  EXPECT_EQ(a.eta_high, b.eta_high);
  EXPECT_EQ(a.probability, b.probability);
  ASSERT_EQ(a.attributions.size(), b.attributions.size());
  for (size_t i = 0; i < a.attributions.size(); ++i) {
    EXPECT_EQ(a.attributions[i].feature, b.attributions[i].feature);
    EXPECT_EQ(a.attributions[i].value, b.attributions[i].value);
    EXPECT_EQ(a.attributions[i].contribution, b.attributions[i].contribution);
  }
  EXPECT_EQ(a.evidence, b.evidence);
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_EQ(a.model.name, b.model.name);
  EXPECT_EQ(a.model.version, b.model.version);
  EXPECT_EQ(a.simulated, b.simulated);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.feedback, b.feedback);
  EXPECT_EQ(a.closed_at, b.closed_at);
  EXPECT_EQ(a.details_json.empty() ? "{}" : a.details_json, b.details_json.empty() ? "{}" : b.details_json);
}

TEST(SqliteRecordStoreTest, PredictionRoundTripsEveryFieldSet) {
  TempDir dir;
  auto store = OpenOrDie(dir.file("r.db"));
  Prediction p = FullPrediction("p1");
  ASSERT_TRUE(store->PutPrediction(p).ok());
  auto got = store->GetPrediction("p1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSamePrediction(*got, p);
}

TEST(SqliteRecordStoreTest, PredictionRoundTripsOptionalFieldsUnset) {
  TempDir dir;
  auto store = OpenOrDie(dir.file("r.db"));
  Prediction p = MinimalPrediction("p2", "db-1", 5);
  ASSERT_TRUE(store->PutPrediction(p).ok());
  auto got = store->GetPrediction("p2");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->eta.has_value());
  EXPECT_FALSE(got->eta_low.has_value());
  EXPECT_FALSE(got->eta_high.has_value());
  EXPECT_FALSE(got->probability.has_value());
  EXPECT_TRUE(got->attributions.empty());
  EXPECT_TRUE(got->actions.empty());
  ExpectSamePrediction(*got, p);
}

TEST(SqliteRecordStoreTest, GetUnknownIsNotFound) {
  auto store = OpenOrDie(":memory:");
  EXPECT_EQ(store->GetPrediction("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetAlert("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->LatestModel("e", "m").status().code(), StatusCode::kNotFound);
}

TEST(SqliteRecordStoreTest, EmptyIdsAreRejected) {
  auto store = OpenOrDie(":memory:");
  EXPECT_EQ(store->PutPrediction(MinimalPrediction("", "e", 1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutPrediction(MinimalPrediction("x", "", 1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutAlert(Alert{}).code(), StatusCode::kInvalidArgument);
}

TEST(SqliteRecordStoreTest, PutPredictionIsIdempotentAndReplaces) {
  auto store = OpenOrDie(":memory:");
  Prediction p = MinimalPrediction("p", "e", 10);
  ASSERT_TRUE(store->PutPrediction(p).ok());
  ASSERT_TRUE(store->PutPrediction(p).ok());
  p.score = 0.95;
  p.updated_at = 20;
  ASSERT_TRUE(store->PutPrediction(p).ok());
  auto all = store->ListPredictions({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].score, 0.95);
  EXPECT_EQ((*all)[0].updated_at, 20);
}

TEST(SqliteRecordStoreTest, RePutWithoutFeedbackKeepsStoredVerdict) {
  auto store = OpenOrDie(":memory:");
  Prediction p = MinimalPrediction("p", "e", 10);
  ASSERT_TRUE(store->PutPrediction(p).ok());
  ASSERT_TRUE(store->PutFeedback({"p", "confirmed", "real", "ana", 11}).ok());
  p.score = 0.9;  // the pipeline updates the prediction, unaware of the verdict
  ASSERT_TRUE(store->PutPrediction(p).ok());
  EXPECT_EQ(store->GetPrediction("p")->feedback, "confirmed");
  p.feedback = "dismissed";
  ASSERT_TRUE(store->PutPrediction(p).ok());
  EXPECT_EQ(store->GetPrediction("p")->feedback, "dismissed");
}

TEST(SqliteRecordStoreTest, ListPredictionsFiltersOrdersAndLimits) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("a", "web-1", 100, Severity::kInfo)).ok());
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("b", "web-1", 300, Severity::kCritical)).ok());
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("c", "web-2", 200, Severity::kWarning, "forecast")).ok());
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("d", "web-2", 400, Severity::kWarning)).ok());

  auto ids = [&](const PredictionFilter& f) {
    std::vector<std::string> out;
    auto r = store->ListPredictions(f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) for (const auto& p : *r) out.push_back(p.id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"d", "b", "c", "a"}));
  EXPECT_EQ(ids({.entity = "web-1"}), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(ids({.kind = "forecast"}), (std::vector<std::string>{"c"}));
  EXPECT_EQ(ids({.min_severity = Severity::kWarning}), (std::vector<std::string>{"d", "b", "c"}));
  EXPECT_EQ(ids({.min_severity = Severity::kCritical}), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids({.since = 200}), (std::vector<std::string>{"d", "b", "c"}));
  EXPECT_EQ(ids({.limit = 2}), (std::vector<std::string>{"d", "b"}));
  EXPECT_EQ(ids({.limit = 0}).size(), 4u);  // 0 = no limit
  EXPECT_EQ(ids({.entity = "web-2", .kind = "anomaly", .min_severity = Severity::kWarning, .since = 1, .limit = 10}),
            (std::vector<std::string>{"d"}));
  EXPECT_TRUE(ids({.entity = "nobody"}).empty());
}

Alert MakeAlert(const std::string& id, const std::string& entity, TimestampNs at, Severity sev = Severity::kWarning) {
  Alert a;
  a.id = id;
  a.prediction_id = "p-" + id;
  a.entity = entity;
  a.severity = sev;
  a.message = "msg " + id;
  a.created_at = at;
  return a;
}

TEST(SqliteRecordStoreTest, AlertRoundTripsEveryField) {
  auto store = OpenOrDie(":memory:");
  Alert a = MakeAlert("a1", "web-3", 42, Severity::kCritical);
  a.state = AlertState::kSilenced;
  a.channels = {"console", "webhook"};
  a.acked_by = "ops@example.com";
  a.silenced_until = 99;
  a.message = "line \"one\"\nline two";
  ASSERT_TRUE(store->PutAlert(a).ok());
  auto got = store->GetAlert("a1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, a.id);
  EXPECT_EQ(got->prediction_id, a.prediction_id);
  EXPECT_EQ(got->entity, a.entity);
  EXPECT_EQ(got->severity, a.severity);
  EXPECT_EQ(got->state, a.state);
  EXPECT_EQ(got->message, a.message);
  EXPECT_EQ(got->channels, a.channels);
  EXPECT_EQ(got->created_at, a.created_at);
  EXPECT_EQ(got->acked_by, a.acked_by);
  EXPECT_EQ(got->silenced_until, a.silenced_until);

  Alert b = MakeAlert("a2", "web-3", 43);
  ASSERT_TRUE(store->PutAlert(b).ok());
  auto got_b = store->GetAlert("a2");
  ASSERT_TRUE(got_b.ok());
  EXPECT_EQ(got_b->state, AlertState::kFiring);
  EXPECT_FALSE(got_b->silenced_until.has_value());
  EXPECT_TRUE(got_b->channels.empty());
}

TEST(SqliteRecordStoreTest, ListAlertsFiltersOrdersAndLimits) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store->PutAlert(MakeAlert("x", "web-1", 10, Severity::kInfo)).ok());
  ASSERT_TRUE(store->PutAlert(MakeAlert("y", "web-2", 30, Severity::kCritical)).ok());
  ASSERT_TRUE(store->PutAlert(MakeAlert("z", "web-1", 20, Severity::kWarning)).ok());
  ASSERT_TRUE(store->PutAlert(MakeAlert("z", "web-1", 20, Severity::kWarning)).ok());  // idempotent
  auto ids = [&](const AlertFilter& f) {
    std::vector<std::string> out;
    auto r = store->ListAlerts(f);
    EXPECT_TRUE(r.ok());
    if (r.ok()) for (const auto& a : *r) out.push_back(a.id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"y", "z", "x"}));
  EXPECT_EQ(ids({.entity = "web-1"}), (std::vector<std::string>{"z", "x"}));
  EXPECT_EQ(ids({.min_severity = Severity::kWarning}), (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(ids({.since = 20}), (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(ids({.limit = 1}), (std::vector<std::string>{"y"}));
}

TEST(SqliteRecordStoreTest, FeedbackSetsPredictionVerdictAndIsListedInOrder) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("p", "e", 1)).ok());
  ASSERT_TRUE(store->PutFeedback({"p", "confirmed", "looks real", "ana", 5}).ok());
  ASSERT_TRUE(store->PutFeedback({"p", "dismissed", "", "bo", 6}).ok());
  EXPECT_EQ(store->GetPrediction("p")->feedback, "dismissed");
  auto list = store->ListFeedback("p");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].verdict, "confirmed");
  EXPECT_EQ((*list)[0].note, "looks real");
  EXPECT_EQ((*list)[0].user, "ana");
  EXPECT_EQ((*list)[0].at, 5);
  EXPECT_EQ((*list)[1].verdict, "dismissed");
  EXPECT_TRUE(store->ListFeedback("other")->empty());
}

TEST(SqliteRecordStoreTest, FeedbackErrors) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("p", "e", 1)).ok());
  EXPECT_EQ(store->PutFeedback({"missing", "confirmed", "", "", 1}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store->PutFeedback({"p", "maybe", "", "", 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutFeedback({"p", "", "", "", 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->ListFeedback("p")->empty());     // nothing half-written
  EXPECT_TRUE(store->ListFeedback("missing")->empty());
  EXPECT_EQ(store->GetPrediction("p")->feedback, "");
}

ModelVersion MakeModel(const std::string& entity, const std::string& name, TimestampNs trained_at, int64_t version = 0) {
  ModelVersion mv;
  mv.entity = entity;
  mv.name = name;
  mv.version = version;
  mv.trained_at = trained_at;
  mv.data_from = trained_at - 100;
  mv.data_to = trained_at - 1;
  mv.rows = 12345;
  mv.path = "models/" + entity + "/" + name + ".bin";
  mv.metrics_json = R"({"q995":0.61})";
  return mv;
}

TEST(SqliteRecordStoreTest, ModelVersionsIncrementPerEntityAndName) {
  auto store = OpenOrDie(":memory:");
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-1", "iforest", 10)), 1);
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-1", "iforest", 20)), 2);
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-1", "mad", 15)), 1);
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-2", "iforest", 30)), 1);
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-1", "iforest", 40, 7)), 7);  // explicit version kept
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-1", "iforest", 40, 7)), 7);  // idempotent
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-1", "iforest", 50)), 8);

  auto latest = store->LatestModel("web-1", "iforest");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 8);
  EXPECT_EQ(latest->trained_at, 50);
  EXPECT_EQ(latest->data_from, -50);
  EXPECT_EQ(latest->data_to, 49);
  EXPECT_EQ(latest->rows, 12345u);
  EXPECT_EQ(latest->path, "models/web-1/iforest.bin");
  EXPECT_EQ(latest->metrics_json, R"({"q995":0.61})");

  auto list = store->ListModelVersions("web-1");
  ASSERT_TRUE(list.ok());
  std::vector<std::pair<std::string, int64_t>> got;
  for (const auto& mv : *list) got.emplace_back(mv.name, mv.version);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int64_t>>{
                     {"iforest", 8}, {"iforest", 7}, {"iforest", 2}, {"mad", 1}, {"iforest", 1}}));
  EXPECT_EQ(store->PutModelVersion(MakeModel("", "x", 1)).status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteRecordStoreTest, ReopeningTheFileKeepsEverything) {
  TempDir dir;
  const std::string path = dir.file("restart.db");
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store->PutPrediction(FullPrediction("p1")).ok());
    ASSERT_TRUE(store->PutFeedback({"p1", "confirmed", "n", "u", 3}).ok());
    ASSERT_TRUE(store->PutAlert(MakeAlert("a1", "web-3", 4)).ok());
    ASSERT_TRUE(store->PutModelVersion(MakeModel("web-3", "iforest", 5)).ok());
  }
  auto store = OpenOrDie(path);
  auto p = store->GetPrediction("p1");
  ASSERT_TRUE(p.ok());
  Prediction want = FullPrediction("p1");
  want.feedback = "confirmed";
  ExpectSamePrediction(*p, want);
  EXPECT_EQ(store->ListFeedback("p1")->size(), 1u);
  EXPECT_TRUE(store->GetAlert("a1").ok());
  EXPECT_EQ(store->LatestModel("web-3", "iforest")->version, 1);
  EXPECT_EQ(*store->PutModelVersion(MakeModel("web-3", "iforest", 6)), 2);  // numbering continues
}

TEST(SqliteRecordStoreTest, CommittedWritesSurviveAProcessKilledWithoutClosing) {
  TempDir dir;
  const std::string path = dir.file("killed.db");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: commit, then die by SIGKILL: no destructor, no close, no WAL checkpoint.
    auto store = SqliteRecordStore::Open(path);
    if (!store.ok()) _exit(2);
    if (!(*store)->PutPrediction(FullPrediction("survivor")).ok()) _exit(3);
    if (!(*store)->PutFeedback({"survivor", "confirmed", "", "u", 1}).ok()) _exit(4);
    raise(SIGKILL);
    _exit(5);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "child exit " << WEXITSTATUS(wstatus);
  EXPECT_TRUE(fs::exists(path + "-wal"));  // WAL mode; the commit lives in the WAL until a checkpoint
  auto store = OpenOrDie(path);
  auto p = store->GetPrediction("survivor");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->feedback, "confirmed");
  EXPECT_EQ(p->attributions.size(), 2u);
}

TEST(SqliteRecordStoreTest, OpenOnlyFilterListsPredictionsNotClosed) {
  TempDir dir;
  auto store = OpenOrDie(dir.file("r.db"));
  Prediction open = MinimalPrediction("open", "db-1", 10);
  Prediction closed = MinimalPrediction("closed", "db-1", 20);
  closed.closed_at = 25;
  ASSERT_TRUE(store->PutPrediction(open).ok());
  ASSERT_TRUE(store->PutPrediction(closed).ok());
  storage::PredictionFilter f;
  f.open_only = true;
  auto got = store->ListPredictions(f);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].id, "open");
  f.open_only = false;
  EXPECT_EQ(store->ListPredictions(f)->size(), 2u);
}

// A database written by schema 1 (before closed_at/details) opens, migrates and keeps its rows.
TEST(SqliteRecordStoreTest, MigratesASchemaOneFile) {
  TempDir dir;
  const std::string path = dir.file("v1.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 =
      "CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "INSERT INTO schema_version VALUES (1);"
      "CREATE TABLE predictions (id TEXT PRIMARY KEY, entity TEXT NOT NULL, kind TEXT NOT NULL, resource TEXT NOT NULL,"
      " score REAL NOT NULL, severity INTEGER NOT NULL, eta INTEGER, eta_low INTEGER, eta_high INTEGER, probability REAL,"
      " attributions TEXT NOT NULL, evidence TEXT NOT NULL, actions TEXT NOT NULL, model_name TEXT NOT NULL,"
      " model_version INTEGER NOT NULL, simulated INTEGER NOT NULL, created_at INTEGER NOT NULL,"
      " updated_at INTEGER NOT NULL, feedback TEXT NOT NULL);"
      "INSERT INTO predictions VALUES ('old','db-1','anomaly','cpu',0.9,2,NULL,NULL,NULL,NULL,'[]','e','[]','if',1,0,"
      " 5,6,'');"
      "CREATE TABLE alerts (id TEXT PRIMARY KEY, prediction_id TEXT NOT NULL, entity TEXT NOT NULL, severity INTEGER"
      " NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, channels TEXT NOT NULL, created_at INTEGER NOT NULL,"
      " acked_by TEXT NOT NULL, silenced_until INTEGER);"
      "CREATE TABLE feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, prediction_id TEXT NOT NULL, verdict TEXT NOT NULL,"
      " note TEXT NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL);"
      "CREATE TABLE model_versions (entity TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, trained_at"
      " INTEGER NOT NULL, data_from INTEGER NOT NULL, data_to INTEGER NOT NULL, rows INTEGER NOT NULL, path TEXT NOT"
      " NULL, metrics_json TEXT NOT NULL, PRIMARY KEY (entity, name, version));";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = OpenOrDie(path);
  auto got = store->GetPrediction("old");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->resource, "cpu");
  EXPECT_FALSE(got->closed_at.has_value());
  EXPECT_EQ(got->details_json, "{}");
}

TEST(SqliteRecordStoreTest, RefusesAFileFromANewerSchema) {
  TempDir dir;
  const std::string path = dir.file("newer.db");
  { auto store = OpenOrDie(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto r = SqliteRecordStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("99"), std::string::npos) << r.status().ToString();
}

TEST(SqliteRecordStoreTest, OpenFailsOnUnwritablePathAndOnNonDatabase) {
  TempDir dir;
  auto missing_dir = SqliteRecordStore::Open(dir.file("no/such/dir/r.db"));
  EXPECT_FALSE(missing_dir.ok());
  const std::string junk = dir.file("junk.db");
  {
    FILE* f = fopen(junk.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("this is not an sqlite database, just some text long enough to have a header......", f);
    fclose(f);
  }
  auto r = SqliteRecordStore::Open(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

TEST(SqliteRecordStoreTest, ConcurrentWritersFromSeveralThreads) {
  TempDir dir;
  auto store = OpenOrDie(dir.file("concurrent.db"));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store->PutPrediction(MinimalPrediction(id, "e" + std::to_string(t), t * 1000 + i)).ok()) ++failures;
        if (!store->GetPrediction(id).ok()) ++failures;  // read-your-writes across the reader pool
        if (!store->PutAlert(MakeAlert(id, "e" + std::to_string(t), i)).ok()) ++failures;
        if (!store->PutModelVersion(MakeModel("shared", "iforest", i)).ok()) ++failures;
        if (!store->ListPredictions({.entity = "e0", .limit = 5}).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->ListPredictions({.limit = 0})->size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(store->ListAlerts({.limit = 0})->size(), static_cast<size_t>(kThreads * kPerThread));
  // Every auto-assigned version is distinct: 1..N with no gaps or duplicates.
  EXPECT_EQ(store->LatestModel("shared", "iforest")->version, kThreads * kPerThread);
  EXPECT_EQ(store->ListModelVersions("shared")->size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(SqliteRecordStoreTest, FileDatabaseRunsInWalMode) {
  TempDir dir;
  EXPECT_EQ(OpenOrDie(dir.file("wal.db"))->journal_mode(), "wal");
  EXPECT_EQ(OpenOrDie(":memory:")->journal_mode(), "memory");
}

TEST(SqliteRecordStoreTest, DeleteBeforeKeepsRecentRowsAndJudgedPredictions) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("old", "e", 10)).ok());
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("old-judged", "e", 10)).ok());
  ASSERT_TRUE(store->PutFeedback({"old-judged", "dismissed", "", "u", 11}).ok());
  ASSERT_TRUE(store->PutPrediction(MinimalPrediction("new", "e", 100)).ok());
  ASSERT_TRUE(store->PutAlert(MakeAlert("a-old", "e", 10)).ok());
  ASSERT_TRUE(store->PutAlert(MakeAlert("a-new", "e", 100)).ok());
  auto n = store->DeleteBefore(50);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(store->GetPrediction("old").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->GetPrediction("old-judged").ok());
  EXPECT_EQ(store->ListFeedback("old-judged")->size(), 1u);
  EXPECT_TRUE(store->GetPrediction("new").ok());
  EXPECT_EQ(store->GetAlert("a-old").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->GetAlert("a-new").ok());
}

TEST(SqliteRecordStoreTest, ReadsWorkWithoutReaderPoolAndInMemory) {
  TempDir dir;
  auto single = SqliteRecordStore::Open(dir.file("single.db"), {.read_connections = 0});
  ASSERT_TRUE(single.ok());
  ASSERT_TRUE((*single)->PutPrediction(MinimalPrediction("p", "e", 1)).ok());
  EXPECT_TRUE((*single)->GetPrediction("p").ok());
  auto mem = SqliteRecordStore::Open(":memory:", {.read_connections = 4});  // pool ignored: private db
  ASSERT_TRUE(mem.ok());
  ASSERT_TRUE((*mem)->PutPrediction(MinimalPrediction("p", "e", 1)).ok());
  EXPECT_TRUE((*mem)->GetPrediction("p").ok());
}

TEST(SqliteRecordStoreTest, TwoConnectionsToOneFileSeeEachOthersWrites) {
  TempDir dir;
  const std::string path = dir.file("shared.db");
  auto a = OpenOrDie(path);
  auto b = OpenOrDie(path);
  ASSERT_TRUE(a->PutPrediction(MinimalPrediction("p", "e", 1)).ok());
  EXPECT_TRUE(b->GetPrediction("p").ok());
  EXPECT_EQ(*a->PutModelVersion(MakeModel("e", "m", 1)), 1);
  EXPECT_EQ(*b->PutModelVersion(MakeModel("e", "m", 2)), 2);
}

}  // namespace
}  // namespace foresight::storage
