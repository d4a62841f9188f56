#include "tessera/tokenizer.h"
#include "text/utf8.h"

namespace tessera {

IncrementalDecoder::IncrementalDecoder(Tokenizer tokenizer, bool with_timestamps)
    : tokenizer_(std::move(tokenizer)), with_timestamps_(with_timestamps) {}

std::string IncrementalDecoder::push(int id) {
  const std::string_view bytes = tokenizer_.token_bytes(id);  // validates the id
  if (with_timestamps_ || id < tokenizer_.timestamp_begin()) pending_ += bytes;
  return take_complete();
}

std::string IncrementalDecoder::push(std::span<const int> ids) {
  for (const int id : ids) {
    const std::string_view bytes = tokenizer_.token_bytes(id);
    if (with_timestamps_ || id < tokenizer_.timestamp_begin()) pending_ += bytes;
  }
  return take_complete();
}

std::string IncrementalDecoder::take_complete() {
  // Everything before a still-completable tail decodes the same whatever follows, so it can go out.
  const size_t ready = pending_.size() - text::incomplete_utf8_tail(pending_);
  std::string out = text::replace_invalid_utf8(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string IncrementalDecoder::finish() {
  std::string out = text::replace_invalid_utf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace tessera
