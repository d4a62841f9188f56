#include "model/json_file.h"

#include "runtime/mapped_file.h"

namespace tessera::model {

nlohmann::json read_json_file(const std::string& path) {
  std::shared_ptr<const MappedFile> f = MappedFile::open(path);
  if (f->size() > kMaxJsonFileBytes)
    throw Error(path + ": " + std::to_string(f->size()) + " bytes is too large for a JSON file");
  const char* begin = reinterpret_cast<const char*>(f->data());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(begin, begin + f->size());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(path + ": expected a JSON object at the top level");
  return j;
}

}  // namespace tessera::model
