#include "core/bounded_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace foresight {
namespace {

TEST(BoundedQueueTest, TryPushRejectsWhenFullAndKeepsItem) {
  BoundedQueue<std::string> q(2);
  EXPECT_TRUE(q.TryPush(std::string("a")));
  EXPECT_TRUE(q.TryPush(std::string("b")));
  std::string c = "c";
  EXPECT_FALSE(q.TryPush(c));
  EXPECT_EQ(c, "c");
  EXPECT_EQ(*q.Pop(std::chrono::milliseconds(0)), "a");
}

TEST(BoundedQueueTest, DropOldestCountsDrops) {
  BoundedQueue<int> q(2);
  q.PushDropOldest(1);
  q.PushDropOldest(2);
  EXPECT_TRUE(q.PushDropOldest(3));
  EXPECT_EQ(q.dropped(), 1u);
  EXPECT_EQ(*q.Pop(std::chrono::milliseconds(0)), 2);
}

TEST(BoundedQueueTest, CloseWakesConsumerAndDrains) {
  BoundedQueue<int> q(4);
  q.TryPush(7);
  std::thread t([&] { q.Close(); });
  t.join();
  EXPECT_EQ(*q.Pop(std::chrono::milliseconds(100)), 7);
  EXPECT_FALSE(q.Pop(std::chrono::milliseconds(100)).has_value());
  EXPECT_FALSE(q.TryPush(8));
}

}  // namespace
}  // namespace foresight
