// A Whisper model loaded from disk: its configuration and one internal weight set.
//
// Weights keep their stored dtype (the file is memory-mapped; nothing is copied unless a loader has
// to reshape, e.g. fusing Hugging Face's separate q/k/v into one matrix). Names are canonical
// (CTranslate2's naming, see docs/MODEL_FORMATS.md), whatever the file format was.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tessera/dtype.h"

namespace tessera {

// Dimensions of a Whisper model, derived from the weights themselves (tensor shapes) and
// config.json.
struct ModelConfig {
  int n_mels = 80;
  int n_audio_ctx = 1500;  // encoder frames after the stride-2 conv (30 s)
  int n_audio_state = 0;   // encoder width d
  int n_audio_head = 0;
  int n_audio_layer = 0;
  int n_vocab = 0;
  int n_text_ctx = 448;
  int n_text_state = 0;
  int n_text_head = 0;
  int n_text_layer = 0;

  bool is_multilingual() const { return n_vocab >= 51865; }
  int num_languages() const { return n_vocab - 51765 - (is_multilingual() ? 1 : 0); }
  // Best-effort name of the released model these dims match ("base", "large-v3", "custom"...).
  std::string family_name() const;
};

// A view of one stored tensor. `data` points into the mapped file or into storage owned by the
// WeightSet; it is NOT necessarily aligned (CTranslate2 packs tensors back to back), so read it
// with memcpy, to_float32() or a repacking step rather than dereferencing as<float>() directly. For
// int8 weights, `scale` (float32, one per output row) is non-empty: real = int8 / scale
// (CTranslate2's convention).
struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  const float* scale = nullptr;  // int8 only: per-row scales, shape[0] of them
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  template <typename T>
  const T* as() const {
    return static_cast<const T*>(data);
  }
};

class WeightSet {
 public:
  void add(Tensor t);  // throws on a duplicate name
  bool has(const std::string& name) const;
  const Tensor& get(const std::string& name) const;  // throws tessera::Error naming the tensor
  // get() plus a shape check; throws naming the tensor, expected and found shapes.
  const Tensor& get(const std::string& name, const std::vector<int64_t>& shape) const;
  const std::map<std::string, Tensor>& all() const { return tensors_; }
  // Another name for an existing tensor (CTranslate2 aliases, e.g. decoder/projection/weight ->
  // decoder/embeddings/weight). has() and get() resolve aliases; all() lists only real tensors.
  void add_alias(const std::string& alias, const std::string& target);
  const std::map<std::string, std::string>& aliases() const { return aliases_; }
  const Tensor* find(const std::string& name) const;  // nullptr when absent; resolves aliases
  // Storage that tensors point into (mapped files, owned buffers) lives as long as the set.
  void keep_alive(std::shared_ptr<const void> storage) { storage_.push_back(std::move(storage)); }
  const std::vector<std::shared_ptr<const void>>& storage() const { return storage_; }
  int64_t parameter_count() const;  // elements of all float/int8 weight tensors (not scales)

 private:
  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::string> aliases_;
  std::vector<std::shared_ptr<const void>> storage_;
};

enum class ModelFormat { CTranslate2, SafeTensors };

struct Model {
  std::string dir;
  ModelFormat format = ModelFormat::CTranslate2;
  ModelConfig config;
  WeightSet weights;
  DType stored_dtype = DType::F32;  // dtype of the big weight matrices
  double load_ms = 0;
  std::vector<int> suppress_ids;  // from config.json when present
  std::vector<int> suppress_ids_begin;
  std::vector<std::vector<int>> alignment_heads;

  // Loads a model folder: CTranslate2 (model.bin + config.json) or Hugging Face
  // (model.safetensors + config.json). Throws tessera::Error naming the file and field on bad
  // input.
  static std::shared_ptr<const Model> load(const std::string& dir);
};

// "(3, 4)" / "(5,)": for error messages.
std::string shape_string(const std::vector<int64_t>& shape);

// Converts any stored tensor (f32/f16/bf16, or int8 with its per-row scales) to float32.
std::vector<float> to_float32(const Tensor& t);

}  // namespace tessera
