#!/usr/bin/env bash
# Regenerates the fuzzing seed corpora, fixtures/fuzz/<target>/ (never
# fixtures/fuzz/regressions/), with Fuzz/Scripts/corpus.py.
#
# The .sqz seeds are made by the command-line tool: $SQUEEZE_COMPRESS, or a
# release build in .build-fuzztest. The JPEG seeds need Pillow (installed into
# .build-fuzz/corpus-venv when python3 lacks it) and the NETW re-framing needs
# the zstd command. Seeds are deterministic for a given Pillow and zstd.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=${SQUEEZE_COMPRESS:-}
if [ -z "$cli" ]; then
    swift build -c release --scratch-path .build-fuzztest --product squeeze-compress
    cli=$(swift build -c release --scratch-path .build-fuzztest --show-bin-path)/squeeze-compress
fi
command -v zstd >/dev/null || { echo "make-fuzz-corpus.sh: needs the zstd command (apt-get install zstd)" >&2; exit 1; }

python=python3
if ! python3 -c 'import PIL' 2>/dev/null; then
    [ -x .build-fuzz/corpus-venv/bin/python ] || python3 -m venv .build-fuzz/corpus-venv
    .build-fuzz/corpus-venv/bin/python -c 'import PIL' 2>/dev/null || .build-fuzz/corpus-venv/bin/pip install -q pillow
    python=.build-fuzz/corpus-venv/bin/python
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" Fuzz/Scripts/corpus.py --out fixtures/fuzz --cli "$cli" --work "$work"
