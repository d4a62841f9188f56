// Per-thread scratch for kernels (packed A blocks, attention tiles). Allocated once per OS thread
// at first use, at a fixed capacity, so hot calls never allocate or touch fresh pages after
// warm-up.
#pragma once

#include <cstddef>

namespace tessera::kernels {

// Every kernel asks for at most this many floats (checked; larger requests throw tessera::Error).
inline constexpr size_t kThreadScratchFloats = size_t{1} << 17;  // 512 KiB

// The calling thread's scratch, 64-byte aligned, at least `floats` long.
float* thread_scratch(size_t floats);

}  // namespace tessera::kernels
