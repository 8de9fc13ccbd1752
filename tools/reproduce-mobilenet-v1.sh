#!/usr/bin/env bash
# MobileNet v1 0.5 (160 x 160) from its dense float32 ONNX weights to at most
# 800,000 bytes, learning only from the unlabelled calibration images (see
# tools/compress-reproduction.sh).
#
# Usage: tools/reproduce-mobilenet-v1.sh   (output: ${OUT:-.build/mobilenet-v1-0.5-160})
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SQUEEZE_SHARED:-../shared}
exec tools/compress-reproduction.sh mobilenet-v1-0.5-160 800000 \
    --onnx "$shared/models/mobilenet-v1-0.5-160/mobilenet-v1-0.5-160.onnx" -- --epochs 4 --lr 1.5e-5
