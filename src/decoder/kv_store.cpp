#include "decoder/kv_store.h"

#include <cstring>

#include "model/half.h"

namespace tessera::decoder {

KvStore::KvStore(int slots, int layers, int d, int heads, int positions, bool half)
    : layers_(layers),
      d_(d),
      heads_(heads),
      dh_(d / heads),
      cap_(padded_positions(positions)),
      half_(half),
      esize_(half ? 2 : 4) {
  const size_t bytes = static_cast<size_t>(slots) * layers * 2 * d * cap_ * esize_;
  storage_.resize((bytes + 3) / 4);
}

unsigned char* KvStore::slot_base(int slot, int layer) const {
  auto* base = reinterpret_cast<unsigned char*>(const_cast<float*>(storage_.data()));
  return base + (static_cast<size_t>(slot) * layers_ + layer) * 2 * d_ * cap_ * esize_;
}

unsigned char* KvStore::keys(int slot, int layer, int hd) const {
  return slot_base(slot, layer) + static_cast<size_t>(hd) * cap_ * dh_ * esize_;
}

unsigned char* KvStore::values(int slot, int layer, int hd) const {
  return slot_base(slot, layer) +
         (static_cast<size_t>(d_) * cap_ + static_cast<size_t>(hd) * cap_ * dh_) * esize_;
}

HeadKv KvStore::head(int slot, int layer, int hd) const {
  return {keys(slot, layer, hd), values(slot, layer, hd), half_};
}

void KvStore::write(int slot, int layer, int pos, const float* k, const float* v) {
  for (int hd = 0; hd < heads_; ++hd) {
    const float* kh = k + hd * dh_;
    const float* vh = v + hd * dh_;
    unsigned char* kb = keys(slot, layer, hd);
    unsigned char* vb = values(slot, layer, hd) + static_cast<size_t>(pos) * dh_ * esize_;
    if (half_) {
      auto* kd = reinterpret_cast<uint16_t*>(kb);
      auto* vd = reinterpret_cast<uint16_t*>(vb);
      for (int c = 0; c < dh_; ++c) {
        kd[key_offset(pos, c, dh_)] = fp32_to_fp16(kh[c]);
        vd[c] = fp32_to_fp16(vh[c]);
      }
    } else {
      auto* kd = reinterpret_cast<float*>(kb);
      for (int c = 0; c < dh_; ++c) kd[key_offset(pos, c, dh_)] = kh[c];
      std::memcpy(vb, vh, sizeof(float) * dh_);
    }
  }
}

void KvStore::copy(int from, int to, int layer, int len) {
  if (len <= 0 || from == to) return;
  const size_t key_bytes = static_cast<size_t>(padded_positions(len)) * dh_ * esize_;
  const size_t value_bytes = static_cast<size_t>(len) * dh_ * esize_;
  for (int hd = 0; hd < heads_; ++hd) {
    std::memcpy(keys(to, layer, hd), keys(from, layer, hd), key_bytes);
    std::memcpy(values(to, layer, hd), values(from, layer, hd), value_bytes);
  }
}

}  // namespace tessera::decoder
