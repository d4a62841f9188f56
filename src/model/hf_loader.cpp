#include "model/hf_loader.h"

#include "tessera/error.h"

namespace tessera::model {

void load_safetensors(const std::string& path, WeightSet&) {
  throw Error(path + ": safetensors loading not implemented yet");
}

WeightSet map_hf_to_canonical(const WeightSet&, const nlohmann::json&, const std::string& where) {
  throw Error(where + ": not implemented yet");
}

}  // namespace tessera::model
