#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers with libFuzzer (the Fuzz/ package).
#
#   tools/fuzz.sh TARGET SECONDS [libFuzzer flags...]   fuzz one target
#   tools/fuzz.sh all SECONDS [libFuzzer flags...]      fuzz every target in turn
#   tools/fuzz.sh check [TARGET]                        run every seed and regression input once
#   tools/fuzz.sh minimize TARGET CRASH_FILE [RUNS]     shrink a crashing input
#
# TARGET: container, container-structured, deep-compression, prototxt,
# caffemodel, mnist, jpeg, onnx. The fuzz package is built first (release, with
# -sanitize=fuzzer,address; a no-op when up to date; FUZZ_NO_BUILD=1 skips it).
# Seeds come from fixtures/fuzz/<target>/ and fixtures/fuzz/regressions/<target>/
# and are copied into a work corpus, .build-fuzz/corpus/<target>/, which keeps
# growing across runs; fixtures/ is never written. Crashes, leaks, OOMs and
# timeouts go to .build-fuzz/artifacts/<target>/, the log to
# .build-fuzz/logs/<target>.log. Each target ends with one summary line; the
# exit status is non-zero when any target failed.
#
# Runs: -max_total_time=SECONDS -rss_limit_mb=2048 -timeout=10, the target's
# dictionary (Fuzz/<target>.dict) and -max_len; ASan's leak checker stays on,
# with Fuzz/lsan.supp (see there). Extra flags go to libFuzzer, for instance
# -fork=2 -ignore_crashes=1 to keep going past a known crash.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

all_targets=(container container-structured deep-compression prototxt caffemodel mnist jpeg onnx)

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

executable() {
    case "$1" in
        container) echo FuzzContainer ;;
        container-structured) echo FuzzContainerStructured ;;
        deep-compression) echo FuzzDeepCompression ;;
        prototxt) echo FuzzPrototxt ;;
        caffemodel) echo FuzzCaffeModel ;;
        mnist) echo FuzzMNIST ;;
        jpeg) echo FuzzJPEG ;;
        onnx) echo FuzzONNX ;;
        *) echo "fuzz.sh: unknown target '$1' (known: ${all_targets[*]} all)" >&2; exit 2 ;;
    esac
}

# The longest input libFuzzer makes: a little above the largest seed.
max_len() {
    case "$1" in
        container | container-structured | mnist | jpeg) echo 16384 ;;
        *) echo 8192 ;;
    esac
}

# Seed folders: the target's own, the plain container seeds for the
# structure-aware target too, and past crashes.
seed_dirs() {
    local dirs=("fixtures/fuzz/$1" "fixtures/fuzz/regressions/$1")
    [ "$1" = container-structured ] && dirs+=(fixtures/fuzz/container fixtures/fuzz/regressions/container)
    for d in "${dirs[@]}"; do [ -d "$d" ] && echo "$d"; done
    return 0
}

build_flags=(-c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)

build() {
    if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
        echo "fuzz.sh: swift build ${build_flags[*]}" >&2
        swift build "${build_flags[@]}" >&2
    fi
    bin=$(swift build "${build_flags[@]}" --show-bin-path)
}

sanitizer_environment() {
    local symbolizer
    symbolizer=$(command -v llvm-symbolizer || true)
    [ -z "$symbolizer" ] && [ -x "$(dirname "$(command -v swift)")/llvm-symbolizer" ] &&
        symbolizer="$(dirname "$(command -v swift)")/llvm-symbolizer"
    [ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1:${ASAN_OPTIONS:-}"
    # The Swift runtime's crash handler (its backtracer) reads the crashed
    # process's memory from a helper thread, which ASan reports as an
    # "unknown-crash" in CrashHandlerLinux.cpp instead of the real trap;
    # libFuzzer prints the stack of a trap itself.
    export SWIFT_BACKTRACE=enable=no
    export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
}

# One line from a finished run's log.
summarize() {
    local target=$1 log=$2 status=$3
    local runs rate rss last cov ft corp verdict
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    # -fork=N prints no final stats; its progress lines carry the counts.
    [ -z "$runs" ] && runs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' <<<"$last")
    [ -z "$rate" ] && rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$last")
    [ -z "$rss" ] && rss=$(grep -o 'rss: [0-9]*Mb' "$log" | grep -o '[0-9]*' | sort -n | tail -1 || true)
    local forked
    forked=$(sed -n 's/.* oom\/timeout\/crash: \([0-9]*\/[0-9]*\/[0-9]*\).*/\1/p' <<<"$last")
    if [ -n "$forked" ] && [ "$forked" != 0/0/0 ]; then
        verdict="FAILED: oom/timeout/crash $forked, see $(dirname "$log")/../artifacts/$target/"
    elif [ "$status" = 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: |Fatal error|==ERROR' "$log"; then
        verdict=ok
    else
        verdict="FAILED (exit $status): $(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|==ERROR' "$log" | cut -c1-160 || true)"
    fi
    printf '%-21s %10s runs %7s exec/s  cov %6s  ft %7s  corpus %6s  peak rss %5s MB  %s\n' \
        "$target:" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$verdict"
    [ "$verdict" = ok ]
}

fuzz() {
    local target=$1 seconds=$2
    shift 2
    local name corpus artifacts log status dict
    name=$(executable "$target")
    corpus=.build-fuzz/corpus/$target
    artifacts=.build-fuzz/artifacts/$target
    log=.build-fuzz/logs/$target.log
    mkdir -p "$corpus" "$artifacts" .build-fuzz/logs
    for d in $(seed_dirs "$target"); do
        find "$d" -maxdepth 1 -type f -exec cp -n {} "$corpus/" \;
    done
    dict=()
    [ -f "Fuzz/$target.dict" ] && dict=("-dict=Fuzz/$target.dict")
    echo "fuzz.sh: $target for $seconds s (log: $log)" >&2
    set +e
    "$bin/$name" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -max_len="$(max_len "$target")" "${dict[@]}" -artifact_prefix="$artifacts/" "$@" >"$log" 2>&1
    status=$?
    set -e
    summarize "$target" "$log" "$status"
}

check() {
    local target=$1 name files status
    name=$(executable "$target")
    files=()
    for d in $(seed_dirs "$target"); do
        while IFS= read -r f; do files+=("$f"); done < <(find "$d" -maxdepth 1 -type f | sort)
    done
    [ ${#files[@]} = 0 ] && { echo "$target: no inputs"; return 0; }
    mkdir -p .build-fuzz/logs
    set +e
    "$bin/$name" -rss_limit_mb=2048 -timeout=10 "${files[@]}" >".build-fuzz/logs/$target-check.log" 2>&1
    status=$?
    set -e
    if [ "$status" = 0 ]; then
        echo "$target: ${#files[@]} inputs ok"
    else
        echo "$target: FAILED (exit $status), see .build-fuzz/logs/$target-check.log:"
        grep -m3 -E 'Running: |ERROR|Fatal error' ".build-fuzz/logs/$target-check.log" | sed 's/^/    /'
    fi
    return "$status"
}

[ $# -ge 1 ] || usage
command=$1
case "$command" in
    -h | --help) usage ;;
    check)
        targets=("${all_targets[@]}")
        [ $# -ge 2 ] && targets=("$2")
        build
        sanitizer_environment
        failed=0
        for t in "${targets[@]}"; do executable "$t" >/dev/null; check "$t" || failed=1; done
        exit $failed
        ;;
    minimize)
        [ $# -ge 3 ] || usage
        target=$2 crash=$3 runs=${4:-200000}
        name=$(executable "$target")
        build
        sanitizer_environment
        out=.build-fuzz/artifacts/$target/minimized-$(basename "$crash")
        mkdir -p "$(dirname "$out")"
        "$bin/$name" -minimize_crash=1 -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
            -exact_artifact_path="$out" "$crash" >".build-fuzz/logs/$target-minimize.log" 2>&1 || true
        if [ -f "$out" ]; then echo "$out ($(wc -c <"$out") bytes)"; else
            echo "fuzz.sh: no minimized input; see .build-fuzz/logs/$target-minimize.log" >&2; exit 1; fi
        ;;
    *)
        [ $# -ge 2 ] || usage
        seconds=$2
        [[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }
        shift 2
        if [ "$command" = all ]; then targets=("${all_targets[@]}"); else executable "$command" >/dev/null; targets=("$command"); fi
        build
        sanitizer_environment
        failed=0
        for t in "${targets[@]}"; do fuzz "$t" "$seconds" "$@" || failed=1; done
        exit $failed
        ;;
esac
