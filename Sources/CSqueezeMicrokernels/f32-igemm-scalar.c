#include "squeeze_microkernels.h"
#include "internal.h"

#define NO_TARGET

// Any processor: one output value at a time, the reference the others are
// tested against.
static inline void run(size_t mr, size_t n, size_t k, const float *x, const ptrdiff_t *offsets, const float *w,
                       const float *bias, float lo, float hi, const float *residual, float *y, size_t ldy) {
    for (size_t m = 0; m < mr; m++) {
        for (size_t p = 0; p < n; p++) {
            float sum = bias ? bias[m] : 0.0f;
            for (size_t i = 0; i < k; i++) sum += w[i * SQUEEZE_F32_IGEMM_MR + m] * x[offsets[i] + (ptrdiff_t)p];
            if (residual) sum += residual[m * ldy + p];
            sum = sum < lo ? lo : sum;
            y[m * ldy + p] = sum > hi ? hi : sum;
        }
    }
}

SQUEEZE_F32_IGEMM_ROWS(squeeze_f32_igemm_8x1__scalar, NO_TARGET, run)
