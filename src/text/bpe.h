// Byte-level BPE with tiktoken's semantics: a piece that is itself a token encodes to that token;
// otherwise adjacent parts are merged, lowest rank first (leftmost on ties), where a pair's rank is
// the rank of its concatenated bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::text {

class BytePairEncoder {
 public:
  // tokens_by_rank[r] holds the bytes of rank r. Throws tessera::Error (naming `source`) if a token
  // is repeated, or if one of the 256 single bytes has no rank.
  BytePairEncoder(const std::vector<std::string>& tokens_by_rank, const std::string& source);
  BytePairEncoder(const BytePairEncoder&) = delete;  // rank_of_ keys point into arena_
  BytePairEncoder& operator=(const BytePairEncoder&) = delete;

  int size() const { return static_cast<int>(offsets_.size()) - 1; }
  // Rank of exactly these bytes, or -1.
  int rank_of(std::string_view bytes) const {
    const auto it = rank_of_.find(bytes);
    return it == rank_of_.end() ? -1 : it->second;
  }
  std::string_view token_bytes(int rank) const {
    return std::string_view(arena_).substr(offsets_[rank], offsets_[rank + 1] - offsets_[rank]);
  }
  // Appends the ranks of one pre-tokenized piece. O(n log n) in the piece length.
  void encode_piece(std::string_view piece, std::vector<int>& out) const;

 private:
  std::string arena_;              // all token bytes, concatenated by rank
  std::vector<uint32_t> offsets_;  // token r is arena_[offsets_[r], offsets_[r + 1])
  std::unordered_map<std::string_view, int> rank_of_;
};

}  // namespace tessera::text
