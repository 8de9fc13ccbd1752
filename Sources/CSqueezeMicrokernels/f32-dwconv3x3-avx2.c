#include "squeeze_microkernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Eight outputs per vector, nine multiply-adds each from the padded rows
// (at stride 2: even columns, odd columns, even columns one on); the last
// vector is masked.
static inline TARGET void row(const float *const rows[3], const struct squeeze_dwconv3x3_args *a, float *out,
                              size_t half) {
    const float *w = a->weights;
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi), bias = _mm256_set1_ps(a->bias);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const size_t n = a->output_width;
    const ptrdiff_t second = a->stride == 1 ? 1 : (ptrdiff_t)half, third = a->stride == 1 ? 2 : 1;
    for (size_t x = 0; x < n; x += 8) {
        const int valid = n - x >= 8 ? 8 : (int)(n - x);
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), lanes);
        __m256 sum = bias;
        for (size_t ky = 0; ky < 3; ky++) {
            const float *r = rows[ky] + x;
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky]), _mm256_maskload_ps(r, m), sum);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 1]), _mm256_maskload_ps(r + second, m), sum);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(w[3 * ky + 2]), _mm256_maskload_ps(r + third, m), sum);
        }
        _mm256_maskstore_ps(out + x, m, _mm256_min_ps(_mm256_max_ps(sum, lo), hi));
    }
}

SQUEEZE_DWCONV3X3_DRIVER(squeeze_f32_dwconv3x3__avx2, TARGET, row)

#else
void squeeze_f32_dwconv3x3__avx2(const struct squeeze_dwconv3x3_args *args) { squeeze_f32_dwconv3x3__scalar(args); }
#endif
