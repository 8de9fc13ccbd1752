#!/usr/bin/env bash
# SqueezeNet at 6 bits: from the imported Deep-Compression model (pruned,
# 8-bit shared), k-means every layer to 64 centroids (linear initialisation),
# fine-tune the centroids by distillation against the 8-bit model on the
# unlabelled calibration images (every 10th held back: top-1 agreement with
# the 8-bit model is reported on it), Huffman-encode, and report the size
# against AlexNet. The development images only measure, at the end.
#
# Usage: tools/reproduce-squeezenet-6bit.sh [output-folder]   (default: .build/squeezenet-6bit)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SQUEEZE_SHARED:-../shared}
m=$shared/models/squeezenet-deep-compression
images=$shared/data/imagenet-sample
calibration=$shared/data/calibration
out=${1:-.build/squeezenet-6bit}
mkdir -p "$out"
swift build -c release --product squeeze-compress >/dev/null
sc=.build/release/squeeze-compress

"$sc" import --prototxt "$m/SqueezeNet_deploy.prototxt" --weights "$m/compressed_SqueezeNet.net" -o "$out/squeezenet-8bit.sqz"
"$sc" quantize "$out/squeezenet-8bit.sqz" -o "$out/squeezenet-6bit.sqz" --bits conv=6 --init linear \
    --finetune "$calibration" --holdout 10 --loss distill --temperature 1 --epochs 6 --lr 2e-5 --lr-decay 0.8 \
    --batch 32 --no-dropout --seed 1 --svg "$out/centroids.svg"
"$sc" report "$out/squeezenet-6bit.sqz" --alexnet "$shared/models/alexnet/bvlc_alexnet_deploy.prototxt"
echo "== 8-bit"
"$sc" evaluate --model "$out/squeezenet-8bit.sqz" "$images"
echo "== 6-bit, fine-tuned"
"$sc" evaluate --model "$out/squeezenet-6bit.sqz" "$images"
echo "== time: $SECONDS s"
