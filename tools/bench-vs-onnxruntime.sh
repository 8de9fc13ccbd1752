#!/usr/bin/env bash
# Side-by-side batch-1 latency: the compressed executor on the imported
# Deep-Compression SqueezeNet (.sqz) against onnxruntime on the same weights as
# dense float32 ONNX (../shared/models/squeezenet-deep-compression/squeezenet_dc.onnx).
# A benchmark, not a test. onnxruntime comes from PyPI into .build/ort-venv.
#
#   tools/bench-vs-onnxruntime.sh [ITERATIONS] [ROUNDS]
#
# Each round times both engines at 2 threads, then both at 1 thread, one after
# the other, so machine noise hits both alike; the figures are the median of
# the rounds' medians.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${1:-200}"
rounds="${2:-3}"
shared="${SQUEEZE_SHARED:-$(cd .. && pwd)/shared}"
model_dir="$shared/models/squeezenet-deep-compression"
onnx="$model_dir/squeezenet_dc.onnx"
[ -f "$onnx" ] || { echo "error: $onnx not found (set SQUEEZE_SHARED)" >&2; exit 1; }

venv=.build/ort-venv
if ! "$venv/bin/python" -c "import onnxruntime, numpy" 2>/dev/null; then
    echo "== installing onnxruntime into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet onnxruntime numpy
fi
swift build -c release --product squeeze-compress >&2
tool=.build/release/squeeze-compress
sqz=.build/squeezenet.sqz
[ -f "$sqz" ] || "$tool" import --prototxt "$model_dir/SqueezeNet_deploy.prototxt" \
    --weights "$model_dir/compressed_SqueezeNet.net" -o "$sqz" >&2

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
    for threads in 2 1; do
        echo "== round $round, $threads thread(s)" >&2
        "$tool" bench "$sqz" --threads "$threads" --iterations "$iterations" --json \
            | sed "s/^{/{\"who\":\"ours\",/" >> "$results"
        "$venv/bin/python" tools/ort_bench.py "$onnx" "$threads" "$iterations" 20 \
            | sed "s/^{/{\"who\":\"ort\",/" >> "$results"
    done
done

"$venv/bin/python" - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def med(who, threads, key):
    return statistics.median(r[key] for r in rows if r["who"] == who and r["threads"] == threads)
ort_name = next(r["engine"] for r in rows if r["who"] == "ort")
print(f"SqueezeNet (Deep Compression), batch 1, median of {len(rows) // 4} rounds' medians")
print(f"{'threads':>7}  {'squeeze-compress':>16}  {ort_name:>20}  {'ratio':>6}")
for threads in (2, 1):
    ours, theirs = med("ours", threads, "median_ms"), med("ort", threads, "median_ms")
    print(f"{threads:>7}  {ours:>13.3f} ms  {theirs:>17.3f} ms  {ours / theirs:>6.3f}")
ours = [r for r in rows if r["who"] == "ours"]
print(f"load (open to ready): {statistics.median(r['load_ms'] for r in ours):.2f} ms; "
      f"weights resident: {ours[0]['weight_bytes_resident']} bytes")
PY
