#include "COpenBLAS.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// CBLAS enumerations (cblas.h): values fixed by the CBLAS standard.
enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static set_threads_fn set_threads;
static get_threads_fn get_threads;
static const char *failure;
static char failure_text[512];
// Guards `loaded` and `requested`, so a count set while another thread loads
// the library is never lost.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded;
// The last thread count asked for (0: none).
static int requested;

static void load(void) {
    // Debian's libopenblas0 provides the versioned name; the bare one comes with -dev.
    static const char *const names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *library = NULL;
    for (unsigned i = 0; i < sizeof names / sizeof names[0] && !library; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!library) {
        const char *reason = dlerror();
        snprintf(failure_text, sizeof failure_text, "cannot open OpenBLAS (libopenblas.so.0): %s",
                 reason ? reason : "not found");
        failure = failure_text;
        return;
    }
    sgemm = (sgemm_fn)dlsym(library, "cblas_sgemm");
    set_threads = (set_threads_fn)dlsym(library, "openblas_set_num_threads");
    get_threads = (get_threads_fn)dlsym(library, "openblas_get_num_threads");
    if (!sgemm || !set_threads || !get_threads) {
        failure = "the OpenBLAS library found lacks cblas_sgemm or its thread controls";
        return;
    }
    pthread_mutex_lock(&lock);
    if (requested > 0) set_threads(requested);
    loaded = 1;
    pthread_mutex_unlock(&lock);
}

const char *squeeze_openblas_load(void) {
    pthread_once(&once, load);
    return failure;
}

void squeeze_openblas_sgemm(int transposeA, int transposeB, int m, int n, int k, float alpha,
                            const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
          m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int squeeze_openblas_threads(void) {
    pthread_mutex_lock(&lock);
    int threads = loaded ? get_threads() : requested;
    pthread_mutex_unlock(&lock);
    return threads;
}

void squeeze_openblas_set_threads(int threads) {
    pthread_mutex_lock(&lock);
    requested = threads;
    if (loaded) set_threads(threads);
    pthread_mutex_unlock(&lock);
}
