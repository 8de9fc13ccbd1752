#include "squeeze_microkernels.h"
#include "internal.h"

#define NO_TARGET

// Any processor: one output value at a time.
static inline void row(const float *const rows[3], const struct squeeze_dwconv3x3_args *a, float *out, size_t half) {
    const float *w = a->weights;
    for (size_t x = 0; x < a->output_width; x++) {
        float sum = a->bias;
        for (size_t ky = 0; ky < 3; ky++) {
            const float *r = rows[ky];
            if (a->stride == 1) sum += w[3 * ky] * r[x] + w[3 * ky + 1] * r[x + 1] + w[3 * ky + 2] * r[x + 2];
            else sum += w[3 * ky] * r[x] + w[3 * ky + 1] * r[half + x] + w[3 * ky + 2] * r[x + 1];
        }
        sum = sum < a->lo ? a->lo : sum;
        out[x] = sum > a->hi ? a->hi : sum;
    }
}

SQUEEZE_DWCONV3X3_DRIVER(squeeze_f32_dwconv3x3__scalar, NO_TARGET, row)

size_t squeeze_f32_dwconv3x3_scratch(size_t output_width, size_t stride) {
    size_t span, half;
    return 4 * squeeze_dwconv3x3_row_length(output_width, stride, &span, &half);
}
