#include "squeeze_microkernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx2,fma")))

// 8 channels x 16*NV values in 8*NV accumulators (24 of the 32 registers at
// NV = 3); each input load feeds eight multiply-adds, each weight is one
// broadcast. The last vector is masked, so a tail reads and writes no value
// past n. Bias and clamp on the way out.
#define ROW(m)                                                                   \
    {                                                                            \
        const __m512 b = _mm512_set1_ps(wk[m]);                                  \
        c##m##0 = _mm512_fmadd_ps(a0, b, c##m##0);                               \
        if (NV > 1) c##m##1 = _mm512_fmadd_ps(a1, b, c##m##1);                   \
        if (NV > 2) c##m##2 = _mm512_fmadd_ps(a2, b, c##m##2);                   \
    }
// The residual's lanes past n are not read (masked), so they add zero.
#define OUT(v, j, mask)                                                          \
    _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_add_ps(v, bm),             \
        res ? _mm512_maskz_loadu_ps(mask, res + (j)) : _mm512_setzero_ps()), vlo), vhi)
#define STORE(m)                                                                 \
    if (m < mr) {                                                                \
        float *row = y + m * ldy + p;                                            \
        const float *res = residual ? residual + m * ldy + p : NULL;             \
        const __m512 bm = _mm512_set1_ps(bias ? bias[m] : 0.0f);                 \
        if (NV == 1) _mm512_mask_storeu_ps(row, last, OUT(c##m##0, 0, last));    \
        else _mm512_storeu_ps(row, OUT(c##m##0, 0, 0xFFFF));                     \
        if (NV == 2) _mm512_mask_storeu_ps(row + 16, last, OUT(c##m##1, 16, last)); \
        else if (NV > 2) _mm512_storeu_ps(row + 16, OUT(c##m##1, 16, 0xFFFF));   \
        if (NV == 3) _mm512_mask_storeu_ps(row + 32, last, OUT(c##m##2, 32, last)); \
    }
#define ZERO(m) __m512 c##m##0 = _mm512_setzero_ps(), c##m##1 = c##m##0, c##m##2 = c##m##0;

#define TILE(NV_)                                                                \
    static inline TARGET void tile##NV_(size_t mr, size_t p, __mmask16 last, size_t k, const float *x, \
                                         const ptrdiff_t *offsets, const float *w, const float *bias, \
                                         __m512 vlo, __m512 vhi, const float *residual, float *y, size_t ldy) { \
        enum { NV = NV_ };                                                       \
        ZERO(0) ZERO(1) ZERO(2) ZERO(3) ZERO(4) ZERO(5) ZERO(6) ZERO(7)          \
        const float *wk = w;                                                     \
        for (size_t i = 0; i < k; i++, wk += 8) {                                \
            const float *r = x + offsets[i] + (ptrdiff_t)p;                      \
            const __m512 a0 = NV == 1 ? _mm512_maskz_loadu_ps(last, r) : _mm512_loadu_ps(r);               \
            const __m512 a1 = NV < 2 ? a0 : NV == 2 ? _mm512_maskz_loadu_ps(last, r + 16) : _mm512_loadu_ps(r + 16); \
            const __m512 a2 = NV < 3 ? a0 : _mm512_maskz_loadu_ps(last, r + 32);  \
            ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)              \
        }                                                                        \
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)  \
    }

TILE(1)
TILE(2)
TILE(3)

static inline TARGET void run(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets,
                              const float *w, const float *bias, float lo, float hi, const float *residual, float *y, size_t ldy) {
    if (n == 1) {
        // Bound by the weights' loads: the 256-bit kernel is as fast.
        squeeze_f32_igemm_column__avx2(mr, k, x, offsets, w, bias, lo, hi, residual, y, ldy);
        return;
    }
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    size_t p = 0;
    for (; p + 48 <= n; p += 48) tile3(mr, p, 0xFFFF, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
    const size_t rest = n - p;
    if (rest == 0) return;
    // A few values left (7x7 planes: 49 = 48 + 1): one column each, eight
    // channels in one 256-bit multiply-add per row, instead of a masked
    // tile's eight 512-bit ones.
    if (rest <= 4) {
        for (size_t j = p; j < n; j++)
            squeeze_f32_igemm_column__avx2(mr, k, x + j, offsets, w, bias, lo, hi, residual ? residual + j : NULL, y + j, ldy);
        return;
    }
    const size_t vectors = (rest + 15) / 16;
    const __mmask16 last = (__mmask16)((1u << (rest - (vectors - 1) * 16)) - 1u);
    if (vectors == 1) tile1(mr, p, last, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
    else if (vectors == 2) tile2(mr, p, last, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
    else tile3(mr, p, last, k, x, offsets, w, bias, vlo, vhi, residual, y, ldy);
}

SQUEEZE_F32_IGEMM_ROWS(squeeze_f32_igemm_8x48__avx512f, TARGET, run)

#endif
