#include "kernels/scratch.h"

#include <string>

#include "runtime/aligned_buffer.h"
#include "tessera/error.h"

namespace tessera::kernels {

float* thread_scratch(size_t floats) {
  if (floats > kThreadScratchFloats)
    throw Error("kernels/scratch: request of " + std::to_string(floats) +
                " floats exceeds the per-thread scratch capacity");
  thread_local AlignedBuffer<float> buffer;
  if (buffer.size() == 0) buffer.resize(kThreadScratchFloats);
  return buffer.data();
}

}  // namespace tessera::kernels
