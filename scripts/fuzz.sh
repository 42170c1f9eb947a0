#!/usr/bin/env bash
# Fuzzes every parser of outside data with libFuzzer and AddressSanitizer (see docs/FUZZING.md).
#   bash scripts/fuzz.sh [SECONDS] [HARNESS …]     default: 30 s each, every harness
# Each harness starts from the committed seeds in Fuzz/corpus/<name> and grows its own corpus in
# .build/fuzz/corpus/<name> (kept between runs); an input that crashes, hangs (over 10 s) or
# leaks is saved in .build/fuzz/findings/ and the script exits with status 1 after the others ran.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    harnesses=(idx gzip safetensors checkpoint config history image index graph tags classmap augment multipart)
fi
# The sanitizers go in one -sanitize= flag: swiftc keeps only the last -sanitize= it is given, and
# `swift build --sanitize fuzzer --sanitize address` passes the two in an order that changes from
# run to run, so a build came out with coverage but no AddressSanitizer, or the reverse (the fuzzer
# then runs blind; checked below). --sanitize fuzzer stays for SwiftPM to link libFuzzer's main.
# Always from clean; FUZZ_NO_BUILD=1 reuses the last build (e.g. for a second run in parallel).
if [ "${FUZZ_NO_BUILD:-}" != 1 ]; then
    rm -rf Fuzz/.build/release Fuzz/.build/x86_64-unknown-linux-gnu/release
    (cd Fuzz && swift build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
        -Xcc -fsanitize=address 2>&1 | grep -v "ld.gold: warning" | tail -2)
    calls=$(nm Fuzz/.build/x86_64-unknown-linux-gnu/release/Data.build/IDX.swift.o | grep -c __asan_report || true)
    if [ "$calls" -eq 0 ]; then
        echo "Error: the fuzz build lacks AddressSanitizer instrumentation" >&2
        exit 1
    fi
fi
binary=Fuzz/.build/release/fuzz
mkdir -p .build/fuzz/findings
failed=()
printf '%-12s %10s %8s %8s  %s\n' harness executions exec/s corpus result
for name in "${harnesses[@]}"; do
    corpus=.build/fuzz/corpus/$name
    mkdir -p "$corpus"
    log=.build/fuzz/$name.log
    status=0
    FASHION_FUZZ_TARGET=$name ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no "$binary" "$corpus" "Fuzz/corpus/$name" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix=".build/fuzz/findings/$name-" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    size=$(find "$corpus" -type f | wc -l)
    if grep -q "Is the code instrumented for coverage" "$log"; then
        result="NOT INSTRUMENTED (no coverage feedback; see $log)"; failed+=("$name")
    elif [ "$status" -eq 0 ]; then result=ok; else result="FOUND (status $status, see $log)"; failed+=("$name"); fi
    printf '%-12s %10s %8s %8s  %s\n' "$name" "$runs" "$rate" "$size" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "Error: fuzzing failed for: ${failed[*]} (crashing inputs in .build/fuzz/findings/)" >&2
    exit 1
fi
