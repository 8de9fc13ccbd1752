// Float32 micro-kernels in C, one file per instruction set, each function
// compiled for its set with a target attribute (no package-wide compiler
// flags), picked at run time from a table.
#ifndef SQUEEZE_MICROKERNELS_H
#define SQUEEZE_MICROKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Output channels per packed weight panel, in every set.
#define SQUEEZE_F32_IGEMM_MR 8

// An indirect GEMM over one panel of output channels:
//   y[m * ldy + p] = sum_i w[i * 8 + m] * x[offsets[i] + p]
// for m < mr (mr <= 8) and p < n. Input row i starts at x + offsets[i] (an
// input plane, or a kernel tap's shift of one), so convolutions run without
// im2col. w is one panel of the packed weights: k groups of eight floats
// (channels past the layer's last are zero). Reads exactly the n values of
// each row (tails are masked), writes exactly mr rows of n values.
typedef void (*squeeze_f32_igemm_fn)(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                                     const float *w, float *y, size_t ldy);

// The kernels, by instruction set. Only call one the processor runs.
void squeeze_f32_igemm_8x48__avx512f(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                                     const float *w, float *y, size_t ldy);
void squeeze_f32_igemm_8x24__avx2(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                                  const float *w, float *y, size_t ldy);
void squeeze_f32_igemm_8x1__scalar(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                                   const float *w, float *y, size_t ldy);

// Instruction sets a table entry needs.
enum squeeze_isa {
    SQUEEZE_ISA_PORTABLE = 0,
    SQUEEZE_ISA_AVX2 = 1,    // AVX2 + FMA
    SQUEEZE_ISA_AVX512 = 2,  // AVX-512 F (+ AVX2, FMA)
};

// The best kernel for an instruction set (the portable one for sets this
// build has no kernel for).
squeeze_f32_igemm_fn squeeze_f32_igemm_kernel(enum squeeze_isa isa);

// The widest set this processor and operating system run.
enum squeeze_isa squeeze_microkernels_best_isa(void);

#ifdef __cplusplus
}
#endif

#endif
