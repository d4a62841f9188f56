// Owned, 64-byte aligned storage, touched once when created so no page is first touched in a hot
// loop. A buffer can also borrow storage that something else owns (a KernelImage): it then never
// frees it.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace tessera {

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { resize(n); }
  ~AlignedBuffer() { release(); }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        owned_(std::exchange(o.owned_, true)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(owned_, o.owned_);
    return *this;
  }

  // A view of n elements at p (64-byte aligned, zeroed or filled by the caller), owned elsewhere.
  static AlignedBuffer borrow(T* p, size_t n) {
    AlignedBuffer b;
    b.data_ = p;
    b.size_ = n;
    b.owned_ = false;
    return b;
  }
  bool owned() const { return owned_; }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // Reallocates (contents are zeroed, which also touches every page).
  void resize(size_t n) {
    release();
    data_ = nullptr;
    owned_ = true;
    size_ = n;
    if (n == 0) return;
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (!data_) throw std::bad_alloc();
    std::memset(static_cast<void*>(data_), 0, bytes);
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  void release() {
    if (owned_) std::free(data_);
  }
  T* data_ = nullptr;
  size_t size_ = 0;
  bool owned_ = true;
};

}  // namespace tessera
