#include "squeeze_microkernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Sixteen registers: four channels x 8*NV values in 4*NV accumulators (8 at
// NV = 2), so a panel of eight runs as two halves. Three vectors (12
// accumulators) left clang one register short: it spilled an accumulator to
// the stack every step and ran at 42 % of the FMA peak on Zen 4.
// The last vector is masked. Bias, clamp and residual on the way out.
#define ROW(m)                                                                   \
    {                                                                            \
        const __m256 b = _mm256_broadcast_ss(wk + m);                            \
        c##m##0 = _mm256_fmadd_ps(a0, b, c##m##0);                               \
        if (NV > 1) c##m##1 = _mm256_fmadd_ps(a1, b, c##m##1);                   \
    }
// The residual's lanes past n are not read (masked), so they add zero.
#define OUT(v, j, mask)                                                          \
    _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_add_ps(v, bm),             \
        res ? _mm256_maskload_ps(res + (j), mask) : _mm256_setzero_ps()), vlo), vhi)
#define STORE(m)                                                                 \
    if (m < mr) {                                                                \
        float *row = y + m * ldy + p;                                            \
        const float *res = residual ? residual + m * ldy + p : NULL;             \
        const __m256 bm = _mm256_set1_ps(bias ? bias[m] : 0.0f);                 \
        const __m256i all_ = _mm256_set1_epi32(-1);                              \
        if (NV == 1) _mm256_maskstore_ps(row, last, OUT(c##m##0, 0, last));      \
        else _mm256_storeu_ps(row, OUT(c##m##0, 0, all_));                       \
        if (NV == 2 && FULL) _mm256_storeu_ps(row + 8, OUT(c##m##1, 8, all_));   \
        else if (NV == 2) _mm256_maskstore_ps(row + 8, last, OUT(c##m##1, 8, last)); \
    }
#define ZERO(m) __m256 c##m##0 = _mm256_setzero_ps(), c##m##1 = c##m##0;

// FULL: every value of the tile is in the run, so nothing is masked.
#define TILE(NAME, NV_, FULL_)                                                   \
    static inline TARGET void NAME(size_t mr, size_t p, __m256i last, size_t k, const float *x, \
                                         const ptrdiff_t *offsets, const float *w, const float *bias, \
                                         __m256 vlo, __m256 vhi, const float *residual, float *y, size_t ldy) { \
        enum { NV = NV_, FULL = FULL_ };                                         \
        ZERO(0) ZERO(1) ZERO(2) ZERO(3)                                          \
        const float *wk = w;                                                     \
        for (size_t i = 0; i < k; i++, wk += 8) {                                \
            const float *r = x + offsets[i] + (ptrdiff_t)p;                      \
            const __m256 a0 = NV == 1 ? _mm256_maskload_ps(r, last) : _mm256_loadu_ps(r);                 \
            const __m256 a1 = NV < 2 ? a0 : FULL ? _mm256_loadu_ps(r + 8) : _mm256_maskload_ps(r + 8, last); \
            ROW(0) ROW(1) ROW(2) ROW(3)                                          \
        }                                                                        \
        STORE(0) STORE(1) STORE(2) STORE(3)                                      \
    }

TILE(tile1, 1, 0)
TILE(tile2, 2, 0)
TILE(tile2full, 2, 1)

static inline TARGET void half(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                               const float *w, const float *bias, __m256 vlo, __m256 vhi, const float *residual, float *y,
                               size_t ldy) {
    const __m256i all = _mm256_set1_epi32(-1);
    size_t p = 0;
    for (; p + 16 <= n; p += 16) tile2full(mr, p, all, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
    const size_t rest = n - p;
    if (rest == 0) return;
    const size_t vectors = (rest + 7) / 8;
    const int valid = (int)(rest - (vectors - 1) * 8);
    const __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    if (vectors == 1) tile1(mr, p, last, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
    else tile2(mr, p, last, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
}

// One output value per channel (a fully connected layer): the panel's eight
// weights of a row are one load, times the row's input value.
TARGET void squeeze_f32_igemm_column__avx2(size_t mr, size_t k, const float *x, const ptrdiff_t *offsets, const float *w,
                                 const float *bias, float lo, float hi, const float *residual, float *y, size_t ldy) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 4 <= k; i += 4) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8 * i), _mm256_set1_ps(x[offsets[i]]), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8 * i + 8), _mm256_set1_ps(x[offsets[i + 1]]), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8 * i + 16), _mm256_set1_ps(x[offsets[i + 2]]), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8 * i + 24), _mm256_set1_ps(x[offsets[i + 3]]), s3);
    }
    for (; i < k; i++) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8 * i), _mm256_set1_ps(x[offsets[i]]), s0);
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (size_t m = 0; m < mr; m++) {
        float v = out[m] + (bias ? bias[m] : 0.0f) + (residual ? residual[m * ldy] : 0.0f);
        v = v < lo ? lo : v;
        y[m * ldy] = v > hi ? hi : v;
    }
}

static inline TARGET void run(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                              const float *w, const float *bias, float lo, float hi, const float *residual, float *y,
                              size_t ldy) {
    if (n == 1) {
        squeeze_f32_igemm_column__avx2(mr, k, x, offsets, w, bias, lo, hi, residual, y, ldy);
        return;
    }
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    half(mr < 4 ? mr : 4, n, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
    if (mr > 4)
        half(mr - 4, n, k, x, offsets, w + 4, bias ? bias + 4 : NULL, vlo, vhi, residual ? residual + 4 * ldy : NULL,
             y + 4 * ldy, ldy);
}

SQUEEZE_F32_IGEMM_ROWS(squeeze_f32_igemm_8x16__avx2, TARGET, run)

#endif
