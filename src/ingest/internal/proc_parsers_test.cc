#include "ingest/internal/proc_parsers.h"

#include <gtest/gtest.h>

namespace foresight::ingest::internal {
namespace {

TEST(ProcParsersTest, ProcStatReadsAggregateAndCoresAndProcs) {
  // From a real 2-core machine (guest columns present and ignored).
  auto s = ParseProcStat(
      "cpu  11482 0 4251 264271 575 0 82 40 0 0\n"
      "cpu0 5599 0 1554 133124 53 0 6 16 0 0\n"
      "cpu1 5883 0 2697 131147 522 0 75 23 0 0\n"
      "intr 270724 0 0 0\n"
      "ctxt 474290\nbtime 1795505141\nprocesses 6715\nprocs_running 3\nprocs_blocked 1\n");
  ASSERT_EQ(s.cpus.size(), 3u);
  EXPECT_EQ(s.cpus[0].cpu, "");
  EXPECT_EQ(s.cpus[1].cpu, "0");
  EXPECT_EQ(s.cpus[0].jiffies[0], 11482u);
  EXPECT_EQ(s.cpus[0].jiffies[3], 264271u);
  EXPECT_EQ(s.cpus[0].jiffies[7], 40u);
  EXPECT_EQ(s.cpus[0].total(), 11482u + 4251 + 264271 + 575 + 82 + 40);
  EXPECT_EQ(s.procs_running, 3u);
  EXPECT_EQ(s.procs_blocked, 1u);
}

TEST(ProcParsersTest, ProcStatOldKernelWithoutStealLeavesItZero) {
  auto s = ParseProcStat("cpu 1 2 3 4 5 6 7\n");
  ASSERT_EQ(s.cpus.size(), 1u);
  EXPECT_EQ(s.cpus[0].jiffies[6], 7u);
  EXPECT_EQ(s.cpus[0].jiffies[7], 0u);
}

TEST(ProcParsersTest, MeminfoConvertsKilobytesToBytes) {
  auto m = ParseMeminfo("MemTotal:       24668920 kB\nMemAvailable:   23000000 kB\nHugePages_Total:       0\n");
  EXPECT_EQ(m["MemTotal"], 24668920ull * 1024);
  EXPECT_EQ(m["MemAvailable"], 23000000ull * 1024);
  EXPECT_EQ(m["HugePages_Total"], 0u);
}

TEST(ProcParsersTest, LoadavgReadsLoadsAndThreads) {
  auto l = ParseLoadavg("0.40 0.18 0.09 1/90 6713\n");
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->load1, 0.40);
  EXPECT_DOUBLE_EQ(l->load15, 0.09);
  EXPECT_EQ(l->runnable, 1u);
  EXPECT_EQ(l->threads, 90u);
  EXPECT_FALSE(ParseLoadavg("garbage"));
}

TEST(ProcParsersTest, DiskstatsReadsCountersOfEachDevice) {
  auto d = ParseDiskstats(
      "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
      " 254       0 vda 62436 10849 4966434 24405 32759 15139 2321800 6571 0 9968 31359 4161 53 645640 336 1158 45\n");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].device, "vda");
  EXPECT_EQ(d[1].reads, 62436u);
  EXPECT_EQ(d[1].sectors_read, 4966434u);
  EXPECT_EQ(d[1].writes, 32759u);
  EXPECT_EQ(d[1].sectors_written, 2321800u);
  EXPECT_EQ(d[1].io_ms, 9968u);
}

TEST(ProcParsersTest, NetDevSkipsHeadersAndReadsRxTx) {
  auto n = ParseNetDev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
      "carrier compressed\n"
      "    lo:   10524      69    0    0    0     0          0         0    10524      69    0    0    0     0       0 "
      "         0\n"
      "  eth0: 90303204    1871    2    3    0     0          0         0    90159    1064    4    5    0     0       "
      "0          0\n");
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[1].device, "eth0");
  EXPECT_EQ(n[1].rx_bytes, 90303204u);
  EXPECT_EQ(n[1].rx_packets, 1871u);
  EXPECT_EQ(n[1].rx_errors, 2u);
  EXPECT_EQ(n[1].rx_drops, 3u);
  EXPECT_EQ(n[1].tx_bytes, 90159u);
  EXPECT_EQ(n[1].tx_errors, 4u);
  EXPECT_EQ(n[1].tx_drops, 5u);
}

TEST(ProcParsersTest, TcpStatesAreCountedFromHexColumn) {
  std::array<uint64_t, 12> counts{};
  CountTcpStates(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1161 1 0 100 0 0 10 0\n"
      "   1: 0100007F:07E8 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 1162 1 0 100 0 0 10 0\n"
      "   2: 0100007F:07E8 0100007F:A1B3 06 00000000:00000000 00:00000000 00000000     0        0 0 1 0 100 0 0 10 0\n"
      "   3: 0100007F:07E8 0100007F:A1B4 01 00000000:00000000 00:00000000 00000000     0        0 1163 1 0 100 0 0 10 0\n",
      &counts);
  EXPECT_EQ(counts[0], 2u);  // established
  EXPECT_EQ(counts[5], 1u);  // time_wait
  EXPECT_EQ(counts[9], 1u);  // listen
  EXPECT_EQ(kTcpStateNames[9], "listen");
}

TEST(ProcParsersTest, FileNrSubtractsFreeHandles) {
  auto f = ParseFileNr("477\t0\t2466170\n");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->allocated, 477u);
  EXPECT_EQ(f->max, 2466170u);
  EXPECT_EQ(ParseFileNr("100 20 300")->allocated, 80u);
}

TEST(ProcParsersTest, MountsDecodeOctalEscapes) {
  auto m = ParseMounts("/dev/vda / ext4 rw,relatime 0 0\n/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].mount_point, "/");
  EXPECT_EQ(m[1].mount_point, "/mnt/my disk");
  EXPECT_EQ(m[1].fs_type, "ext4");
}

TEST(ProcParsersTest, PidStatHandlesParenthesesInCommand) {
  auto p = ParsePidStat(
      "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 7 0 100 1000 50 18446744073709551615\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->state, 'S');
  EXPECT_EQ(p->threads, 7u);
  EXPECT_FALSE(ParsePidStat("1234 no parens"));
}

TEST(ProcParsersTest, PartitionNamesMapToTheirDisk) {
  EXPECT_EQ(ParentDiskByName("sda1"), "sda");
  EXPECT_EQ(ParentDiskByName("vdb12"), "vdb");
  EXPECT_EQ(ParentDiskByName("nvme0n1p2"), "nvme0n1");
  EXPECT_EQ(ParentDiskByName("mmcblk0p1"), "mmcblk0");
  EXPECT_EQ(ParentDiskByName("nvme0n1"), "");
  EXPECT_EQ(ParentDiskByName("sda"), "");
  EXPECT_EQ(ParentDiskByName("dm-0"), "");
  EXPECT_TRUE(IsIgnoredBlockDevice("loop3"));
  EXPECT_TRUE(IsIgnoredBlockDevice("zram0"));
  EXPECT_FALSE(IsIgnoredBlockDevice("vda"));
  EXPECT_TRUE(IsPseudoFilesystem("tmpfs"));
  EXPECT_FALSE(IsPseudoFilesystem("ext4"));
}

}  // namespace
}  // namespace foresight::ingest::internal
