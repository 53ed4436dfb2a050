#!/usr/bin/env bash
# Fuzz one target for a bounded time; exit non-zero on any crash, leak, OOM or timeout.
#
#   bash fuzz/run.sh TARGET [SECONDS]     (from anywhere; default 60 s)
#
# Uses a nightly toolchain with AddressSanitizer when one is installed, else stable with
# `--sanitizer none`. New inputs go to a scratch folder; the committed corpus/TARGET is read only.
set -euo pipefail

target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ ! -d "corpus/$target" ] || [ -z "$(ls -A "corpus/$target")" ]; then
  echo "fuzz/run.sh: corpus/$target is missing or empty" >&2
  exit 2
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# LENFRAME_FUZZ_STABLE=1 forces the stable path (to check it on a machine that has nightly).
if [ -z "${LENFRAME_FUZZ_STABLE:-}" ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
  sanitizer=address
else
  toolchain=()
  sanitizer=none
fi
# A failed build on one toolchain leaves a cached rustc probe that breaks the next one.
rm -f fuzz/target/.rustc_info.json

scratch="fuzz/target/scratch-corpus/$target"
rm -rf "$scratch"
mkdir -p "$scratch" fuzz/artifacts/"$target"
log="fuzz/target/run-$target.log"

echo "fuzz/run.sh: $target for ${seconds}s, toolchain ${toolchain[*]:-stable}, sanitizer $sanitizer"
set +e
cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" "$scratch" "corpus/$target" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -print_final_stats=1 2>&1 | tee "$log" | grep -A1 -E '^(#[0-9]+ +(INITED|DONE)|==|SUMMARY|thread|stat::|CappedAlloc|Failing input)' 
status=${PIPESTATUS[0]}
set -e

runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
if [ "$status" -ne 0 ]; then
  echo "fuzz/run.sh: $target FAILED (exit $status); full log: $log; reproducer in fuzz/artifacts/$target/" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "fuzz/run.sh: $target passed: ${runs:-?} runs, ${rate:-?} execs/s, no crash"
