#!/usr/bin/env bash
# Regenerates the Swift for the protobuf schemas the readers use:
#   Sources/SqueezeReader/Caffe/caffe.pb.swift from caffe.proto
#   Sources/SqueezeReader/ONNX/onnx.pb.swift from onnx.proto
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift from swift-protobuf
# (swift build -c release --product protoc-gen-swift in a checkout of it, at the
# version Package.swift asks for). The output is committed so that a normal
# build needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
if [[ -z "$plugin" ]]; then
  echo "error: protoc-gen-swift not found; set PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift" >&2
  exit 1
fi
for schema in Caffe/caffe ONNX/onnx; do
  dir=Sources/SqueezeReader/$(dirname "$schema")
  proto=$(basename "$schema").proto
  protoc --plugin=protoc-gen-swift="$plugin" \
    --swift_opt=Visibility=Internal --swift_opt=UseAccessLevelOnImports=true --swift_opt=FileNaming=DropPath \
    -I "$dir" --swift_out="$dir" "$dir/$proto"
  echo "wrote $dir/$(basename "$schema").pb.swift"
done
