#!/usr/bin/env bash
# The test command (CI runs it after installing the Debian packages):
#  1. every test in a release build (the acceptance figures are measured on
#     release builds);
#  2. every test again in a debug build (-Onone: assertions and the checks
#     the optimiser may fold away);
#  3. every seed and past crash replayed, then each fuzz target for 60 s on its
#     corpus (libFuzzer with AddressSanitizer, the Fuzz/ package), two at a time.
# `tools/test.sh --release-only [swift test options]` runs step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
release_only=0
if [ "${1:-}" = --release-only ]; then release_only=1; shift; fi
tools/setup.sh

echo "== release build and tests" >&2
swift build -c release
swift test -c release --parallel "$@"
[ "$release_only" = 1 ] && exit 0

echo "== debug build and tests" >&2
swift build --build-tests
swift test --parallel "$@"

echo "== fuzzing: seeds and regressions, then 60 s per target" >&2
tools/fuzz.sh check
printf '%s\n' container container-structured deep-compression prototxt caffemodel mnist jpeg onnx |
    FUZZ_NO_BUILD=1 xargs -P 2 -I{} tools/fuzz.sh {} 60
