#!/usr/bin/env bash
# SqueezeNet v1.1 from its dense float32 weights (4.94 MB) to at most 550,000
# bytes, learning only from the unlabelled calibration images: per-layer
# densities and bits chosen by sensitivity (on all 168 held-back images)
# within the budget, output-aware pruning and weight sharing layer by layer,
# centroid distillation with Adam for up to 3 epochs (the epoch closest to the
# teacher on the held-back split is kept).
#
# Usage: tools/reproduce-squeezenet-v1.1.sh   (output: ${OUT:-.build/squeezenet-v1.1})
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SQUEEZE_SHARED:-../shared}
exec tools/compress-reproduction.sh squeezenet-v1.1 550000 --onnx "$shared/models/squeezenet-v1.1/squeezenet-v1.1.onnx" \
    -- --sensitivity-images 168 --epochs 3 --optimizer adam --lr 2e-5
