#!/usr/bin/env bash
# Regenerates Sources/SqueezeReader/Caffe/caffe.pb.swift from caffe.proto.
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift from swift-protobuf
# (swift build -c release --product protoc-gen-swift in a checkout of it). The
# output is committed so that a normal build needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
if [[ -z "$plugin" ]]; then
  echo "error: protoc-gen-swift not found; set PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift" >&2
  exit 1
fi
dir=Sources/SqueezeReader/Caffe
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Internal --swift_opt=UseAccessLevelOnImports=true --swift_opt=FileNaming=DropPath \
  -I "$dir" --swift_out="$dir" "$dir/caffe.proto"
echo "wrote $dir/caffe.pb.swift"
