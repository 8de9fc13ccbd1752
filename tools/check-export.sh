#!/usr/bin/env bash
# The ONNX export checked against an independent runtime: for the four shared
# models (the Deep-Compression SqueezeNet from its .net, and the ONNX models
# squeezenet-v1.1, mobilenet-v1-0.5-160 and mobilenet-v2-1.0-224), import to
# .sqz, export to .onnx, then run onnxruntime on the exported file over the
# 500 development images (preprocessing read back from the file's
# metadata_props preprocessing_json, Pillow BILINEAR resize as
# ../shared/models/*/PREPROCESSING.txt says) and compare each image's top-5
# with `squeeze-compress evaluate --predictions` of both our engines on the .sqz.
# Then the Deep-Compression SqueezeNet's masks and codebooks are checked to
# come back: export -> import --onnx -> the same per-layer bytes.
#
#   tools/check-export.sh            (SCRATCH_PATH=.build-export to build elsewhere)
#
# Needs python3 with numpy, onnx and onnxruntime; Pillow is installed into
# .build/check-export/venv when python3 lacks it. Outputs go to .build/check-export.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SQUEEZE_SHARED:-$(cd .. && pwd)/shared}"
images="$shared/data/imagenet-sample"
[ -d "$images" ] || { echo "error: $images not found (set SQUEEZE_SHARED)" >&2; exit 1; }
scratch="${SCRATCH_PATH:-.build}"
work=.build/check-export
mkdir -p "$work"

python=python3
if ! "$python" -c "import numpy, onnx, onnxruntime, PIL" 2>/dev/null; then
    venv="$work/venv"
    if ! "$venv/bin/python" -c "import numpy, onnx, onnxruntime, PIL" 2>/dev/null; then
        echo "== installing Pillow (and what else is missing) into $venv" >&2
        python3 -m venv --system-site-packages "$venv"
        "$venv/bin/pip" install --quiet pillow
        "$venv/bin/python" -c "import numpy, onnx, onnxruntime" 2>/dev/null \
            || "$venv/bin/pip" install --quiet numpy onnx onnxruntime
    fi
    python="$venv/bin/python"
fi

swift build -c release --product squeeze-compress --scratch-path "$scratch" >&2
tool="$scratch/release/squeeze-compress"

dc="$shared/models/squeezenet-deep-compression"
models=(squeezenet-dc squeezenet-v1.1 mobilenet-v1-0.5-160 mobilenet-v2-1.0-224)
for m in "${models[@]}"; do
    echo "== $m: import, export, evaluate with both engines" >&2
    if [ "$m" = squeezenet-dc ]; then
        "$tool" import --prototxt "$dc/SqueezeNet_deploy.prototxt" --weights "$dc/compressed_SqueezeNet.net" -o "$work/$m.sqz" >&2
    else
        "$tool" import --onnx "$shared/models/$m/$m.onnx" -o "$work/$m.sqz" >&2
    fi
    "$tool" export "$work/$m.sqz" -o "$work/$m.onnx" >&2
    for engine in dense compressed; do
        "$tool" evaluate --weights "$work/$m.sqz" --engine "$engine" --predictions "$work/$m.$engine.tsv" --json "$images" \
            > "$work/$m.$engine.json"
    done
done

echo "== onnxruntime on the exported files" >&2
"$python" - "$work" "$images" "${models[@]}" <<'PY'
import json, math, os, sys
import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

work, images, models = sys.argv[1], sys.argv[2], sys.argv[3:]
synsets = [line.split()[0] for line in open(os.path.join(images, "synsets.txt")) if line.strip()]
index = {s: i for i, s in enumerate(synsets)}
files = sorted(f for f in os.listdir(images) if f.endswith(".JPEG"))

def preprocess(path, p):
    img = Image.open(path).convert("RGB")
    r, crop = int(p["resize_to"]), int(p["crop"])
    if p["resize"] == "shorter_side":
        w, h = img.size
        if w <= h:
            size = (r, max(crop, round(h * r / w)))
        else:
            size = (max(crop, round(w * r / h)), r)
    else:
        size = (r, r)
    img = img.resize(size, Image.BILINEAR)
    left, top = (size[0] - crop) // 2, (size[1] - crop) // 2
    a = np.asarray(img, dtype=np.float32)[top:top + crop, left:left + crop, :]
    if p["color"].upper() == "BGR":
        a = a[:, :, ::-1]
    a = (a - np.array(p["mean"], np.float32)) * np.array(p["scale"], np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1))

def read_tsv(path):
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            rows[os.path.basename(parts[0])] = (int(parts[1]), [int(c) for c in parts[2].split(",")])
    return rows

def accuracy(rows):
    n = len(rows)
    return (sum(t[0] == l for l, t in rows.values()) / n, sum(l in t for l, t in rows.values()) / n)

options = ort.SessionOptions()
options.log_severity_level = 3  # the side tensors are unused initializers: not worth a warning each
summary = []
for m in models:
    path = os.path.join(work, m + ".onnx")
    model = onnx.load(path)
    props = {p.key: p.value for p in model.metadata_props}
    p = json.loads(props["preprocessing_json"])
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    theirs = {}
    batch = 25
    for start in range(0, len(files), batch):
        chunk = files[start:start + batch]
        x = np.stack([preprocess(os.path.join(images, f), p) for f in chunk])
        y = session.run(None, {name: x})[0].reshape(len(chunk), -1)
        for f, logits in zip(chunk, y):
            top5 = np.argsort(-logits, kind="stable")[:5].tolist()
            theirs[f] = (index[f.split("_")[0]], top5)
    with open(os.path.join(work, m + ".onnxruntime.tsv"), "w") as out:
        out.write("file\tlabel\ttop5\n")
        for f in files:
            out.write(f"{f}\t{theirs[f][0]}\t{','.join(map(str, theirs[f][1]))}\n")
    dense = read_tsv(os.path.join(work, m + ".dense.tsv"))
    compressed = read_tsv(os.path.join(work, m + ".compressed.tsv"))
    same = lambda a, b: sum(a[f][1] == b[f][1] for f in files)
    summary.append((m, len(files), same(theirs, dense), same(theirs, compressed), same(dense, compressed),
                    accuracy(theirs), accuracy(dense), accuracy(compressed),
                    sorted(json.loads(props.get("squeeze.compression", '{"layers": {}}'))["layers"].keys())))

print()
print(f"{'model':<22} {'images':>6}  {'same top-5 as onnxruntime':>26}  {'onnxruntime':>13}  {'dense':>13}  {'compressed':>13}")
print(f"{'':<22} {'':>6}  {'dense':>12} {'compressed':>13}  {'top-1  top-5':>13}  {'top-1  top-5':>13}  {'top-1  top-5':>13}")
for m, n, sd, sc, dc, a, b, c, _ in summary:
    print(f"{m:<22} {n:>6}  {sd:>12} {sc:>13}  {a[0]:.3f}  {a[1]:.3f}  {b[0]:.3f}  {b[1]:.3f}  {c[0]:.3f}  {c[1]:.3f}")
print()
for m, n, sd, sc, dc, *_rest, layers in summary:
    print(f"{m}: dense and compressed engines agree on {dc}/{n} top-5 lists; "
          f"{len(layers)} layers carry masks/codebooks in the exported file")
PY

echo
echo "== Deep-Compression SqueezeNet: export -> import --onnx keeps the masks and codebooks" >&2
"$tool" import --onnx "$work/squeezenet-dc.onnx" -o "$work/squeezenet-dc.roundtrip.sqz" >&2
"$tool" report "$work/squeezenet-dc.sqz" --json > "$work/squeezenet-dc.report.json"
"$tool" report "$work/squeezenet-dc.roundtrip.sqz" --json > "$work/squeezenet-dc.roundtrip.report.json"
"$python" - "$work/squeezenet-dc.report.json" "$work/squeezenet-dc.roundtrip.report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
la, lb = a["layers"], b["layers"]
same = [x == y for x, y in zip(la, lb)]
print(f"original .sqz {a['container_bytes']} bytes, after export -> import --onnx {b['container_bytes']} bytes "
      f"({b['container_bytes'] - a['container_bytes']:+d})")
print(f"per-layer rows (weights, non-zero, index and weight bits, coded bytes) identical in {sum(same)}/{len(la)} layers; "
      f"coded layer bytes {sum(l['bytes'] for l in la)} and {sum(l['bytes'] for l in lb)}")
print("the rest of the difference is the container's graph and metadata sections: the re-imported model records its "
      "new provenance and keeps the ONNX file's metadata_props (squeeze.compression among them) as onnx.* entries, "
      "and its graph names each in-place value separately (ONNX values are assigned once) and has no Dropout layer")
if not all(same) or len(la) != len(lb):
    sys.exit("the masks or codebooks did not come back")
PY
