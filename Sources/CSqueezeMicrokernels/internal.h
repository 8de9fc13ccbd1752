// Kernels shared between this target's files, not part of its interface.
#ifndef SQUEEZE_MICROKERNELS_INTERNAL_H
#define SQUEEZE_MICROKERNELS_INTERNAL_H

#include <stddef.h>

#include "squeeze_microkernels.h"

#if defined(__x86_64__)
// The n == 1 case of the indirect GEMM (a fully connected layer), AVX2 + FMA.
void squeeze_f32_igemm_column__avx2(size_t mr, size_t k, const float *x, const ptrdiff_t *offsets, const float *w,
                                    const float *bias, float lo, float hi, const float *residual, float *y, size_t ldy);
#endif

// The exported indirect GEMM of an instruction set: RUN (one run of n values
// per channel, the set's own tiles) over `rows` runs, the strides apart.
#define SQUEEZE_F32_IGEMM_ROWS(name, TARGET, RUN)                                              \
    TARGET void name(size_t mr, size_t n, size_t rows, ptrdiff_t x_row_stride, ptrdiff_t y_row_stride, size_t k, \
                     const float *x, const ptrdiff_t *offsets, const float *w, const float *bias, float lo, \
                     float hi, const float *residual, float *y, size_t ldy) {                   \
        for (size_t r = 0; r < rows; r++)                                                      \
            RUN(mr, n, k, x + (ptrdiff_t)r * x_row_stride, offsets, w, bias, lo, hi,           \
                residual ? residual + (ptrdiff_t)r * y_row_stride : NULL, y + (ptrdiff_t)r * y_row_stride, ldy); \
    }

// Padded input row length of a depthwise plane, in floats (a whole number of
// 16-float vectors): columns 0 ..< span at stride 1; at stride 2 the even
// columns, then from `half` on the odd ones.
static inline size_t squeeze_dwconv3x3_row_length(size_t output_width, size_t stride, size_t *span, size_t *half) {
    *span = (output_width - 1) * stride + 3;
    *half = (*span + 1) / 2;
    return (stride == 1 ? *span + 15 : 2 * *half + 15) / 16 * 16;
}

// Value j of a padded input row (zero outside the input).
static inline float squeeze_dwconv3x3_padded(const float *in, ptrdiff_t j, const struct squeeze_dwconv3x3_args *a) {
    const ptrdiff_t ix = j - (ptrdiff_t)a->pad_left;
    return ix >= 0 && ix < (ptrdiff_t)a->input_width ? in[ix] : 0.0f;
}

// Copies input row `in` into `slot` zero-padded for stride 2: the even
// columns, then from `half` on the odd ones, sixteen pairs at a time with
// DEINTERLEAVE16(src, even, odd) where the input covers them.
#define SQUEEZE_DWCONV3X3_FILL(name, TARGET, DEINTERLEAVE16)                                  \
    static inline TARGET void name(float *slot, const float *in, const struct squeeze_dwconv3x3_args *a, \
                                   size_t span, size_t half) {                                \
        const size_t pl = a->pad_left, w = a->input_width;                                   \
        float *even = slot, *odd = slot + half;                                              \
        size_t i = 0;                                                                        \
        const size_t first = (pl + 1) / 2 < half ? (pl + 1) / 2 : half;                     \
        for (; i < first; i++) {                                                             \
            even[i] = squeeze_dwconv3x3_padded(in, (ptrdiff_t)(2 * i), a);                   \
            odd[i] = squeeze_dwconv3x3_padded(in, (ptrdiff_t)(2 * i + 1), a);                \
        }                                                                                    \
        for (; i + 16 <= half && 2 * i - pl + 32 <= w; i += 16) DEINTERLEAVE16(in + 2 * i - pl, even + i, odd + i); \
        for (; i < half; i++) {                                                              \
            even[i] = squeeze_dwconv3x3_padded(in, (ptrdiff_t)(2 * i), a);                   \
            odd[i] = squeeze_dwconv3x3_padded(in, (ptrdiff_t)(2 * i + 1), a);                \
        }                                                                                    \
    }

// Each instruction set's file includes this with its own ROW and target.
// Planes of a depthwise convolution. At stride 1, DIRECT(rows, weights,
// bias, args, out) computes an output row straight from the input rows
// (NULL where a row is outside the input; columns outside are masked off).
// At stride 2, each input row is copied once by FILL into a ring of three
// zero-padded, deinterleaved buffers and ROW(rows, weights, bias, args, out,
// half) computes an output row from them. Each instruction set's file
// expands this with its own target and functions.
#define SQUEEZE_DWCONV3X3_DRIVER(name, TARGET, DIRECT, ROW, FILL)                            \
    TARGET void name(const struct squeeze_dwconv3x3_args *a) {                                \
        size_t span, half;                                                                   \
        const size_t length = squeeze_dwconv3x3_row_length(a->output_width, a->stride, &span, &half); \
        float *slots[3] = {a->scratch, a->scratch + length, a->scratch + 2 * length};        \
        float *zero = a->scratch + 3 * length;                                               \
        if (a->stride != 1) for (size_t j = 0; j < length; j++) zero[j] = 0.0f;              \
        for (size_t c = 0; c < a->planes; c++) {                                             \
            const float *input = a->input + (ptrdiff_t)c * a->input_plane_stride;            \
            float *output = a->output + (ptrdiff_t)c * a->output_plane_stride;               \
            const float *w = a->weights + 9 * c;                                             \
            const float bias = a->bias ? a->bias[c] : 0.0f;                                  \
            ptrdiff_t held[3] = {-1, -1, -1};                                                \
            for (size_t y = 0; y < a->output_height; y++) {                                  \
                const float *rows[3];                                                        \
                for (size_t ky = 0; ky < 3; ky++) {                                          \
                    const ptrdiff_t iy = (ptrdiff_t)(y * a->stride + ky) - (ptrdiff_t)a->pad_top; \
                    const int inside = iy >= 0 && iy < (ptrdiff_t)a->input_height;           \
                    if (a->stride == 1) {                                                    \
                        rows[ky] = inside ? input + iy * a->input_row_stride : NULL;         \
                        continue;                                                            \
                    }                                                                        \
                    if (!inside) {                                                           \
                        rows[ky] = zero;                                                     \
                        continue;                                                            \
                    }                                                                        \
                    float *slot = slots[iy % 3];                                             \
                    if (held[iy % 3] != iy) {                                                \
                        FILL(slot, input + iy * a->input_row_stride, a, span, half);         \
                        held[iy % 3] = iy;                                                   \
                    }                                                                        \
                    rows[ky] = slot;                                                         \
                }                                                                            \
                float *out = output + (ptrdiff_t)y * a->output_row_stride;                   \
                if (a->stride == 1) DIRECT(rows, w, bias, a, out);                           \
                else ROW(rows, w, bias, a, out, half);                                       \
            }                                                                                \
        }                                                                                    \
    }

#endif
