#include "logs/template_miner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace foresight::logs {
namespace {

TEST(MaskVariablesTest, MasksIpv4WithAndWithoutPort) {
  EXPECT_EQ(MaskVariables("connect to 10.0.0.1 ok"), "connect to <*> ok");
  EXPECT_EQ(MaskVariables("from 192.168.1.20:50010 done"), "from <*> done");
  EXPECT_EQ(MaskVariables("src /10.250.19.102:54106"), "src /<*>");
}

TEST(MaskVariablesTest, MasksIpv6WithAndWithoutPort) {
  EXPECT_EQ(MaskVariables("peer fe80::1ff:fe23:4567:890a up"), "peer <*> up");
  EXPECT_EQ(MaskVariables("listen [2001:db8::1]:443"), "listen <*>");
}

TEST(MaskVariablesTest, MasksHexAndLongHexIds) {
  EXPECT_EQ(MaskVariables("addr 0x7fff5fbff8c8 fault"), "addr <*> fault");
  EXPECT_EQ(MaskVariables("commit 3f2a9c1b7e8d applied"), "commit <*> applied");
  // Short all-letter words made of hex letters stay.
  EXPECT_EQ(MaskVariables("added a bad cafe"), "added a bad cafe");
}

TEST(MaskVariablesTest, MasksNumbersNotGluedToLetters) {
  EXPECT_EQ(MaskVariables("took 35 ms, -1.5 delta"), "took <*> ms, <*> delta");
  EXPECT_EQ(MaskVariables("block blk_-6952295868487656571 rdd_42_20"), "block blk_<*> rdd_<*>_<*>");
  EXPECT_EQ(MaskVariables("interface eth0 up"), "interface eth0 up");
}

TEST(MaskVariablesTest, MasksPaths) {
  EXPECT_EQ(MaskVariables("open /var/log/syslog failed"), "open <*> failed");
  EXPECT_EQ(MaskVariables("file C:\\Windows\\x.dll, missing"), "file <*>, missing");
}

TEST(MaskVariablesTest, MasksUuids) {
  EXPECT_EQ(MaskVariables("instance 123e4567-e89b-12d3-a456-426614174000 spawned"), "instance <*> spawned");
}

TEST(MaskVariablesTest, MasksKeyValueValues) {
  EXPECT_EQ(MaskVariables("login user=alice uid=0 ruser="), "login user=<*> uid=<*> ruser=");
}

TEST(MaskVariablesTest, EachKindCanBeTurnedOff) {
  MaskOptions none{.ipv4 = false, .ipv6 = false, .host_ports = false, .uuid = false, .hex = false,
                   .numbers = false, .paths = false, .key_values = false};
  EXPECT_EQ(MaskVariables("a 10.0.0.1 0x1f 42 /x/y k=v", none), "a 10.0.0.1 0x1f 42 /x/y k=v");
}

TEST(TemplateMinerTest, GroupsLinesDifferingOnlyInVariables) {
  TemplateMiner miner;
  auto a = miner.Add("Received block blk_123 of size 67108864 from /10.251.42.84");
  auto b = miner.Add("Received block blk_-456 of size 3 from /10.250.7.1");
  EXPECT_TRUE(a.is_new);
  EXPECT_FALSE(b.is_new);
  EXPECT_EQ(a.template_id, b.template_id);
  EXPECT_EQ(b.template_text, "Received block blk_<*> of size <*> from /<*>");
  EXPECT_EQ(miner.size(), 1u);
}

TEST(TemplateMinerTest, DifferentLengthsAreNotMerged) {
  TemplateMiner miner;
  auto a = miner.Add("session opened for user root");
  auto b = miner.Add("session opened for user root by admin");
  EXPECT_NE(a.template_id, b.template_id);
  EXPECT_TRUE(b.is_new);
}

TEST(TemplateMinerTest, GeneralisesDifferingTokensWithWildcard) {
  TemplateMiner miner;
  miner.Add("Starting service alpha now");
  auto m = miner.Add("Starting service beta now");
  EXPECT_FALSE(m.is_new);
  EXPECT_EQ(m.template_text, "Starting service <*> now");
  auto templates = miner.templates();
  ASSERT_EQ(templates.size(), 1u);
  EXPECT_EQ(templates[0].text, "Starting service <*> now");
  EXPECT_EQ(templates[0].count, 2u);
}

TEST(TemplateMinerTest, DissimilarLinesOfSameLengthGetNewTemplates) {
  TemplateMiner miner;
  auto a = miner.Add("Starting service alpha now");
  auto b = miner.Add("Starting disk check later");
  EXPECT_TRUE(b.is_new);
  EXPECT_NE(a.template_id, b.template_id);
}

TEST(TemplateMinerTest, IdsAreStableAcrossMerges) {
  TemplateMiner miner;
  auto first = miner.Add("job finished alpha in time");
  auto other = miner.Add("disk sda is full now");
  auto merged = miner.Add("job finished beta in time");
  auto again = miner.Add("job finished gamma in time");
  EXPECT_EQ(merged.template_id, first.template_id);
  EXPECT_EQ(again.template_id, first.template_id);
  EXPECT_NE(other.template_id, first.template_id);
  auto templates = miner.templates();
  ASSERT_EQ(templates.size(), 2u);
  EXPECT_EQ(templates[first.template_id - 1].id, first.template_id);
  EXPECT_EQ(templates[first.template_id - 1].text, "job finished <*> in time");
  EXPECT_EQ(templates[first.template_id - 1].count, 3u);
}

TEST(TemplateMinerTest, IdsStayStableAsTheMinerGrows) {
  TemplateMiner miner;
  auto first = miner.Add("cache warm complete");
  std::vector<uint64_t> ids;
  std::string line = "event";
  for (int i = 0; i < 300; ++i) {
    line += " w";  // a new token count each time: never merged with an earlier line
    ids.push_back(miner.Add(line).template_id);
  }
  EXPECT_EQ(miner.Add("cache warm complete").template_id, first.template_id);
  EXPECT_EQ(miner.Add("event w").template_id, ids[0]);
  EXPECT_EQ(miner.Add(line).template_id, ids.back());
  EXPECT_EQ(miner.templates().size(), 301u);
}

TEST(TemplateMinerTest, NewTemplateFlagOnlyOnFirstLine) {
  TemplateMiner miner;
  EXPECT_TRUE(miner.Add("alpha beta gamma").is_new);
  EXPECT_FALSE(miner.Add("alpha beta gamma").is_new);
  EXPECT_TRUE(miner.Add("one two").is_new);
  EXPECT_FALSE(miner.Add("one two").is_new);
}

TEST(TemplateMinerTest, PrefixTokensWithDigitsShareTheWildcardBranch) {
  MinerOptions options;
  options.mask = false;
  TemplateMiner miner(options);
  auto a = miner.Add("n1 connected to server");
  auto b = miner.Add("n2 connected to server");
  EXPECT_EQ(a.template_id, b.template_id);
  EXPECT_EQ(b.template_text, "<*> connected to server");
}

TEST(TemplateMinerTest, MaxChildrenOverflowsToWildcardChild) {
  MinerOptions options;
  options.depth = 3;
  options.max_children = 2;
  TemplateMiner miner(options);
  auto a = miner.Add("alpha x");
  auto b = miner.Add("beta x");   // second child would fill the node: goes to <*>
  auto c = miner.Add("gamma x");  // also <*>, and similar enough to b
  EXPECT_NE(a.template_id, b.template_id);
  EXPECT_EQ(b.template_id, c.template_id);
}

TEST(TemplateMinerTest, ExtraRegexesApplyBeforeMasking) {
  MinerOptions options;
  options.extra_regexes = {"core\\.[a-z]+"};
  auto miner = TemplateMiner::Create(options);
  ASSERT_TRUE(miner.ok());
  auto a = miner->Add("dump core.abc written");
  auto b = miner->Add("dump core.xyz written");
  EXPECT_EQ(a.template_id, b.template_id);
  EXPECT_EQ(b.template_text, "dump <*> written");
}

TEST(TemplateMinerTest, CreateRejectsBadOptions) {
  MinerOptions shallow;
  shallow.depth = 2;
  EXPECT_FALSE(TemplateMiner::Create(shallow).ok());
  MinerOptions zero;
  zero.similarity_threshold = 0;
  EXPECT_FALSE(TemplateMiner::Create(zero).ok());
  MinerOptions bad_regex;
  bad_regex.extra_regexes = {"("};
  EXPECT_FALSE(TemplateMiner::Create(bad_regex).ok());
}

TEST(TemplateMinerTest, SharedMaskedValuesAreNoEvidenceOfTheSameEvent) {
  TemplateMiner miner;
  // Three of four tokens agree only because they are masked numbers; the words all differ.
  auto a = miner.Add("1 2 3 started");
  auto b = miner.Add("4 5 6 stopped");
  EXPECT_NE(a.template_id, b.template_id);
  // Lines that are identical after masking still share a template.
  EXPECT_EQ(miner.Add("7 8 9 started").template_id, a.template_id);
}

TEST(MaskVariablesTest, MasksHostPortsTimesAndValueLists) {
  EXPECT_EQ(MaskVariables("proxy.example.com:5070 open"), "<*> open");
  EXPECT_EQ(MaskVariables("lifetime 00:01 at 20:30:31.455"), "lifetime <*> at <*>");
  EXPECT_EQ(MaskVariables("from 10.0.0.1,10.0.0.2,10.0.0.3 GET"), "from <*> GET");
  EXPECT_EQ(MaskVariables("Foo.java:12)"), "<*>)");  // documented: a dotted name with a port-like suffix
  EXPECT_EQ(MaskVariables("host:"), "host:");
}

TEST(TemplateMinerTest, EmptyLineIsItsOwnTemplate) {
  TemplateMiner miner;
  auto a = miner.Add("");
  auto b = miner.Add("   ");
  EXPECT_EQ(a.template_id, b.template_id);
  EXPECT_EQ(b.template_text, "");
}

}  // namespace
}  // namespace foresight::logs
