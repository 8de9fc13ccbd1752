#!/usr/bin/env bash
# Benchmark (not a test): training throughput of SqueezeNet centroid fine-tuning
# — forward and backward of the student, plus the teacher's forward pass for
# distillation — on the unlabelled calibration images (learning never uses the
# development images, even when only its speed is kept), one epoch, both cores.
# Prints images per second as measured by the trainer.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SQUEEZE_SHARED:-../shared}
m=$shared/models/squeezenet-deep-compression
swift build -c release --product squeeze-compress >/dev/null
sc=.build/release/squeeze-compress
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$sc" import --prototxt "$m/SqueezeNet_deploy.prototxt" --weights "$m/compressed_SqueezeNet.net" -o "$tmp/dc.sqz" >/dev/null
"$sc" quantize "$tmp/dc.sqz" -o "$tmp/q.sqz" --bits conv=6 --finetune "$shared/data/calibration" --epochs 1 \
    --lr 1e-5 --batch 32 --no-dropout --threads "${THREADS:-2}" --json |
    sed 's/.*"images_per_second":\([0-9.]*\).*"seconds":\([0-9.]*\).*/fine-tuning: \1 images\/s (forward + backward + teacher forward), epoch of the calibration images in \2 s/'
