#pragma once
// A count of every C++ heap allocation in the test binary, so a test can assert that a hot path
// (an encode after warm-up, a decoder step) makes none, and the bytes live on the C++ heap with
// their high-water mark, so a test can assert that memory stays bounded (a buffer the size of a
// long input shows up in the peak). Defined in heap_counter.cpp, which replaces the global
// operator new for the whole test binary.
namespace tessera::test {
long heap_allocations();
// Bytes currently allocated through operator new (as malloc_usable_size counts them).
long long heap_live_bytes();
// The most heap_live_bytes() has been since the last reset_heap_peak() (or the start).
long long heap_peak_bytes();
void reset_heap_peak();
}  // namespace tessera::test
