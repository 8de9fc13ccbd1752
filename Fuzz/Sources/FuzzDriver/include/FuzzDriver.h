// Hands a fuzz target's process over to libFuzzer.
//
// SwiftPM (tools version 5.5 and later) links an executable with
// `--defsym main=<Target>_main`, the entry point of the target's main.swift,
// so libFuzzer's own `main` is never linked in. Each target's main.swift
// therefore calls this, which runs libFuzzer's driver
// (`LLVMFuzzerRunDriver`, the documented entry for programs with their own
// main) with the target's `LLVMFuzzerTestOneInput`.
#ifndef SQUEEZE_FUZZ_DRIVER_H
#define SQUEEZE_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// A fuzz target: one input, always 0.
typedef int (*squeeze_fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer with the process's arguments; returns its exit status.
int squeeze_fuzz_main(int argc, char **argv, squeeze_fuzz_callback callback);

#endif
