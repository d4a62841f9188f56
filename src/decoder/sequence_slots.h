// Which physical KV-cache slot each sequence uses, with the slot's length and window, and the
// cache copies a beam reorder needs. Reordering mostly renames slots; only a source that several
// destinations continue is copied. Sized once; nothing allocates afterwards.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tessera::decoder {

class SequenceSlots {
 public:
  struct Copy {
    int from, to, len;  // physical slots, positions to copy
  };

  explicit SequenceSlots(int n);

  int size() const { return static_cast<int>(phys_.size()); }
  int phys(int seq) const { return phys_[seq]; }
  int length(int seq) const { return len_[phys_[seq]]; }
  int window(int seq) const { return window_[phys_[seq]]; }
  void bind(int seq, int window) {
    len_[phys_[seq]] = 0;
    window_[phys_[seq]] = window;
  }
  void grow(int seq, int n) { len_[phys_[seq]] += n; }

  // Plans "sequence dst[i] takes what sequence src[i] holds": returns the physical copies to make
  // before commit(). Throws tessera::Error on mismatched sizes, a slot out of range or a repeated
  // destination (nothing changes then).
  std::span<const Copy> plan(std::span<const int> dst, std::span<const int> src);
  // Applies the last plan once its copies are done.
  void commit(std::span<const int> dst);

 private:
  std::vector<int> phys_;    // sequence -> physical slot
  std::vector<int> len_;     // per physical slot
  std::vector<int> window_;  // per physical slot; -1: unbound
  std::vector<int64_t> dst_stamp_, owned_stamp_, claim_stamp_;
  int64_t stamp_ = 0;
  std::vector<int> src_phys_, new_phys_, free_;
  std::vector<Copy> copies_;
};

}  // namespace tessera::decoder
