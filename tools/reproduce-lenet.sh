#!/usr/bin/env bash
# Reproduces the Deep Compression paper's LeNet results (Tables 2 and 3) on the
# development digits: train LeNet-300-100 and LeNet-5 from scratch on 3,200 of
# the 4,000 digits (every 5th is held out for testing), prune in steps with
# retraining, quantize with centroid fine-tuning, Huffman-encode, and print the
# paper-style table with the test accuracy of the dense and the final model.
#
# Usage: tools/reproduce-lenet.sh [output-folder]   (default: .build/lenet)
set -euo pipefail
cd "$(dirname "$0")/.."
digits=${SQUEEZE_SHARED:-../shared}/data/mnist-5k/mnist_4k_dev.csv.gz
out=${1:-.build/lenet}
mkdir -p "$out"
swift build -c release --product squeeze-compress >/dev/null
sc=.build/release/squeeze-compress
split=(--holdout 5)

accuracy() { "$sc" evaluate --model "$1" --mnist "$digits" "${split[@]}" --json | sed 's/.*"top1":\([0-9.]*\).*/\1/'; }
bytes() { wc -c <"$1" | tr -d ' '; }

run() {
    local name=$1 prototxt=$2 densities=$3 bits=$4 steps=$5 retrain_epochs=$6 train_epochs=$7 lr=$8
    echo "== $name"
    "$sc" train --prototxt "$prototxt" --mnist "$digits" "${split[@]}" --epochs "$train_epochs" --lr "$lr" \
        --lr-decay 0.9 --seed 1 -o "$out/$name-dense.sqz" | tail -2
    "$sc" prune "$out/$name-dense.sqz" -o "$out/$name-pruned.sqz" --layer-density "$densities" --steps "$steps" \
        --retrain "$digits" "${split[@]}" --epochs "$retrain_epochs" --lr 0.01 --loss labels --seed 1 | tail -1
    "$sc" quantize "$out/$name-pruned.sqz" -o "$out/$name.sqz" --bits "$bits" --finetune "$digits" "${split[@]}" \
        --epochs 5 --lr 0.001 --loss labels --seed 1 --svg "$out/$name-centroids.svg" | tail -1
    "$sc" report "$out/$name.sqz"
    local dense final size densebytes
    dense=$(accuracy "$out/$name-dense.sqz")
    final=$(accuracy "$out/$name.sqz")
    size=$(bytes "$out/$name.sqz")
    densebytes=$("$sc" report "$out/$name.sqz" --json | grep -o '"dense_bytes":[0-9]*' | head -1 | cut -d: -f2)
    awk -v n="$name" -v d="$dense" -v f="$final" -v s="$size" -v b="$densebytes" 'BEGIN {
        printf "\n%-15s dense %d bytes -> %d bytes = %.1fx smaller; test top-1 %.2f%% dense, %.2f%% compressed (%+.2f points)\n\n",
            n, b, s, b / s, 100 * d, 100 * f, 100 * (f - d) }' | tee -a "$out/summary.txt"
}

: >"$out/summary.txt"
# Densities per layer as in the paper's tables (ip1 a little lower to offset
# our container's per-layer overhead); 5-bit fully connected codebooks.
run lenet-300-100 fixtures/lenet-300-100.prototxt ip1=0.07,ip2=0.09,ip3=0.25 fc=5 5 20 20 0.05
run lenet-5 fixtures/lenet-5.prototxt conv1=0.66,conv2=0.12,ip1=0.06,ip2=0.19 conv=8,fc=5 3 6 15 0.02
echo "== summary"
cat "$out/summary.txt"
