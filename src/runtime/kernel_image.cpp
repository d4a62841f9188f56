#include "runtime/kernel_image.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "tessera/error.h"

namespace tessera {
namespace {

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

// Commit in steps of this much, so packing thousands of small biases costs few mprotect calls.
constexpr size_t kCommitStep = size_t{2} << 20;

}  // namespace

KernelImage::KernelImage(size_t reserve_bytes) {
  reserved_ = round_up(reserve_bytes > 0 ? reserve_bytes : 1, page_size());
  // PROT_NONE + MAP_NORESERVE: address space only, no commit charge until mprotect.
  void* p = mmap(nullptr, reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw Error("kernel image: cannot reserve " + std::to_string(reserved_ >> 20) +
                " MiB of address space: " + std::strerror(errno));
  base_ = static_cast<uint8_t*>(p);
}

KernelImage::~KernelImage() {
  if (base_) munmap(base_, reserved_);
}

void* KernelImage::allocate(size_t bytes, size_t align) {
  if (sealed_) throw Error("kernel image: allocation after seal()");
  if (align == 0 || (align & (align - 1)) != 0 || align > 4096)
    throw Error("kernel image: alignment " + std::to_string(align) +
                " is not a power of two <= 4096");
  const size_t at = round_up(used_, align);
  if (bytes > reserved_ || at > reserved_ - bytes)
    throw Error("kernel image: " + std::to_string(bytes) + " more bytes exceed the " +
                std::to_string(reserved_ >> 20) + " MiB reserved");
  const size_t end = at + bytes;
  if (end > committed_) {
    const size_t want = std::min(reserved_, round_up(end, kCommitStep));
    if (mprotect(base_ + committed_, want - committed_, PROT_READ | PROT_WRITE) != 0)
      throw Error("kernel image: cannot commit " + std::to_string((want - committed_) >> 20) +
                  " MiB: " + std::strerror(errno));
    committed_ = want;
  }
  used_ = end;
  return base_ + at;  // anonymous pages start zeroed; the first write commits them
}

void KernelImage::seal() {
  if (sealed_) return;
  const size_t keep = round_up(used_, page_size());
  if (keep > 0 && mprotect(base_, keep, PROT_READ) != 0)
    throw Error(std::string("kernel image: cannot make it read-only: ") + std::strerror(errno));
  if (keep < reserved_) {
    munmap(base_ + keep, reserved_ - keep);
    reserved_ = keep;
    if (reserved_ == 0) base_ = nullptr;
  }
  committed_ = keep;
  sealed_ = true;
}

bool KernelImage::contains(const void* p) const {
  const auto* b = static_cast<const uint8_t*>(p);
  return base_ && b >= base_ && b < base_ + used_;
}

}  // namespace tessera
