// OpenBLAS, opened at run time: the three entry points SqueezeKernels uses.
//
// The library is loaded with dlopen on first use, not linked: OpenBLAS starts
// its thread pool in a load-time constructor, and on a two-core machine that
// pool's idle spinning competes for the cores with an engine that never calls
// BLAS (the compressed executor). Only processes that multiply dense matrices
// pay for it.
#ifndef SQUEEZE_COPENBLAS_H
#define SQUEEZE_COPENBLAS_H

// Loads OpenBLAS once (thread-safe). Returns NULL when it is ready, otherwise a
// one-line reason (static storage).
const char *squeeze_openblas_load(void);

// Row-major cblas_sgemm; OpenBLAS must be loaded.
void squeeze_openblas_sgemm(int transposeA, int transposeB, int m, int n, int k, float alpha,
                            const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

// Threads inside one BLAS call. Before loading, the value is remembered and
// applied at load; reading it then gives that value, or 0 when none was set.
int squeeze_openblas_threads(void);
void squeeze_openblas_set_threads(int threads);

#endif
