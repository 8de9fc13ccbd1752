#include "squeeze_microkernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Sixteen registers: four channels x 8*NV values in 4*NV accumulators (12 at
// NV = 3), so a panel of eight runs as two halves. The last vector is masked.
#define ROW(m)                                                                   \
    {                                                                            \
        const __m256 b = _mm256_broadcast_ss(wk + m);                            \
        c##m##0 = _mm256_fmadd_ps(a0, b, c##m##0);                               \
        if (NV > 1) c##m##1 = _mm256_fmadd_ps(a1, b, c##m##1);                   \
        if (NV > 2) c##m##2 = _mm256_fmadd_ps(a2, b, c##m##2);                   \
    }
#define STORE(m)                                                                 \
    if (m < mr) {                                                                \
        float *row = y + m * ldy + p;                                            \
        if (NV == 1) _mm256_maskstore_ps(row, last, c##m##0);                    \
        else _mm256_storeu_ps(row, c##m##0);                                     \
        if (NV == 2) _mm256_maskstore_ps(row + 8, last, c##m##1);                \
        else if (NV > 2) _mm256_storeu_ps(row + 8, c##m##1);                     \
        if (NV == 3) _mm256_maskstore_ps(row + 16, last, c##m##2);               \
    }
#define ZERO(m) __m256 c##m##0 = _mm256_setzero_ps(), c##m##1 = c##m##0, c##m##2 = c##m##0;

#define TILE(NV_)                                                                \
    static inline TARGET void tile##NV_(size_t mr, size_t p, __m256i last, size_t k, const float *x, \
                                         const ptrdiff_t *offsets, const float *w, float *y, size_t ldy) { \
        enum { NV = NV_ };                                                       \
        ZERO(0) ZERO(1) ZERO(2) ZERO(3)                                          \
        const float *wk = w;                                                     \
        for (size_t i = 0; i < k; i++, wk += 8) {                                \
            const float *r = x + offsets[i] + (ptrdiff_t)p;                      \
            const __m256 a0 = NV == 1 ? _mm256_maskload_ps(r, last) : _mm256_loadu_ps(r);                 \
            const __m256 a1 = NV < 2 ? a0 : NV == 2 ? _mm256_maskload_ps(r + 8, last) : _mm256_loadu_ps(r + 8); \
            const __m256 a2 = NV < 3 ? a0 : _mm256_maskload_ps(r + 16, last);    \
            ROW(0) ROW(1) ROW(2) ROW(3)                                          \
        }                                                                        \
        STORE(0) STORE(1) STORE(2) STORE(3)                                      \
    }

TILE(1)
TILE(2)
TILE(3)

static inline TARGET void half(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                               const float *w, float *y, size_t ldy) {
    const __m256i all = _mm256_set1_epi32(-1);
    size_t p = 0;
    for (; p + 24 <= n; p += 24) tile3(mr, p, all, k, x, offsets, w, y, ldy);
    const size_t rest = n - p;
    if (rest == 0) return;
    const size_t vectors = (rest + 7) / 8;
    const int valid = (int)(rest - (vectors - 1) * 8);
    const __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    if (vectors == 1) tile1(mr, p, last, k, x, offsets, w, y, ldy);
    else if (vectors == 2) tile2(mr, p, last, k, x, offsets, w, y, ldy);
    else tile3(mr, p, last, k, x, offsets, w, y, ldy);
}

TARGET void squeeze_f32_igemm_8x24__avx2(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                                         const float *w, float *y, size_t ldy) {
    half(mr < 4 ? mr : 4, n, k, x, offsets, w, y, ldy);
    if (mr > 4) half(mr - 4, n, k, x, offsets, w + 4, y + 4 * ldy, ldy);
}

#else
void squeeze_f32_igemm_8x24__avx2(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                                  const float *w, float *y, size_t ldy) {
    squeeze_f32_igemm_8x1__scalar(mr, n, k, x, offsets, w, y, ldy);
}
#endif
