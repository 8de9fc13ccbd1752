// OpenBLAS' cblas.h (Debian: /usr/include/x86_64-linux-gnu/openblas-pthread, found through pkg-config).
#include <cblas.h>
