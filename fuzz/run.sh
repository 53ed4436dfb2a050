#!/usr/bin/env bash
# Fuzz one target for a bounded time; exit non-zero on any crash, leak, OOM or timeout.
#
#   bash fuzz/run.sh TARGET [SECONDS]     (from anywhere; default 60 s)
#
# Toolchain: nightly with AddressSanitizer when a nightly toolchain is installed; otherwise
# stable with `--sanitizer none` (coverage instrumentation needs no nightly; the fuzz crate's
# capped allocator still catches reservations of announced lengths). Overrides:
#   LENFRAME_FUZZ_STABLE=1          use stable even when nightly is installed
#   LENFRAME_FUZZ_SANITIZER=address AddressSanitizer on stable too, through RUSTC_BOOTSTRAP=1
#   LENFRAME_FUZZ_SANITIZER=none    no sanitizer on nightly either (faster)
#
# New inputs go to a scratch folder (fuzz/target/scratch-corpus/TARGET, emptied first); the
# committed corpus/TARGET is only read, and the run fails if its files changed.
set -euo pipefail

target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

corpus="corpus/$target"
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
  echo "fuzz/run.sh: $corpus is missing or empty" >&2
  exit 2
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# `rustup toolchain list` has no side effects; `cargo +nightly` could install a toolchain.
if [ -z "${LENFRAME_FUZZ_STABLE:-}" ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
  sanitizer=${LENFRAME_FUZZ_SANITIZER:-address}
else
  toolchain=()
  sanitizer=${LENFRAME_FUZZ_SANITIZER:-none}
  if [ "$sanitizer" != none ]; then
    # Sanitizers need -Z flags: let stable accept them, as cargo-fuzz then treats it as nightly.
    export RUSTC_BOOTSTRAP=1
  fi
fi
# A failed build caches the failed rustc probe in target/.rustc_info.json, and later builds
# keep failing even with RUSTC_BOOTSTRAP=1 until it is deleted (cargo issue #15358).
rm -f fuzz/target/.rustc_info.json

scratch="fuzz/target/scratch-corpus/$target"
rm -rf "$scratch"
mkdir -p "$scratch" "fuzz/artifacts/$target"
log="fuzz/target/run-$target.log"

snapshot() { (cd "$corpus" && find . -type f -print0 | sort -z | xargs -0 -r sha1sum); }
before=$(snapshot)

echo "fuzz/run.sh: $target for ${seconds}s, toolchain ${toolchain[*]:-stable}${RUSTC_BOOTSTRAP:+ (RUSTC_BOOTSTRAP=1)}, sanitizer $sanitizer"
set +e
# libFuzzer writes new inputs into the first folder only: the scratch one.
cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" "$scratch" "$corpus" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -print_final_stats=1 2>&1 | tee "$log" |
  grep -E -A1 '^(#[0-9]+[[:space:]]+(INITED|DONE)|==[0-9]+==|SUMMARY|thread .* panicked|stat::|CappedAlloc|Failing input)'
status=${PIPESTATUS[0]}
set -e

if [ "$(snapshot)" != "$before" ]; then
  echo "fuzz/run.sh: the committed $corpus changed during the run" >&2
  exit 1
fi

runs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")
rate=$(awk '/^stat::average_exec_per_sec/ {print $2}' "$log")
new=$(find "$scratch" -type f | wc -l)
if [ "$status" -ne 0 ]; then
  echo "fuzz/run.sh: $target FAILED (exit $status): ${runs:-?} runs, ${rate:-?} execs/s; full log: $log; reproducer in fuzz/artifacts/$target/" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "fuzz/run.sh: $target passed: ${runs:-?} runs, ${rate:-?} execs/s, $new new inputs in $scratch, no crash"
