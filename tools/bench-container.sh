#!/usr/bin/env bash
# Benchmark (not a test): encode and decode the imported SqueezeNet .sqz five
# times each and print the in-process timings the CLI reports.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SQUEEZE_SHARED:-$(cd .. && pwd)/shared}"
m="$shared/models/squeezenet-deep-compression"
swift build -c release --product squeeze-compress >/dev/null
tool=.build/release/squeeze-compress
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for i in 1 2 3 4 5; do
  "$tool" import --prototxt "$m/SqueezeNet_deploy.prototxt" --weights "$m/compressed_SqueezeNet.net" -o "$tmp/s.sqz" | grep -o 'encoded in .*'
done
for i in 1 2 3 4 5; do
  "$tool" decode "$tmp/s.sqz" -o "$tmp/raw.sqz" | grep -o 'decoded in .*'
done
