#include "squeeze_microkernels.h"
#include "internal.h"

#define NO_TARGET

// Any processor: one output value at a time.
static inline void direct(const float *const rows[3], const float *w, float b, const struct squeeze_dwconv3x3_args *a,
                          float *out) {
    for (size_t x = 0; x < a->output_width; x++) {
        float sum = b;
        for (size_t ky = 0; ky < 3; ky++) {
            if (!rows[ky]) continue;
            for (size_t kx = 0; kx < 3; kx++) {
                const ptrdiff_t ix = (ptrdiff_t)(x + kx) - (ptrdiff_t)a->pad_left;
                if (ix >= 0 && ix < (ptrdiff_t)a->input_width) sum += w[3 * ky + kx] * rows[ky][ix];
            }
        }
        sum = sum < a->lo ? a->lo : sum;
        out[x] = sum > a->hi ? a->hi : sum;
    }
}

static inline void row(const float *const rows[3], const float *w, float b, const struct squeeze_dwconv3x3_args *a,
                       float *out, size_t half) {
    for (size_t x = 0; x < a->output_width; x++) {
        float sum = b;
        for (size_t ky = 0; ky < 3; ky++) {
            const float *r = rows[ky];
            sum += w[3 * ky] * r[x] + w[3 * ky + 1] * r[half + x] + w[3 * ky + 2] * r[x + 1];
        }
        sum = sum < a->lo ? a->lo : sum;
        out[x] = sum > a->hi ? a->hi : sum;
    }
}

#define DEINTERLEAVE16(src, even, odd) \
    for (size_t q = 0; q < 16; q++) {     \
        (even)[q] = (src)[2 * q];         \
        (odd)[q] = (src)[2 * q + 1];      \
    }
SQUEEZE_DWCONV3X3_FILL(fill, NO_TARGET, DEINTERLEAVE16)

SQUEEZE_DWCONV3X3_DRIVER(squeeze_f32_dwconv3x3__scalar, NO_TARGET, direct, row, fill)

size_t squeeze_f32_dwconv3x3_scratch(size_t output_width, size_t stride) {
    size_t span, half;
    return 4 * squeeze_dwconv3x3_row_length(output_width, stride, &span, &half);
}
