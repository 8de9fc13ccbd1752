#include "squeeze_microkernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx2,fma")))

// Stride 1: sixteen outputs per vector, nine multiply-adds each straight
// from the input rows; loads of columns outside the input (and past the
// row's last output) are masked off, so they read nothing.
static inline TARGET void direct(const float *const rows[3], const float *w, float b,
                                 const struct squeeze_dwconv3x3_args *a, float *out) {
    const __m512 lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi), bias = _mm512_set1_ps(b);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i width = _mm512_set1_epi32((int)a->input_width);
    const ptrdiff_t pl = (ptrdiff_t)a->pad_left;
    const size_t n = a->output_width;
    for (size_t x = 0; x < n; x += 16) {
        const __mmask16 valid = n - x >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - x)) - 1u);
        __mmask16 m[3];
        for (int kx = 0; kx < 3; kx++) {
            const __m512i column = _mm512_add_epi32(lanes, _mm512_set1_epi32((int)((ptrdiff_t)x + kx - pl)));
            m[kx] = valid & _mm512_cmpge_epi32_mask(column, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(column, width);
        }
        __m512 sum = bias;
        for (size_t ky = 0; ky < 3; ky++) {
            if (!rows[ky]) continue;
            const float *r = rows[ky] + (ptrdiff_t)x - pl;
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky]), _mm512_maskz_loadu_ps(m[0], r), sum);
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky + 1]), _mm512_maskz_loadu_ps(m[1], r + 1), sum);
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky + 2]), _mm512_maskz_loadu_ps(m[2], r + 2), sum);
        }
        _mm512_mask_storeu_ps(out + x, valid, _mm512_min_ps(_mm512_max_ps(sum, lo), hi));
    }
}

// Stride 2: sixteen outputs per vector from the deinterleaved padded rows
// (even columns, odd columns, even columns one on); the last vector is masked.
static inline TARGET void row(const float *const rows[3], const float *w, float b, const struct squeeze_dwconv3x3_args *a,
                              float *out, size_t half) {
    const __m512 lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi), bias = _mm512_set1_ps(b);
    const size_t n = a->output_width;
    for (size_t x = 0; x < n; x += 16) {
        const __mmask16 m = n - x >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - x)) - 1u);
        __m512 sum = bias;
        for (size_t ky = 0; ky < 3; ky++) {
            const float *r = rows[ky] + x;
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky]), _mm512_maskz_loadu_ps(m, r), sum);
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky + 1]), _mm512_maskz_loadu_ps(m, r + half), sum);
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky + 2]), _mm512_maskz_loadu_ps(m, r + 1), sum);
        }
        _mm512_mask_storeu_ps(out + x, m, _mm512_min_ps(_mm512_max_ps(sum, lo), hi));
    }
}

// Sixteen even and sixteen odd columns from two loads and two permutes.
#define DEINTERLEAVE16(src, even, odd)                                                                \
    {                                                                                                 \
        const __m512 lo_ = _mm512_loadu_ps(src), hi_ = _mm512_loadu_ps((src) + 16);                  \
        const __m512i evens_ = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30); \
        _mm512_storeu_ps(even, _mm512_permutex2var_ps(lo_, evens_, hi_));                             \
        _mm512_storeu_ps(odd, _mm512_permutex2var_ps(lo_, _mm512_add_epi32(evens_, _mm512_set1_epi32(1)), hi_)); \
    }
SQUEEZE_DWCONV3X3_FILL(fill, TARGET, DEINTERLEAVE16)

SQUEEZE_DWCONV3X3_DRIVER(squeeze_f32_dwconv3x3__avx512f, TARGET, direct, row, fill)

#endif
