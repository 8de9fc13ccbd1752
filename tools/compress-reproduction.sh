#!/usr/bin/env bash
# Shared body of the calibration-only reproductions (tools/reproduce-*.sh):
# import a model, run `compress` to a byte budget learning only from
# ../shared/data/calibration (every 10th image held back to judge choices and
# stop fine-tuning), print the paper-style table, and measure the original and
# the result on the development images, which nothing learnt from.
#
# Usage: tools/compress-reproduction.sh NAME TARGET-BYTES IMPORT-OPTIONS... [-- COMPRESS-OPTIONS...]
#   IMPORT-OPTIONS: what `import` reads (--onnx FILE, or --prototxt F --weights F);
#   COMPRESS-OPTIONS: more `compress` options (fine-tuning, grid, split sizes);
#   output goes to ${OUT:-.build/NAME}.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 target=$2
shift 2
import_options=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do import_options+=("$1"); shift; done
[ $# -gt 0 ] && shift
shared=${SQUEEZE_SHARED:-../shared}
images=$shared/data/imagenet-sample
calibration=$shared/data/calibration
out=${OUT:-.build/$name}
mkdir -p "$out"
swift build -c release --product squeeze-compress >/dev/null
sc=.build/release/squeeze-compress
start=$SECONDS

"$sc" import "${import_options[@]}" -o "$out/$name-original.sqz"
"$sc" compress "$out/$name-original.sqz" --calibration "$calibration" --holdout 10 --target-bytes "$target" \
    --curves "$out/$name-curves.json" "$@" -o "$out/$name.sqz"
"$sc" report "$out/$name.sqz" --alexnet "$shared/models/alexnet/bvlc_alexnet_deploy.prototxt"
seconds=$((SECONDS - start))
echo "== $name: original"
"$sc" evaluate --model "$out/$name-original.sqz" "$images" | grep -E "top-|model"
echo "== $name: compressed to at most $target bytes ($(wc -c <"$out/$name.sqz") bytes)"
"$sc" evaluate --model "$out/$name.sqz" "$images" | grep -E "top-|model"
echo "== time (import, compress, report): $seconds s on $(nproc) cores"
