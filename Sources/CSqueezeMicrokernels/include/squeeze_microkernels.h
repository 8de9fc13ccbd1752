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

// An indirect GEMM over one panel of output channels, row by row:
//   y[j] = min(max(bias[m] + sum_i w[i * 8 + m] * x[offsets[i] + r * x_row_stride + p]
//              + residual[j], lo), hi),   j = m * ldy + r * y_row_stride + p
// for m < mr (mr <= 8), r < rows and p < n (bias and residual may be NULL:
// zero; a residual connection is read where its sum is written). Input
// row i starts at x + offsets[i] (an input plane, or a kernel tap's shift of
// one), so convolutions run without im2col; `rows` lets output rows of a
// padded layout be written in place. w is one panel of the packed weights:
// k groups of eight floats (channels past the layer's last are zero). Reads
// exactly the n values of each run (tails are masked) and writes exactly mr
// x rows runs of n values.
typedef void (*squeeze_f32_igemm_fn)(size_t mr, size_t n, size_t rows, ptrdiff_t x_row_stride, ptrdiff_t y_row_stride,
                                     size_t k, const float *x, const ptrdiff_t *offsets, const float *w,
                                     const float *bias, float lo, float hi, const float *residual, float *y, size_t ldy);

// The kernels, by instruction set (the x86 ones on x86-64 only). Only call
// one the processor runs.
void squeeze_f32_igemm_8x48__avx512f(size_t mr, size_t n, size_t rows, ptrdiff_t x_row_stride, ptrdiff_t y_row_stride,
    size_t k, const float *x, const ptrdiff_t *offsets, const float *w, const float *bias, float lo, float hi, const float *residual, float *y,
    size_t ldy);
void squeeze_f32_igemm_8x16__avx2(size_t mr, size_t n, size_t rows, ptrdiff_t x_row_stride, ptrdiff_t y_row_stride,
    size_t k, const float *x, const ptrdiff_t *offsets, const float *w, const float *bias, float lo, float hi, const float *residual, float *y,
    size_t ldy);
void squeeze_f32_igemm_8x1__scalar(size_t mr, size_t n, size_t rows, ptrdiff_t x_row_stride, ptrdiff_t y_row_stride,
    size_t k, const float *x, const ptrdiff_t *offsets, const float *w, const float *bias, float lo, float hi, const float *residual, float *y,
    size_t ldy);

// Planes of a depthwise 3x3 convolution (stride 1 or 2, dilation 1):
//   out_c(y, x) = min(max(bias[c] + sum over ky, kx of w[9 c + 3 ky + kx] *
//                 in_c(y s + ky - pad_top, x s + kx - pad_left), lo), hi)
// with values outside the input zero (bias may be NULL: zero). Planes are
// read and written from value (0, 0) with their row and plane strides; only
// the output's values are written, never a border.
struct squeeze_dwconv3x3_args {
    size_t planes;
    const float *input;
    size_t input_height, input_width;
    ptrdiff_t input_row_stride, input_plane_stride;
    size_t stride, pad_top, pad_left;
    const float *weights;  // nine per plane
    const float *bias;     // one per plane, or NULL
    float lo, hi;
    float *output;
    size_t output_height, output_width;
    ptrdiff_t output_row_stride, output_plane_stride;
    // squeeze_f32_dwconv3x3_scratch(output_width, stride) floats.
    float *scratch;
};
typedef void (*squeeze_f32_dwconv3x3_fn)(const struct squeeze_dwconv3x3_args *args);

void squeeze_f32_dwconv3x3__avx512f(const struct squeeze_dwconv3x3_args *args);
void squeeze_f32_dwconv3x3__avx2(const struct squeeze_dwconv3x3_args *args);
void squeeze_f32_dwconv3x3__scalar(const struct squeeze_dwconv3x3_args *args);

// Floats of scratch the depthwise kernel needs: three zero-padded input rows
// (split into even and odd columns at stride 2) and a row of zeros.
size_t squeeze_f32_dwconv3x3_scratch(size_t output_width, size_t stride);

// Instruction sets a table entry needs.
enum squeeze_isa {
    SQUEEZE_ISA_PORTABLE = 0,
    SQUEEZE_ISA_AVX2 = 1,    // AVX2 + FMA
    SQUEEZE_ISA_AVX512 = 2,  // AVX-512 F (+ AVX2, FMA)
};

// The best kernel for an instruction set (the portable one for sets this
// build has no kernel for).
squeeze_f32_igemm_fn squeeze_f32_igemm_kernel(enum squeeze_isa isa);

// The depthwise kernel for an instruction set.
squeeze_f32_dwconv3x3_fn squeeze_f32_dwconv3x3_kernel(enum squeeze_isa isa);

// The widest set this processor and operating system run.
enum squeeze_isa squeeze_microkernels_best_isa(void);

#ifdef __cplusplus
}
#endif

#endif
