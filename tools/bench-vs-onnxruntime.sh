#!/usr/bin/env bash
# Side-by-side batch-1 latency: the compressed executor against onnxruntime on
# the same weights. By default the imported Deep-Compression SqueezeNet (.sqz)
# against its dense float32 ONNX (../shared/models/squeezenet-deep-compression/
# squeezenet_dc.onnx); with MODEL.onnx, that model imported with `import --onnx`
# against the file itself. A benchmark, not a test. onnxruntime comes from PyPI
# into .build/ort-venv.
#
#   tools/bench-vs-onnxruntime.sh [ITERATIONS] [ROUNDS] [MODEL.onnx]
#
# Each round times both engines at 2 threads, then both at 1 thread, one right
# after the other (who goes first alternates by round), so machine noise hits
# both alike; the figures are the median of the rounds' medians, and each
# round's own ratio is shown as a range.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${1:-200}"
rounds="${2:-3}"
shared="${SQUEEZE_SHARED:-$(cd .. && pwd)/shared}"
model_dir="$shared/models/squeezenet-deep-compression"
onnx="${3:-$model_dir/squeezenet_dc.onnx}"
[ -f "$onnx" ] || { echo "error: $onnx not found (set SQUEEZE_SHARED)" >&2; exit 1; }
title="SqueezeNet (Deep Compression)"
[ -n "${3:-}" ] && title="$(basename "$onnx" .onnx) (imported dense)"

venv=.build/ort-venv
if ! "$venv/bin/python" -c "import onnxruntime, numpy" 2>/dev/null; then
    echo "== installing onnxruntime into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet onnxruntime numpy
fi
swift build -c release --product squeeze-compress >&2
tool=.build/release/squeeze-compress
if [ -n "${3:-}" ]; then
    sqz=".build/$(basename "$onnx" .onnx).sqz"
    "$tool" import --onnx "$onnx" -o "$sqz" >&2
else
    sqz=.build/squeezenet.sqz
    [ -f "$sqz" ] || "$tool" import --prototxt "$model_dir/SqueezeNet_deploy.prototxt" \
        --weights "$model_dir/compressed_SqueezeNet.net" -o "$sqz" >&2
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
ours() {
    "$tool" bench "$sqz" --threads "$1" --iterations "$iterations" --json \
        | sed "s/^{/{\"who\":\"ours\",\"round\":$2,/" >> "$results"
}
theirs() {
    "$venv/bin/python" tools/ort_bench.py "$onnx" "$1" "$iterations" 20 \
        | sed "s/^{/{\"who\":\"ort\",\"round\":$2,/" >> "$results"
}
for round in $(seq "$rounds"); do
    for threads in 2 1; do
        echo "== round $round, $threads thread(s)" >&2
        # Who goes first alternates, so a machine speeding up or slowing down
        # during a round favours neither.
        if ((round % 2)); then ours "$threads" "$round"; theirs "$threads" "$round"
        else theirs "$threads" "$round"; ours "$threads" "$round"; fi
    done
done

"$venv/bin/python" - "$results" "$title" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def med(who, threads, key):
    return statistics.median(r[key] for r in rows if r["who"] == who and r["threads"] == threads)
ort_name = next(r["engine"] for r in rows if r["who"] == "ort")
print(f"{sys.argv[2]}, batch 1, median of {len(rows) // 4} rounds' medians")
print(f"{'threads':>7}  {'squeeze-compress':>16}  {ort_name:>20}  {'ratio':>6}   (each round's ratio)")
def per_round(threads):
    by = {(r["who"], r["round"]): r["median_ms"] for r in rows if r["threads"] == threads}
    return sorted(by[("ours", k)] / by[("ort", k)] for (who, k) in by if who == "ours")
for threads in (2, 1):
    ours, theirs = med("ours", threads, "median_ms"), med("ort", threads, "median_ms")
    spread = per_round(threads)
    print(f"{threads:>7}  {ours:>13.3f} ms  {theirs:>17.3f} ms  {ours / theirs:>6.3f}"
          f"   (rounds {spread[0]:.3f}-{spread[-1]:.3f})")
# Each round's figures: a round far off the others ran (partly) in one of the
# machine's slow spells, which can start between the two engines' runs.
for k in sorted({r["round"] for r in rows}):
    by = {(r["who"], r["threads"]): r["median_ms"] for r in rows if r["round"] == k}
    print(f"  round {k}: 2 threads {by[('ours', 2)]:.3f} vs {by[('ort', 2)]:.3f} ms, "
          f"1 thread {by[('ours', 1)]:.3f} vs {by[('ort', 1)]:.3f} ms")
ours = [r for r in rows if r["who"] == "ours"]
print(f"load (open to ready): {statistics.median(r['load_ms'] for r in ours):.2f} ms; "
      f"weights resident: {ours[0]['weight_bytes_resident']} bytes")
PY
