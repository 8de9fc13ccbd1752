// Kernels shared between this target's files, not part of its interface.
#ifndef SQUEEZE_MICROKERNELS_INTERNAL_H
#define SQUEEZE_MICROKERNELS_INTERNAL_H

#include <stddef.h>

#if defined(__x86_64__)
// The n == 1 case of the indirect GEMM (a fully connected layer), AVX2 + FMA.
void squeeze_f32_igemm_column__avx2(size_t mr, size_t k, const float *x, const ptrdiff_t *offsets, const float *w,
                                    const float *bias, float lo, float hi, float *y, size_t ldy);
#endif

// Padded input row length of a depthwise plane, in floats (a whole number of
// 16-float vectors): columns 0 ..< span at stride 1; at stride 2 the even
// columns, then from `half` on the odd ones.
static inline size_t squeeze_dwconv3x3_row_length(size_t output_width, size_t stride, size_t *span, size_t *half) {
    *span = (output_width - 1) * stride + 3;
    *half = (*span + 1) / 2;
    return (stride == 1 ? *span + 15 : 2 * *half + 15) / 16 * 16;
}

// Rows of a depthwise plane, each input row copied once into a ring of three
// zero-padded buffers; ROW(rows, args, out, half) computes one output row.
// Each instruction set's file includes this with its own ROW and target.
#define SQUEEZE_DWCONV3X3_DRIVER(name, TARGET, ROW)                                          \
    TARGET void name(const struct squeeze_dwconv3x3_args *a) {                                \
        size_t span, half;                                                                   \
        const size_t length = squeeze_dwconv3x3_row_length(a->output_width, a->stride, &span, &half); \
        float *slots[3] = {a->scratch, a->scratch + length, a->scratch + 2 * length};        \
        float *zero = a->scratch + 3 * length;                                               \
        for (size_t j = 0; j < length; j++) zero[j] = 0.0f;                                  \
        ptrdiff_t held[3] = {-1, -1, -1};                                                    \
        for (size_t y = 0; y < a->output_height; y++) {                                      \
            const float *rows[3];                                                            \
            for (size_t ky = 0; ky < 3; ky++) {                                              \
                const ptrdiff_t iy = (ptrdiff_t)(y * a->stride + ky) - (ptrdiff_t)a->pad_top; \
                if (iy < 0 || iy >= (ptrdiff_t)a->input_height) {                            \
                    rows[ky] = zero;                                                         \
                    continue;                                                                \
                }                                                                            \
                float *slot = slots[iy % 3];                                                 \
                if (held[iy % 3] != iy) {                                                    \
                    const float *in = a->input + iy * a->input_row_stride;                   \
                    for (size_t j = 0; j < span; j++) {                                      \
                        const ptrdiff_t ix = (ptrdiff_t)j - (ptrdiff_t)a->pad_left;          \
                        const float v = ix >= 0 && ix < (ptrdiff_t)a->input_width ? in[ix] : 0.0f; \
                        if (a->stride == 1) slot[j] = v;                                     \
                        else slot[(j & 1) * half + j / 2] = v;                               \
                    }                                                                        \
                    held[iy % 3] = iy;                                                       \
                }                                                                            \
                rows[ky] = slot;                                                             \
            }                                                                                \
            ROW(rows, a, a->output + (ptrdiff_t)y * a->output_row_stride, half);             \
        }                                                                                    \
    }

#endif
