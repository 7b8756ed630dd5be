#pragma once
// BoundedQueue: the in-process "topic" between stages. Full policy is the caller's choice:
// TryPush rejects (ingest answers 429 and the client retries), PushDropOldest drops and counts.
// Thread-safe: all methods; many producers, many consumers.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace foresight {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Returns false (and leaves `item` untouched) when full or closed.
  bool TryPush(T& item) {
    {
      std::lock_guard lock(mu_);
      if (closed_ || q_.size() >= capacity_) return false;
      q_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }
  bool TryPush(T&& item) { return TryPush(item); }

  // Always enqueues (unless closed); drops the oldest item when full. Returns true if one was dropped.
  bool PushDropOldest(T item) {
    bool dropped = false;
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (q_.size() >= capacity_) {
        q_.pop_front();
        ++dropped_;
        dropped = true;
      }
      q_.push_back(std::move(item));
    }
    cv_.notify_one();
    return dropped;
  }

  // Waits up to `timeout` for an item; nullopt on timeout or when closed and empty.
  std::optional<T> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return closed_ || !q_.empty(); })) return std::nullopt;
    if (q_.empty()) return std::nullopt;
    T item = std::move(q_.front());
    q_.pop_front();
    return item;
  }

  // Closing wakes all waiters; items already queued can still be popped (drain on shutdown).
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return q_.size();
  }
  size_t capacity() const { return capacity_; }
  uint64_t dropped() const {
    std::lock_guard lock(mu_);
    return dropped_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool closed_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace foresight
