#!/usr/bin/env bash
# The test command: installs missing system libraries, then builds and runs every
# test in release mode (the acceptance figures are measured on release builds).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build -c release
swift test -c release --parallel "$@"
