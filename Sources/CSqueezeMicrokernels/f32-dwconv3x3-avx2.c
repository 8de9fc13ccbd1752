#include "squeeze_microkernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Stride 1: eight outputs per vector, nine multiply-adds each straight from
// the input rows; loads of columns outside the input (and past the row's
// last output) are masked off, so they read nothing.
static inline TARGET void direct(const float *const rows[3], const float *w, float b,
                                 const struct squeeze_dwconv3x3_args *a, float *out) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi), bias = _mm256_set1_ps(b);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), none = _mm256_set1_epi32(-1);
    const __m256i width = _mm256_set1_epi32((int)a->input_width);
    const ptrdiff_t pl = (ptrdiff_t)a->pad_left;
    const size_t n = a->output_width;
    for (size_t x = 0; x < n; x += 8) {
        // Inside the row (every tap's columns in the input, a whole vector
        // of outputs): plain loads; AMD's masked loads cost several times more.
        if ((ptrdiff_t)x >= pl && (ptrdiff_t)x + 10 - pl <= (ptrdiff_t)a->input_width && x + 8 <= n) {
            __m256 sum = bias;
            for (size_t ky = 0; ky < 3; ky++) {
                if (!rows[ky]) continue;
                const float *r = rows[ky] + (ptrdiff_t)x - pl;
                sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky]), _mm256_loadu_ps(r), sum);
                sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 1]), _mm256_loadu_ps(r + 1), sum);
                sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 2]), _mm256_loadu_ps(r + 2), sum);
            }
            _mm256_storeu_ps(out + x, _mm256_min_ps(_mm256_max_ps(sum, lo), hi));
            continue;
        }
        const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - x >= 8 ? 8 : (int)(n - x)), lanes);
        __m256i m[3];
        for (int kx = 0; kx < 3; kx++) {
            const __m256i column = _mm256_add_epi32(lanes, _mm256_set1_epi32((int)((ptrdiff_t)x + kx - pl)));
            m[kx] = _mm256_and_si256(valid, _mm256_and_si256(_mm256_cmpgt_epi32(column, none),
                                                             _mm256_cmpgt_epi32(width, column)));
        }
        __m256 sum = bias;
        for (size_t ky = 0; ky < 3; ky++) {
            if (!rows[ky]) continue;
            const float *r = rows[ky] + (ptrdiff_t)x - pl;
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky]), _mm256_maskload_ps(r, m[0]), sum);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 1]), _mm256_maskload_ps(r + 1, m[1]), sum);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 2]), _mm256_maskload_ps(r + 2, m[2]), sum);
        }
        _mm256_maskstore_ps(out + x, valid, _mm256_min_ps(_mm256_max_ps(sum, lo), hi));
    }
}

// Stride 2: eight outputs per vector from the deinterleaved padded rows (even
// columns, odd columns, even columns one on); the last vector is masked.
static inline TARGET void row(const float *const rows[3], const float *w, float b, const struct squeeze_dwconv3x3_args *a,
                              float *out, size_t half) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi), bias = _mm256_set1_ps(b);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const size_t n = a->output_width;
    for (size_t x = 0; x < n; x += 8) {
        if (x + 8 <= n) {
            __m256 sum = bias;
            for (size_t ky = 0; ky < 3; ky++) {
                const float *r = rows[ky] + x;
                sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky]), _mm256_loadu_ps(r), sum);
                sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 1]), _mm256_loadu_ps(r + half), sum);
                sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 2]), _mm256_loadu_ps(r + 1), sum);
            }
            _mm256_storeu_ps(out + x, _mm256_min_ps(_mm256_max_ps(sum, lo), hi));
            continue;
        }
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - x >= 8 ? 8 : (int)(n - x)), lanes);
        __m256 sum = bias;
        for (size_t ky = 0; ky < 3; ky++) {
            const float *r = rows[ky] + x;
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky]), _mm256_maskload_ps(r, m), sum);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 1]), _mm256_maskload_ps(r + half, m), sum);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 2]), _mm256_maskload_ps(r + 1, m), sum);
        }
        _mm256_maskstore_ps(out + x, m, _mm256_min_ps(_mm256_max_ps(sum, lo), hi));
    }
}

// Eight even and eight odd columns at a time: shuffles within 128-bit
// lanes, then the lanes' halves put in order.
#define DEINTERLEAVE8(src, even, odd)                                                                 \
    {                                                                                                 \
        const __m256 lo_ = _mm256_loadu_ps(src), hi_ = _mm256_loadu_ps((src) + 8);                    \
        const __m256 e_ = _mm256_shuffle_ps(lo_, hi_, 0x88), o_ = _mm256_shuffle_ps(lo_, hi_, 0xDD);  \
        _mm256_storeu_ps(even, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e_), 0xD8)));  \
        _mm256_storeu_ps(odd, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o_), 0xD8)));   \
    }
#define DEINTERLEAVE16(src, even, odd)                    \
    {                                                     \
        DEINTERLEAVE8(src, even, odd)                     \
        DEINTERLEAVE8((src) + 16, (even) + 8, (odd) + 8)  \
    }
SQUEEZE_DWCONV3X3_FILL(fill, TARGET, DEINTERLEAVE16)

SQUEEZE_DWCONV3X3_DRIVER(squeeze_f32_dwconv3x3__avx2, TARGET, direct, row, fill)

#endif
