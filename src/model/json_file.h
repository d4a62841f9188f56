// Reads and parses a small JSON file (config.json & co.) with a size cap and clear errors.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tessera::model {

constexpr size_t kMaxJsonFileBytes = 16u << 20;  // config.json is a few KB

// Throws tessera::Error naming the path on a missing/oversized file or a parse error.
nlohmann::json read_json_file(const std::string& path);

}  // namespace tessera::model
