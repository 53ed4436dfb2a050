#!/usr/bin/env bash
# Fuzz one target for a bounded time on every core; exit non-zero on any crash, leak, OOM or
# timeout.
#
#   bash fuzz/run.sh TARGET [SECONDS] [JOBS]     (from anywhere; default 60 s, all cores)
#
# SECONDS and JOBS are whole numbers of at least 1. JOBS > 1 runs JOBS libFuzzer processes side
# by side (-jobs=JOBS -workers=JOBS), sharing the scratch corpus: each picks up the others' finds.
# (Fork mode, -fork=JOBS, what `cargo fuzz run -j` passes, restarts its children every few
# seconds, and gets fewer executions done.) JOBS = 1 is one plain process.
#
# Toolchain: as a user types it, `cargo fuzz run` on the default toolchain with AddressSanitizer,
# which works on stable through the RUSTC_BOOTSTRAP=1 of the repository's .cargo/config.toml
# (README, "Fuzzing"). Overrides:
#   LENFRAME_FUZZ_SANITIZER=none   no sanitizer (faster; the fuzz crate's capped allocator still
#                                  catches reservations of announced lengths)
#   LENFRAME_FUZZ_NIGHTLY=1        cargo +nightly fuzz run (needs a nightly toolchain installed)
#
# New inputs go to a scratch folder (fuzz/target/scratch-corpus/TARGET, emptied first); the
# committed corpus/TARGET is only read, and the run fails if its files changed. The summary line
# counts the executions of every job.
set -euo pipefail

usage="usage: fuzz/run.sh TARGET [SECONDS] [JOBS]"
fail_usage() {
  echo "fuzz/run.sh: $1" >&2
  echo "$usage" >&2
  exit 2
}
# NAME VALUE: VALUE is a whole number of at least 1.
whole() {
  [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || fail_usage "$1 must be a whole number of at least 1, not '$2'"
}
if [ $# -lt 1 ] || [ $# -gt 3 ]; then fail_usage "takes 1 to 3 arguments, not $#"; fi
target=$1
seconds=${2:-60}
jobs=${3:-$(nproc 2>/dev/null || echo 1)}
whole SECONDS "$seconds"
whole JOBS "$jobs"
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

toolchain=()
if [ -n "${LENFRAME_FUZZ_NIGHTLY:-}" ]; then
  toolchain=(+nightly)
fi
sanitizer=${LENFRAME_FUZZ_SANITIZER:-address}
# A failed build caches the failed rustc probe in target/.rustc_info.json, and later builds
# keep failing even with RUSTC_BOOTSTRAP=1 until it is deleted (cargo issue #15358).
rm -f fuzz/target/.rustc_info.json

scratch="fuzz/target/scratch-corpus/$target"
rm -rf "$scratch"
mkdir -p "$scratch" "fuzz/artifacts/$target"
log="fuzz/target/run-$target.log"

snapshot() { (cd "$corpus" && find . -type f -print0 | sort -z | xargs -0 -r sha1sum); }
before=$(snapshot)

parallel=()
if [ "$jobs" -gt 1 ]; then
  parallel=(-jobs="$jobs" -workers="$jobs")
  # The workers log to fuzz-N.log in the current folder: the root.
  rm -f fuzz-[0-9]*.log
fi
echo "fuzz/run.sh: $target for ${seconds}s, $jobs job(s), toolchain ${toolchain[*]:-default}, sanitizer $sanitizer"
set +e
# libFuzzer writes new inputs into the first folder only: the scratch one.
cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" "$scratch" "$corpus" -- \
  "${parallel[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -print_final_stats=1 2>&1 | tee "$log" |
  grep -E -A1 '^(#[0-9]+:? +(INITED|DONE|cov)|==[0-9]+==|SUMMARY|thread .* panicked|stat::|CappedAlloc|Failing input|INFO: fuzzed for)'
status=${PIPESTATUS[0]}
set -e

if [ "$(snapshot)" != "$before" ]; then
  echo "fuzz/run.sh: the committed $corpus changed during the run" >&2
  exit 1
fi

if [ "$jobs" -gt 1 ]; then
  # Each worker's log ends with its own stats: the totals are their sums.
  shopt -s nullglob
  worker_logs=(fuzz-[0-9]*.log)
  shopt -u nullglob
  if [ ${#worker_logs[@]} -eq 0 ]; then
    echo "fuzz/run.sh: no worker logs (fuzz-N.log): the workers did not run" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  mv "${worker_logs[@]}" fuzz/target/
  worker_logs=("${worker_logs[@]/#/fuzz/target/}")
  runs=$(awk '/^stat::number_of_executed_units/ {n += $2} END {print n}' "${worker_logs[@]}")
  rate=$(awk '/^stat::average_exec_per_sec/ {n += $2} END {print n}' "${worker_logs[@]}")
  # A worker's crash ends that worker, not always the parent's exit status: look at the logs.
  if grep -qE '^(==[0-9]+==ERROR|SUMMARY: libFuzzer|thread .* panicked|CappedAlloc)' "${worker_logs[@]}"; then
    status=1
    cat "${worker_logs[@]}" >>"$log"
  fi
else
  runs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/^stat::average_exec_per_sec/ {print $2}' "$log")
fi
runs=${runs:-}
new=$(find "$scratch" -type f | wc -l)
if [ "$status" -ne 0 ]; then
  echo "fuzz/run.sh: $target FAILED (exit $status): ${runs:-?} runs, ${rate:-?} execs/s, $jobs job(s); full log: $log; reproducer in fuzz/artifacts/$target/" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "fuzz/run.sh: $target passed: ${runs:-?} runs, ${rate:-?} execs/s over $jobs job(s), $new new inputs in $scratch, no crash"
