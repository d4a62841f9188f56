#include "decoder/sequence_slots.h"

#include <string>

#include "tessera/error.h"

namespace tessera::decoder {

SequenceSlots::SequenceSlots(int n)
    : phys_(n),
      len_(n, 0),
      window_(n, -1),
      dst_stamp_(n, 0),
      owned_stamp_(n, 0),
      claim_stamp_(n, 0),
      src_phys_(n),
      new_phys_(n),
      free_(n),
      copies_(n) {
  for (int i = 0; i < n; ++i) phys_[i] = i;
}

std::span<const SequenceSlots::Copy> SequenceSlots::plan(std::span<const int> dst,
                                                         std::span<const int> src) {
  if (dst.size() != src.size())
    throw Error("Decoder::reorder: " + std::to_string(dst.size()) + " destinations for " +
                std::to_string(src.size()) + " sources");
  const int n = static_cast<int>(dst.size());
  if (n > size()) throw Error("Decoder::reorder: more entries than sequence slots");
  ++stamp_;
  for (int i = 0; i < n; ++i) {
    for (int s : {dst[i], src[i]})
      if (s < 0 || s >= size())
        throw Error("Decoder::reorder: sequence slot " + std::to_string(s) + " outside 0.." +
                    std::to_string(size() - 1));
    if (dst_stamp_[dst[i]] == stamp_)
      throw Error("Decoder::reorder: destination sequence " + std::to_string(dst[i]) +
                  " given twice");
    dst_stamp_[dst[i]] = stamp_;
  }
  // The destinations' physical slots are up for reuse. The first destination naming a source
  // whose slot is among them takes that slot as it is; the others get a copy in a slot no
  // source needs.
  for (int i = 0; i < n; ++i) {
    src_phys_[i] = phys_[src[i]];
    owned_stamp_[phys_[dst[i]]] = stamp_;
  }
  for (int i = 0; i < n; ++i) {
    const int p = src_phys_[i];
    new_phys_[i] = -1;
    if (owned_stamp_[p] == stamp_ && claim_stamp_[p] != stamp_) {
      claim_stamp_[p] = stamp_;
      new_phys_[i] = p;
    }
  }
  int n_free = 0;
  for (int i = 0; i < n; ++i)
    if (claim_stamp_[phys_[dst[i]]] != stamp_) free_[n_free++] = phys_[dst[i]];
  int n_copies = 0, next_free = 0;
  for (int i = 0; i < n; ++i) {
    if (new_phys_[i] >= 0) continue;
    const int to = free_[next_free++];
    copies_[n_copies++] = {src_phys_[i], to, len_[src_phys_[i]]};
    new_phys_[i] = to;
  }
  return {copies_.data(), static_cast<size_t>(n_copies)};
}

void SequenceSlots::commit(std::span<const int> dst) {
  // Copies first read their source's length and window, before any slot is renamed.
  for (int i = 0; i < static_cast<int>(dst.size()); ++i) {
    if (new_phys_[i] == src_phys_[i]) continue;
    len_[new_phys_[i]] = len_[src_phys_[i]];
    window_[new_phys_[i]] = window_[src_phys_[i]];
  }
  for (int i = 0; i < static_cast<int>(dst.size()); ++i) phys_[dst[i]] = new_phys_[i];
}

}  // namespace tessera::decoder
