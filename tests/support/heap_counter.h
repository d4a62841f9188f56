#pragma once
// A count of every C++ heap allocation in the test binary, so a test can assert that a hot path
// (an encode after warm-up, a decoder step) makes none. Defined in heap_counter.cpp, which
// replaces the global operator new for the whole test binary.
namespace tessera::test {
long heap_allocations();
}
