#include "CCPUFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdint.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

int squeeze_cpu_has_avx512(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned osxsave = 1u << 27, fma = 1u << 12;
    if ((ecx & osxsave) == 0 || (ecx & fma) == 0) return 0;
    // XMM, YMM, opmask, ZMM0-15 upper halves, ZMM16-31: bits 1, 2, 5, 6, 7.
    if ((read_xcr0() & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned f = 1u << 16, dq = 1u << 17, cd = 1u << 28, bw = 1u << 30, vl = 1u << 31;
    const unsigned wanted = f | dq | cd | bw | vl;
    return (ebx & wanted) == wanted;
}
#else
int squeeze_cpu_has_avx512(void) { return 0; }
#endif
