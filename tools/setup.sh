#!/usr/bin/env bash
# Installs what SqueezeCompress needs on a Debian machine: the C libraries it links
# (libjpeg-turbo, OpenBLAS, zstd, zlib) and pkg-config. Does nothing when all are present.
set -euo pipefail

packages=(pkg-config libjpeg62-turbo-dev libopenblas-dev libzstd-dev zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6 at /opt/swift)" >&2; exit 1; }
