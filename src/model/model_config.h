// Derives a ModelConfig from a canonical WeightSet (+ config.json) and checks every tensor the
// encoder and decoder need against it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tessera/model.h"

namespace tessera::model {

// Dims come from tensor shapes; head counts from the encoder/num_heads and decoder/num_heads
// scalars or config.json (encoder_attention_heads / decoder_attention_heads). Any dim that
// config.json also states must agree with the tensors. `where` names the model folder for errors;
// `config_path` names config.json (json may be null when the folder has none).
ModelConfig derive_config(const WeightSet& w, const nlohmann::json* json, const std::string& where,
                          const std::string& config_path);

// Checks presence, shape and dtype of every required tensor; throws naming the tensor.
void validate_weights(const WeightSet& w, const ModelConfig& c, const std::string& where);

}  // namespace tessera::model
