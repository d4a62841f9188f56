// The `supported` predicates of the microkernel tables: whether this CPU has what an entry needs.
// One set for every table, so an ISA's requirement is written once.
#pragma once

#include "tessera/cpu_features.h"

namespace tessera::kernels::isa {

inline bool any() {
  return true;
}  // scalar twins
inline bool avx2_fma() {
  return cpu_features().has_avx2_fma();
}
inline bool avx_vnni() {
  return cpu_features().avx_vnni && cpu_features().has_avx2_fma();
}
inline bool avx512_vnni() {
  return cpu_features().has_avx512_core() && cpu_features().avx512vnni;
}

}  // namespace tessera::kernels::isa
