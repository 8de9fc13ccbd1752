#include "CCRC32C.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int squeeze_crc32c_available(void) { return __builtin_cpu_supports("sse4.2"); }

// Eight bytes per instruction: ~20x the table-driven loop, so checking every
// section of a container costs microseconds.
__attribute__((target("sse4.2")))
uint32_t squeeze_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t c = crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        p++;
        count--;
    }
    return c32;
}
#else
int squeeze_crc32c_available(void) { return 0; }
uint32_t squeeze_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}
#endif
