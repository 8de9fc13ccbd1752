#include "FuzzDriver.h"

// In libclang_rt.fuzzer, linked by -sanitize=fuzzer (see FuzzDriver.h).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*user_callback)(const uint8_t *data, size_t size));

int squeeze_fuzz_main(int argc, char **argv, squeeze_fuzz_callback callback) {
    return LLVMFuzzerRunDriver(&argc, &argv, callback);
}
