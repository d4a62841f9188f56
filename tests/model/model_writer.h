// In-test writers for CTranslate2 model.bin and Hugging Face model.safetensors byte layouts, so
// loader tests need no external files. Field offsets are recorded for corruption tests; tensors
// without data are written as holes (sparse files), which makes full-size large models instant.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/half.h"
#include "tessera/dtype.h"

namespace tessera::test {

struct Dims {
  int64_t d = 8, heads = 2, n_mels = 4, n_vocab = 16, enc_layers = 2, dec_layers = 2;
  int64_t audio_ctx = 6, text_ctx = 5;
};

// Released sizes (full layer counts), for family tests on sparse files.
inline Dims released(int64_t d, int64_t layers, int64_t heads, int64_t mels, int64_t vocab,
                     int64_t dec_layers = -1) {
  return {d, heads, mels, vocab, layers, dec_layers < 0 ? layers : dec_layers, 1500, 448};
}

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // empty: a hole of zeros
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
  }
};

// Deterministic, distinct values for tensor `salt`.
inline std::vector<float> pattern(int64_t n, int salt) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(((i * 7919 + salt * 104729) % 2001) - 1000) / 512.0f;
  return v;
}

inline std::vector<uint8_t> encode(const std::vector<float>& v, DType t) {
  std::vector<uint8_t> out(v.size() * dtype_size(t));
  for (size_t i = 0; i < v.size(); ++i) {
    if (t == DType::F32) {
      std::memcpy(&out[i * 4], &v[i], 4);
    } else if (t == DType::F16 || t == DType::BF16) {
      const uint16_t h = t == DType::F16 ? fp32_to_fp16(v[i]) : fp32_to_bf16(v[i]);
      std::memcpy(&out[i * 2], &h, 2);
    } else if (t == DType::I8) {
      out[i] = static_cast<uint8_t>(static_cast<int8_t>(v[i]));
    } else if (t == DType::I16) {
      const int16_t s = static_cast<int16_t>(v[i]);
      std::memcpy(&out[i * 2], &s, 2);
    } else {
      const int32_t s = static_cast<int32_t>(v[i]);
      std::memcpy(&out[i * 4], &s, 4);
    }
  }
  return out;
}

// Canonical (CTranslate2) Whisper tensors. with_data=false leaves every weight a hole. For int8,
// 2-D weights become int8 with a float32 "<name>_scale" of per-row scales.
inline std::vector<TensorSpec> canonical_tensors(const Dims& m, DType dtype, bool with_data) {
  std::vector<TensorSpec> out;
  int salt = 0;
  const int64_t d = m.d;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    TensorSpec t{name, dtype, shape, {}};
    const bool quantize = dtype == DType::I8 && shape.size() == 2 && name.ends_with("/weight");
    if (dtype == DType::I8 && !quantize) t.dtype = DType::F32;
    if (with_data) {
      std::vector<float> v = pattern(t.numel(), ++salt);
      if (quantize)
        for (float& x : v) x = std::round(x * 100);  // int8 range
      t.bytes = encode(v, t.dtype);
    }
    out.push_back(t);
    if (quantize) {
      std::vector<float> scales(static_cast<size_t>(shape[0]));
      for (size_t r = 0; r < scales.size(); ++r) scales[r] = 100.0f + static_cast<float>(r);
      out.push_back({name + "_scale", DType::F32, {shape[0]}, encode(scales, DType::F32)});
    }
  };
  auto norm = [&](const std::string& p) {
    add(p + "/gamma", {d});
    add(p + "/beta", {d});
  };
  auto linear = [&](const std::string& p, int64_t o, int64_t i) {
    add(p + "/weight", {o, i});
    add(p + "/bias", {o});
  };
  add("encoder/conv1/weight", {d, m.n_mels, 3});
  add("encoder/conv1/bias", {d});
  add("encoder/conv2/weight", {d, d, 3});
  add("encoder/conv2/bias", {d});
  add("encoder/position_encodings/encodings", {m.audio_ctx, d});
  norm("encoder/layer_norm");
  for (int64_t i = 0; i < m.enc_layers; ++i) {
    const std::string p = "encoder/layer_" + std::to_string(i) + "/";
    norm(p + "self_attention/layer_norm");
    linear(p + "self_attention/linear_0", 3 * d, d);
    linear(p + "self_attention/linear_1", d, d);
    norm(p + "ffn/layer_norm");
    linear(p + "ffn/linear_0", 4 * d, d);
    linear(p + "ffn/linear_1", d, 4 * d);
  }
  add("decoder/embeddings/weight", {m.n_vocab, d});
  add("decoder/position_encodings/encodings", {m.text_ctx, d});
  norm("decoder/layer_norm");
  for (int64_t i = 0; i < m.dec_layers; ++i) {
    const std::string p = "decoder/layer_" + std::to_string(i) + "/";
    norm(p + "self_attention/layer_norm");
    linear(p + "self_attention/linear_0", 3 * d, d);
    linear(p + "self_attention/linear_1", d, d);
    norm(p + "attention/layer_norm");
    linear(p + "attention/linear_0", d, d);
    linear(p + "attention/linear_1", 2 * d, d);
    linear(p + "attention/linear_2", d, d);
    norm(p + "ffn/layer_norm");
    linear(p + "ffn/linear_0", 4 * d, d);
    linear(p + "ffn/linear_1", d, 4 * d);
  }
  out.push_back({"encoder/num_heads", DType::I16, {}, encode({float(m.heads)}, DType::I16)});
  out.push_back({"decoder/num_heads", DType::I16, {}, encode({float(m.heads)}, DType::I16)});
  out.push_back({"decoder/activation", DType::I8, {}, {3}});
  return out;
}

// One recorded header field of a written file.
struct Field {
  std::string label;  // e.g. "num_variables", "var 3 rank"
  size_t offset;
  size_t size;
};

// Byte layout of a CTranslate2 model.bin: data chunks at offsets; gaps between them are holes.
struct Ct2File {
  std::vector<std::pair<size_t, std::vector<uint8_t>>> chunks;
  size_t size = 0;
  std::vector<Field> fields;

  void put(const void* p, size_t n, const std::string& label = "") {
    if (!label.empty()) fields.push_back({label, size, n});
    if (chunks.empty() || chunks.back().first + chunks.back().second.size() != size)
      chunks.push_back({size, {}});
    const auto* b = static_cast<const uint8_t*>(p);
    chunks.back().second.insert(chunks.back().second.end(), b, b + n);
    size += n;
  }
  template <typename T>
  void put_value(T v, const std::string& label) {
    put(&v, sizeof v, label);
  }
  void put_string(const std::string& s, const std::string& label) {
    put_value<uint16_t>(static_cast<uint16_t>(s.size() + 1), label + " length");
    std::string z = s;
    z.push_back('\0');
    put(z.data(), z.size(), label);
  }
  void hole(size_t n) { size += n; }
  // The whole file in memory (small files only).
  std::vector<uint8_t> flat() const {
    std::vector<uint8_t> out(size);
    for (const auto& [at, b] : chunks) std::copy(b.begin(), b.end(), out.begin() + at);
    return out;
  }
  const Field& field(const std::string& label) const {
    for (const Field& f : fields)
      if (f.label == label) return f;
    throw std::runtime_error("no field " + label);
  }
};

// CTranslate2 dtype id of a DType (the enum's order matches the format's ids).
inline uint8_t ct2_dtype_id(DType t) {
  return static_cast<uint8_t>(t);
}

// Serialises tensors (any order) as model.bin of the given binary version, plus aliases.
inline Ct2File make_ct2(const std::vector<TensorSpec>& tensors, uint32_t version = 6,
                        const std::vector<std::pair<std::string, std::string>>& aliases = {
                            {"decoder/projection/weight", "decoder/embeddings/weight"}}) {
  Ct2File f;
  f.put_value<uint32_t>(version, "binary_version");
  if (version >= 2) {
    f.put_string("WhisperSpec", "spec_name");
    f.put_value<uint32_t>(3, "spec_revision");
  }
  f.put_value<uint32_t>(static_cast<uint32_t>(tensors.size()), "num_variables");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& t = tensors[i];
    const std::string v = "var " + std::to_string(i);
    f.put_string(t.name, v + " name");
    f.put_value<uint8_t>(static_cast<uint8_t>(t.shape.size()), v + " rank");
    for (size_t k = 0; k < t.shape.size(); ++k)
      f.put_value<uint32_t>(static_cast<uint32_t>(t.shape[k]), v + " dim " + std::to_string(k));
    const size_t nbytes = static_cast<size_t>(t.numel()) * dtype_size(t.dtype);
    if (version >= 4) {
      f.put_value<uint8_t>(ct2_dtype_id(t.dtype), v + " dtype");
      f.put_value<uint32_t>(static_cast<uint32_t>(nbytes), v + " num_bytes");
    } else {
      f.put_value<uint8_t>(static_cast<uint8_t>(dtype_size(t.dtype)), v + " item_size");
      f.put_value<uint32_t>(static_cast<uint32_t>(t.numel()), v + " num_elements");
    }
    if (t.bytes.empty() && nbytes > 0) {
      f.hole(nbytes);
    } else {
      f.put(t.bytes.data(), t.bytes.size());
    }
  }
  if (version >= 3) {
    f.put_value<uint32_t>(static_cast<uint32_t>(aliases.size()), "num_aliases");
    for (size_t i = 0; i < aliases.size(); ++i) {
      f.put_string(aliases[i].first, "alias " + std::to_string(i) + " name");
      f.put_string(aliases[i].second, "alias " + std::to_string(i) + " target");
    }
  }
  return f;
}

// Writes the layout; holes become sparse regions of zeros.
inline void write_file(const std::string& path, const Ct2File& f) {
  std::filesystem::remove(path);  // truncating in place makes ext4 flush to disk: slow
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (const auto& [at, b] : f.chunks) {
      out.seekp(static_cast<std::streamoff>(at));
      out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
  }
  std::filesystem::resize_file(path, f.size);
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::remove(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::remove(path);
  std::ofstream(path, std::ios::trunc) << text;
}

// ---- Hugging Face ------------------------------------------------------------------------------

// HF-named Whisper tensors (separate q/k/v, no k bias, no proj_out), float dtype `dtype`.
inline std::vector<TensorSpec> hf_tensors(const Dims& m, DType dtype) {
  std::vector<TensorSpec> out;
  int salt = 1000;
  const int64_t d = m.d;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    TensorSpec t{"model." + name, dtype, shape, {}};
    t.bytes = encode(pattern(t.numel(), ++salt), dtype);
    out.push_back(t);
  };
  auto norm = [&](const std::string& p) {
    add(p + ".weight", {d});
    add(p + ".bias", {d});
  };
  auto linear = [&](const std::string& p, int64_t o, int64_t i, bool bias = true) {
    add(p + ".weight", {o, i});
    if (bias) add(p + ".bias", {o});
  };
  auto attention = [&](const std::string& p) {
    linear(p + ".q_proj", d, d);
    linear(p + ".k_proj", d, d, false);
    linear(p + ".v_proj", d, d);
    linear(p + ".out_proj", d, d);
  };
  add("encoder.conv1.weight", {d, m.n_mels, 3});
  add("encoder.conv1.bias", {d});
  add("encoder.conv2.weight", {d, d, 3});
  add("encoder.conv2.bias", {d});
  add("encoder.embed_positions.weight", {m.audio_ctx, d});
  norm("encoder.layer_norm");
  for (int64_t i = 0; i < m.enc_layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i) + ".";
    norm(p + "self_attn_layer_norm");
    attention(p + "self_attn");
    norm(p + "final_layer_norm");
    linear(p + "fc1", 4 * d, d);
    linear(p + "fc2", d, 4 * d);
  }
  add("decoder.embed_tokens.weight", {m.n_vocab, d});
  add("decoder.embed_positions.weight", {m.text_ctx, d});
  norm("decoder.layer_norm");
  for (int64_t i = 0; i < m.dec_layers; ++i) {
    const std::string p = "decoder.layers." + std::to_string(i) + ".";
    norm(p + "self_attn_layer_norm");
    attention(p + "self_attn");
    norm(p + "encoder_attn_layer_norm");
    attention(p + "encoder_attn");
    norm(p + "final_layer_norm");
    linear(p + "fc1", 4 * d, d);
    linear(p + "fc2", d, 4 * d);
  }
  return out;
}

inline const char* st_dtype(DType t) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I8:
      return "I8";
    case DType::I16:
      return "I16";
    case DType::I32:
      return "I32";
  }
  return "?";
}

// Header JSON and data block of a safetensors file (tests may edit the header before writing).
struct SafetensorsFile {
  nlohmann::json header;
  std::vector<uint8_t> data;
  std::vector<uint8_t> serialize() const {
    std::string h = header.dump();
    while (h.size() % 8) h.push_back(' ');
    const uint64_t n = h.size();
    std::vector<uint8_t> out(8 + h.size() + data.size());
    std::memcpy(out.data(), &n, 8);
    std::memcpy(out.data() + 8, h.data(), h.size());
    if (!data.empty()) std::memcpy(out.data() + 8 + h.size(), data.data(), data.size());
    return out;
  }
};

inline SafetensorsFile make_safetensors(const std::vector<TensorSpec>& tensors) {
  SafetensorsFile f;
  f.header["__metadata__"] = {{"format", "pt"}};
  for (const TensorSpec& t : tensors) {
    const size_t begin = f.data.size();
    f.data.insert(f.data.end(), t.bytes.begin(), t.bytes.end());
    f.header[t.name] = {
        {"dtype", st_dtype(t.dtype)}, {"shape", t.shape}, {"data_offsets", {begin, f.data.size()}}};
  }
  return f;
}

inline nlohmann::json hf_config(const Dims& m) {
  return {{"model_type", "whisper"},
          {"d_model", m.d},
          {"encoder_layers", m.enc_layers},
          {"decoder_layers", m.dec_layers},
          {"encoder_attention_heads", m.heads},
          {"decoder_attention_heads", m.heads},
          {"encoder_ffn_dim", 4 * m.d},
          {"decoder_ffn_dim", 4 * m.d},
          {"num_mel_bins", m.n_mels},
          {"vocab_size", m.n_vocab},
          {"max_source_positions", m.audio_ctx},
          {"max_target_positions", m.text_ctx},
          {"suppress_tokens", {1, 2}},
          {"begin_suppress_tokens", {3}}};
}

}  // namespace tessera::test
