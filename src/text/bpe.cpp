#include "text/bpe.h"

#include <functional>
#include <queue>
#include <tuple>

#include "tessera/error.h"

namespace tessera::text {

BytePairEncoder::BytePairEncoder(const std::vector<std::string>& tokens_by_rank,
                                 const std::string& source) {
  size_t total = 0;
  for (const auto& t : tokens_by_rank) total += t.size();
  arena_.reserve(total);
  offsets_.reserve(tokens_by_rank.size() + 1);
  offsets_.push_back(0);
  for (const auto& t : tokens_by_rank) {
    arena_ += t;
    offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  }
  rank_of_.reserve(tokens_by_rank.size());
  for (int r = 0; r < size(); ++r) {
    // One empty token is tolerated: multilingual.tiktoken has it (rank 50256); no piece matches it.
    const std::string_view bytes = token_bytes(r);
    if (!rank_of_.emplace(bytes, r).second) {
      throw Error(source + ": token of rank " + std::to_string(r) + " repeats rank " +
                  std::to_string(rank_of_.at(bytes)));
    }
  }
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (rank_of(std::string_view(&c, 1)) < 0) {
      throw Error(source + ": byte " + std::to_string(b) +
                  " has no token (byte-level BPE needs all 256)");
    }
  }
}

void BytePairEncoder::encode_piece(std::string_view piece, std::vector<int>& out) const {
  if (piece.empty()) return;
  if (const int whole = rank_of(piece); whole >= 0) {
    out.push_back(whole);
    return;
  }
  // Parts are identified by their start offset; end[i] is the start of the next part. A candidate
  // merge (rank, start, span) is stale once its left part grew or its right part grew, which shows
  // as a different span, so stale entries are skipped when popped instead of being removed.
  const size_t n = piece.size();
  std::vector<uint32_t> end(n), prev(n);
  for (size_t i = 0; i < n; ++i) {
    end[i] = static_cast<uint32_t>(i + 1);
    prev[i] = static_cast<uint32_t>(i == 0 ? 0 : i - 1);
  }
  using Candidate = std::tuple<int, uint32_t, uint32_t>;  // rank, start, span
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push_pair = [&](uint32_t start) {
    const uint32_t right = end[start];
    if (right >= n) return;
    const uint32_t span = end[right] - start;
    const int rank = rank_of(piece.substr(start, span));
    if (rank >= 0) heap.emplace(rank, start, span);
  };
  for (uint32_t i = 0; i + 1 < n; ++i) push_pair(i);

  std::vector<bool> alive(n, true);
  while (!heap.empty()) {
    const auto [rank, start, span] = heap.top();
    heap.pop();
    if (!alive[start]) continue;
    const uint32_t right = end[start];
    if (right >= n || end[right] - start != span) continue;  // stale
    alive[right] = false;
    end[start] = end[right];
    if (end[start] < n) prev[end[start]] = start;
    if (start > 0) push_pair(prev[start]);
    push_pair(start);
  }
  for (uint32_t i = 0; i < n; i = end[i]) {
    out.push_back(rank_of(piece.substr(i, end[i] - i)));  // every merge result has a rank
  }
}

}  // namespace tessera::text
