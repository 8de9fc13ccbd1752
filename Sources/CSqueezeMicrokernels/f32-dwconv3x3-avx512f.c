#include "squeeze_microkernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx2,fma")))

// Sixteen outputs per vector, nine multiply-adds each from the padded rows
// (at stride 2: even columns, odd columns, even columns one on); the last
// vector is masked.
static inline TARGET void row(const float *const rows[3], const struct squeeze_dwconv3x3_args *a, float *out,
                              size_t half) {
    const float *w = a->weights;
    const __m512 lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi), bias = _mm512_set1_ps(a->bias);
    const size_t n = a->output_width;
    const ptrdiff_t second = a->stride == 1 ? 1 : (ptrdiff_t)half, third = a->stride == 1 ? 2 : 1;
    for (size_t x = 0; x < n; x += 16) {
        const __mmask16 m = n - x >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - x)) - 1u);
        __m512 sum = bias;
        for (size_t ky = 0; ky < 3; ky++) {
            const float *r = rows[ky] + x;
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky]), _mm512_maskz_loadu_ps(m, r), sum);
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky + 1]), _mm512_maskz_loadu_ps(m, r + second), sum);
            sum = _mm512_fmadd_ps(_mm512_set1_ps(w[3 * ky + 2]), _mm512_maskz_loadu_ps(m, r + third), sum);
        }
        _mm512_mask_storeu_ps(out + x, m, _mm512_min_ps(_mm512_max_ps(sum, lo), hi));
    }
}

SQUEEZE_DWCONV3X3_DRIVER(squeeze_f32_dwconv3x3__avx512f, TARGET, row)

#else
void squeeze_f32_dwconv3x3__avx512f(const struct squeeze_dwconv3x3_args *args) { squeeze_f32_dwconv3x3__scalar(args); }
#endif
