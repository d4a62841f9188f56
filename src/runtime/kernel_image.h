// One contiguous region holding every packed weight, bias and scale a device runs a model with.
//
// The image reserves address space up front and commits pages as it fills, so each weight is
// packed once, in place, into its final home: no second allocation, no copy, no per-weight heap
// block. seal() then makes the used part read-only (a stray write is a crash, not a silently wrong
// transcript) and returns the unused reservation. Fresh pages are touched while packing, at load,
// never in a hot loop.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tessera {

class KernelImage {
 public:
  // Address space to reserve; only what allocate() hands out is ever committed.
  static constexpr size_t kDefaultReserve = size_t{64} << 30;

  explicit KernelImage(size_t reserve_bytes = kDefaultReserve);
  ~KernelImage();
  KernelImage(const KernelImage&) = delete;
  KernelImage& operator=(const KernelImage&) = delete;

  // Zero-filled, `align`-aligned (a power of two <= 4096) bytes that live as long as the image.
  // Pages are committed by their first write: packing touches weights as it writes them.
  // Throws tessera::Error once sealed or when the reservation is exhausted.
  void* allocate(size_t bytes, size_t align = 64);
  template <typename T>
  T* allocate_array(size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T) > 64 ? alignof(T) : 64));
  }

  void seal();
  bool sealed() const { return sealed_; }
  bool contains(const void* p) const;
  size_t size() const { return used_; }  // bytes handed out, with alignment padding
  const void* base() const { return base_; }

 private:
  uint8_t* base_ = nullptr;
  size_t reserved_ = 0;
  size_t committed_ = 0;  // bytes from base_ that are readable and writable
  size_t used_ = 0;
  bool sealed_ = false;
};

}  // namespace tessera
