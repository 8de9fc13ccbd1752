#!/usr/bin/env bash
# MobileNet v2 1.0 (224 x 224) from its dense float32 ONNX weights to at most
# 2,000,000 bytes, learning only from the unlabelled calibration images (see
# tools/compress-reproduction.sh). TARGET=1400000 gives the smaller point.
#
# Usage: tools/reproduce-mobilenet-v2.sh   (output: ${OUT:-.build/mobilenet-v2-1.0-224})
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SQUEEZE_SHARED:-../shared}
exec tools/compress-reproduction.sh mobilenet-v2-1.0-224 "${TARGET:-2000000}" \
    --onnx "$shared/models/mobilenet-v2-1.0-224/mobilenet-v2-1.0-224.onnx" -- --epochs 3 --lr 1.5e-5
