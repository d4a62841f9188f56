#include "decoder/kv_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/half.h"

namespace tessera::decoder {

namespace {
size_t elem_size(KvElem e) {
  return e == KvElem::F32 ? 4 : e == KvElem::F16 ? 2 : 1;
}
}  // namespace

KvStore::KvStore(int slots, int layers, int d, int heads, int positions, KvElem elem)
    : layers_(layers),
      d_(d),
      heads_(heads),
      dh_(d / heads),
      cap_(padded_positions(positions)),
      elem_(elem),
      esize_(elem_size(elem)) {
  const size_t bytes = static_cast<size_t>(slots) * layers * 2 * d * cap_ * esize_;
  storage_.resize((bytes + 3) / 4);
  if (elem == KvElem::I8) scales_.resize(static_cast<size_t>(slots) * layers * 2 * heads * cap_);
}

float* KvStore::scales(int slot, int layer, int kv, int hd) const {
  const size_t i = ((static_cast<size_t>(slot) * layers_ + layer) * 2 + kv) * heads_ + hd;
  return const_cast<float*>(scales_.data()) + i * cap_;
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
  if (elem_ != KvElem::I8) return {keys(slot, layer, hd), values(slot, layer, hd), elem_};
  return {keys(slot, layer, hd), values(slot, layer, hd), elem_, scales(slot, layer, 0, hd),
          scales(slot, layer, 1, hd)};
}

namespace {
// Symmetric int8 of n values: returns the scale (0 for an all-zero row).
float quantize_i8(const float* x, int n, int8_t* q, int64_t q_stride) {
  float amax = 0.0f;
  for (int c = 0; c < n; ++c) amax = std::max(amax, std::fabs(x[c]));
  const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  for (int c = 0; c < n; ++c)
    q[c * q_stride] = static_cast<int8_t>(std::clamp(std::nearbyint(x[c] * inv), -127.0f, 127.0f));
  return amax / 127.0f;
}
}  // namespace

void KvStore::write(int slot, int layer, int pos, const float* k, const float* v) {
  for (int hd = 0; hd < heads_; ++hd) {
    const float* kh = k + hd * dh_;
    const float* vh = v + hd * dh_;
    unsigned char* kb = keys(slot, layer, hd);
    unsigned char* vb = values(slot, layer, hd) + static_cast<size_t>(pos) * dh_ * esize_;
    if (elem_ == KvElem::I8) {
      // Keys sit channel-major inside a tile: channel c of position pos is kKeyTile apart.
      auto* kd = reinterpret_cast<int8_t*>(kb) + key_offset(pos, 0, dh_);
      scales(slot, layer, 0, hd)[pos] = quantize_i8(kh, dh_, kd, kKeyTile);
      scales(slot, layer, 1, hd)[pos] = quantize_i8(vh, dh_, reinterpret_cast<int8_t*>(vb), 1);
    } else if (elem_ == KvElem::F16) {
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
    if (elem_ == KvElem::I8)
      for (int kv = 0; kv < 2; ++kv)
        std::memcpy(scales(to, layer, kv, hd), scales(from, layer, kv, hd), sizeof(float) * len);
  }
}

}  // namespace tessera::decoder
