// Maps Hugging Face Whisper tensor names onto the canonical CTranslate2 names, fusing the separate
// q/k/v projections the way CTranslate2 stores them.
#include "model/hf_loader.h"

#include <cstring>
#include <optional>
#include <regex>
#include <set>

#include "tessera/error.h"

namespace tessera::model {
namespace {

using Storage = std::vector<uint8_t>;

class Mapper {
 public:
  Mapper(const WeightSet& hf, std::string where) : hf_(hf), where_(std::move(where)) {}

  // Returns the HF tensor called `name` (with or without the leading "model."), marking it used.
  const Tensor* take(const std::string& name) {
    for (const std::string& n : {"model." + name, name}) {
      if (const Tensor* t = hf_.find(n)) {
        used_.insert(n);
        return t;
      }
    }
    return nullptr;
  }
  const Tensor& need(const std::string& name) {
    const Tensor* t = take(name);
    if (!t) throw Error(where_ + ": required tensor 'model." + name + "' is missing");
    return *t;
  }

  void put(const std::string& canonical, const Tensor& src) {
    Tensor t = src;
    t.name = canonical;
    out_.add(std::move(t));
  }
  void rename(const std::string& hf_name, const std::string& canonical) {
    put(canonical, need(hf_name));
  }
  void rename_norm(const std::string& hf, const std::string& canonical) {
    rename(hf + ".weight", canonical + "/gamma");
    rename(hf + ".bias", canonical + "/beta");
  }
  void rename_linear(const std::string& hf, const std::string& canonical) {
    rename(hf + ".weight", canonical + "/weight");
    rename(hf + ".bias", canonical + "/bias");
  }

  // Stacks the parts' rows into one tensor; a missing bias part (Whisper's k_proj) becomes zeros.
  void fuse(const std::vector<std::string>& hf_parts, const std::string& canonical) {
    std::vector<const Tensor*> weights, biases;
    for (const std::string& p : hf_parts) {
      weights.push_back(&need(p + ".weight"));
      biases.push_back(take(p + ".bias"));
    }
    put_stacked(canonical + "/weight", weights);
    const Tensor* any_bias = nullptr;
    for (const Tensor* b : biases)
      if (b) any_bias = b;
    if (!any_bias) throw Error(where_ + ": no bias for any of " + hf_parts.front() + "...");
    std::vector<const Tensor*> filled;
    std::vector<Tensor> zeros(biases.size());
    for (size_t i = 0; i < biases.size(); ++i) {
      if (biases[i]) {
        filled.push_back(biases[i]);
      } else {
        zeros[i].name = "(zero bias of " + hf_parts[i] + ")";
        zeros[i].dtype = any_bias->dtype;
        zeros[i].shape = {weights[i]->shape.empty() ? 0 : weights[i]->shape[0]};
        filled.push_back(&zeros[i]);  // data == nullptr means zeros
      }
    }
    put_stacked(canonical + "/bias", filled);
  }

  void put_scalar(const std::string& canonical, int32_t value) {
    auto buf = std::make_shared<Storage>(4);
    std::memcpy(buf->data(), &value, 4);
    Tensor t;
    t.name = canonical;
    t.dtype = DType::I32;
    t.data = buf->data();
    out_.add(std::move(t));
    out_.keep_alive(buf);
  }

  void check_all_used() const {
    for (const auto& [name, t] : hf_.all())
      if (!used_.count(name))
        throw Error(where_ + ": unexpected tensor '" + name + "' (not part of a Whisper model)");
  }
  WeightSet finish() {
    for (const auto& s : hf_.storage()) out_.keep_alive(s);  // renamed tensors point into it
    return std::move(out_);
  }

 private:
  void put_stacked(const std::string& canonical, const std::vector<const Tensor*>& parts) {
    const Tensor& first = *parts.front();
    int64_t rows = 0;
    for (const Tensor* p : parts) {
      if (p->dtype != first.dtype || p->shape.empty() ||
          std::vector<int64_t>(p->shape.begin() + 1, p->shape.end()) !=
              std::vector<int64_t>(first.shape.begin() + 1, first.shape.end()))
        throw Error(where_ + ": cannot fuse '" + p->name + "' " + shape_string(p->shape) + " " +
                    std::string(dtype_name(p->dtype)) + " with '" + first.name + "' " +
                    shape_string(first.shape) + " " + std::string(dtype_name(first.dtype)));
      rows += p->shape[0];
    }
    Tensor t;
    t.name = canonical;
    t.dtype = first.dtype;
    t.shape = first.shape;
    t.shape[0] = rows;
    auto buf = std::make_shared<Storage>(t.nbytes());
    size_t at = 0;
    for (const Tensor* p : parts) {
      if (p->data) std::memcpy(buf->data() + at, p->data, p->nbytes());  // else stays zero
      at += p->nbytes();
    }
    t.data = buf->data();
    out_.add(std::move(t));
    out_.keep_alive(buf);
  }

  const WeightSet& hf_;
  std::string where_;
  WeightSet out_;
  std::set<std::string> used_;
};

int count_hf_layers(const WeightSet& hf, const std::string& side) {
  const std::regex re("^(model\\.)?" + side + "\\.layers\\.([0-9]{1,6})\\..*");
  int count = 0;
  std::smatch m;
  for (const auto& [name, t] : hf.all())
    if (std::regex_match(name, m, re)) count = std::max(count, std::stoi(m[2].str()) + 1);
  return count;
}

std::optional<int32_t> json_heads(const nlohmann::json& c, const char* key,
                                  const std::string& config_where) {
  if (!c.contains(key)) return std::nullopt;
  if (!c[key].is_number_integer() || c[key].get<int64_t>() <= 0 || c[key].get<int64_t>() > 4096)
    throw Error(config_where + ": field '" + key + "' must be a positive integer, found " +
                c[key].dump());
  return static_cast<int32_t>(c[key].get<int64_t>());
}

}  // namespace

WeightSet map_hf_to_canonical(const WeightSet& hf, const nlohmann::json& config,
                              const std::string& where, const std::string& config_path) {
  Mapper m(hf, where);
  const std::string e = "encoder.", d = "decoder.";
  m.rename_linear(e + "conv1", "encoder/conv1");
  m.rename_linear(e + "conv2", "encoder/conv2");
  m.rename(e + "embed_positions.weight", "encoder/position_encodings/encodings");
  m.rename_norm(e + "layer_norm", "encoder/layer_norm");
  const int enc_layers = count_hf_layers(hf, "encoder");
  for (int i = 0; i < enc_layers; ++i) {
    const std::string h = e + "layers." + std::to_string(i) + ".";
    const std::string c = "encoder/layer_" + std::to_string(i) + "/";
    m.rename_norm(h + "self_attn_layer_norm", c + "self_attention/layer_norm");
    m.fuse({h + "self_attn.q_proj", h + "self_attn.k_proj", h + "self_attn.v_proj"},
           c + "self_attention/linear_0");
    m.rename_linear(h + "self_attn.out_proj", c + "self_attention/linear_1");
    m.rename_norm(h + "final_layer_norm", c + "ffn/layer_norm");
    m.rename_linear(h + "fc1", c + "ffn/linear_0");
    m.rename_linear(h + "fc2", c + "ffn/linear_1");
  }
  m.rename(d + "embed_tokens.weight", "decoder/embeddings/weight");
  m.rename(d + "embed_positions.weight", "decoder/position_encodings/encodings");
  m.rename_norm(d + "layer_norm", "decoder/layer_norm");
  const int dec_layers = count_hf_layers(hf, "decoder");
  for (int i = 0; i < dec_layers; ++i) {
    const std::string h = d + "layers." + std::to_string(i) + ".";
    const std::string c = "decoder/layer_" + std::to_string(i) + "/";
    m.rename_norm(h + "self_attn_layer_norm", c + "self_attention/layer_norm");
    m.fuse({h + "self_attn.q_proj", h + "self_attn.k_proj", h + "self_attn.v_proj"},
           c + "self_attention/linear_0");
    m.rename_linear(h + "self_attn.out_proj", c + "self_attention/linear_1");
    m.rename_norm(h + "encoder_attn_layer_norm", c + "attention/layer_norm");
    m.rename_linear(h + "encoder_attn.q_proj", c + "attention/linear_0");
    m.fuse({h + "encoder_attn.k_proj", h + "encoder_attn.v_proj"}, c + "attention/linear_1");
    m.rename_linear(h + "encoder_attn.out_proj", c + "attention/linear_2");
    m.rename_norm(h + "final_layer_norm", c + "ffn/layer_norm");
    m.rename_linear(h + "fc1", c + "ffn/linear_0");
    m.rename_linear(h + "fc2", c + "ffn/linear_1");
  }
  // proj_out is tied to embed_tokens and usually not stored; Model::load aliases it when absent.
  if (const Tensor* proj = hf.find("proj_out.weight")) {
    m.take("proj_out.weight");
    m.put("decoder/projection/weight", *proj);
  }
  m.check_all_used();
  if (auto h = json_heads(config, "encoder_attention_heads", config_path))
    m.put_scalar("encoder/num_heads", *h);
  if (auto h = json_heads(config, "decoder_attention_heads", config_path))
    m.put_scalar("decoder/num_heads", *h);
  return m.finish();
}

}  // namespace tessera::model
