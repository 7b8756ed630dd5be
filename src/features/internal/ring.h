#pragma once
// Ring<T>: a growable FIFO addressed by absolute sequence numbers, the storage behind the rolling windows.
// Push and pop are O(1) (amortised: capacity doubles when full and never shrinks). Several readers (one
// per window) keep their own sequence number into the same ring, so one buffer serves every window.
// Not thread-safe; owned by one SeriesFeatures.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace foresight::features::internal {

template <typename T>
class Ring {
 public:
  Ring() : buf_(16), mask_(15) {}

  // Sequence number of the oldest element still held and one past the newest.
  uint64_t begin_seq() const { return head_; }
  uint64_t end_seq() const { return tail_; }
  size_t size() const { return static_cast<size_t>(tail_ - head_); }
  bool empty() const { return head_ == tail_; }

  // REQUIRES: begin_seq() <= seq < end_seq().
  const T& at(uint64_t seq) const {
    assert(seq >= head_ && seq < tail_);
    return buf_[seq & mask_];
  }
  const T& front() const { return at(head_); }
  const T& back() const { return at(tail_ - 1); }

  void push_back(const T& v) {
    if (size() == buf_.size()) Grow();
    buf_[tail_ & mask_] = v;
    ++tail_;
  }
  void pop_front() {
    assert(!empty());
    ++head_;
  }
  // Drops the newest element (monotonic deques pop from the back).
  void pop_back() {
    assert(!empty());
    --tail_;
  }

 private:
  void Grow() {
    std::vector<T> next(buf_.size() * 2);
    const size_t next_mask = next.size() - 1;
    for (uint64_t s = head_; s < tail_; ++s) next[s & next_mask] = buf_[s & mask_];
    buf_.swap(next);
    mask_ = next_mask;
  }

  std::vector<T> buf_;
  size_t mask_;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
};

}  // namespace foresight::features::internal
