// What the processor (and the operating system) lets the kernels use.
#ifndef SQUEEZE_CCPUFEATURES_H
#define SQUEEZE_CCPUFEATURES_H

// Whether the AVX-512 kernels may run: AVX-512 F, CD, BW, DQ and VL (the
// skylake-avx512 set they are built for), FMA, and the operating system
// saving the ZMM and mask registers.
int squeeze_cpu_has_avx512(void);

// One iteration of a spin-wait: the PAUSE instruction, which tells the core
// (and an SMT sibling, or the hypervisor) that this thread is only waiting.
static inline void squeeze_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
