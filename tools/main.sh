#!/usr/bin/env bash
# The main job: install what is missing, build in release mode, then run the
# Deep-Compression SqueezeNet from ../shared — import it into a .sqz container,
# print the size report against AlexNet, classify three images and evaluate
# top-1/top-5 on the 500-image development sample from the .sqz (compressed
# engine), and time the compressed engine at batch 1.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SQUEEZE_SHARED:-$(cd .. && pwd)/shared}"
model_dir="$shared/models/squeezenet-deep-compression"
images="$shared/data/imagenet-sample"
[ -d "$model_dir" ] || { echo "error: $model_dir not found (set SQUEEZE_SHARED)" >&2; exit 1; }

tools/setup.sh
swift build -c release --product squeeze-compress
tool=.build/release/squeeze-compress
model=(--prototxt "$model_dir/SqueezeNet_deploy.prototxt" --weights "$model_dir/compressed_SqueezeNet.net")

echo "== import the Deep-Compression weights into a Huffman-coded .sqz"
"$tool" import "${model[@]}" -o .build/squeezenet.sqz
echo
echo "== report"
"$tool" report .build/squeezenet.sqz --alexnet "$shared/models/alexnet/bvlc_alexnet_deploy.prototxt"
echo
echo "== classify"
"$tool" classify "${model[@]}" "$images/n01440764_tench.JPEG" "$images/n01484850_great_white_shark.JPEG" \
    "$images/n01494475_hammerhead.JPEG"
echo
echo "== evaluate ($images)"
"$tool" evaluate --weights .build/squeezenet.sqz "$images"
echo
echo "== bench (compressed engine, batch 1, every core)"
"$tool" bench .build/squeezenet.sqz
