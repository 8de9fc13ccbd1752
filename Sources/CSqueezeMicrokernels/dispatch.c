#include "squeeze_microkernels.h"

// One entry per instruction set, widest last (XNNPACK-style tables); off
// x86-64 the x86 files compile to nothing and every entry is the portable kernel.
static const squeeze_f32_igemm_fn f32_igemm[] = {
    [SQUEEZE_ISA_PORTABLE] = squeeze_f32_igemm_8x1__scalar,
#if defined(__x86_64__)
    [SQUEEZE_ISA_AVX2] = squeeze_f32_igemm_8x16__avx2,
    [SQUEEZE_ISA_AVX512] = squeeze_f32_igemm_8x48__avx512f,
#else
    [SQUEEZE_ISA_AVX2] = squeeze_f32_igemm_8x1__scalar,
    [SQUEEZE_ISA_AVX512] = squeeze_f32_igemm_8x1__scalar,
#endif
};

static const squeeze_f32_dwconv3x3_fn f32_dwconv3x3[] = {
    [SQUEEZE_ISA_PORTABLE] = squeeze_f32_dwconv3x3__scalar,
#if defined(__x86_64__)
    [SQUEEZE_ISA_AVX2] = squeeze_f32_dwconv3x3__avx2,
    [SQUEEZE_ISA_AVX512] = squeeze_f32_dwconv3x3__avx512f,
#else
    [SQUEEZE_ISA_AVX2] = squeeze_f32_dwconv3x3__scalar,
    [SQUEEZE_ISA_AVX512] = squeeze_f32_dwconv3x3__scalar,
#endif
};

squeeze_f32_dwconv3x3_fn squeeze_f32_dwconv3x3_kernel(enum squeeze_isa isa) {
    if ((unsigned)isa > SQUEEZE_ISA_AVX512) return f32_dwconv3x3[SQUEEZE_ISA_PORTABLE];
    return f32_dwconv3x3[isa];
}

squeeze_f32_igemm_fn squeeze_f32_igemm_kernel(enum squeeze_isa isa) {
    if ((unsigned)isa > SQUEEZE_ISA_AVX512) return f32_igemm[SQUEEZE_ISA_PORTABLE];
    return f32_igemm[isa];
}

enum squeeze_isa squeeze_microkernels_best_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return SQUEEZE_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SQUEEZE_ISA_AVX2;
#endif
    return SQUEEZE_ISA_PORTABLE;
}
