#!/usr/bin/env bash
# What each oracle costs: a fuzz target and its bare twin (fuzz_targets/bare_*.rs: the same work, no
# oracle), run one after the other for the same time from the same corpus, one job each, without a
# sanitizer; prints execs/s for both and the ratio (the oracle's cost, in bare runs). Round r runs
# both with libFuzzer's -seed=r, address randomization off (`setarch -R`) and no corpus reload
# (-reload=0), so that a rerun makes the same choices: a target's rate depends on which inputs its
# fuzzer grows (the bare twin's swung from 520 000 to 840 000 execs/s over five unseeded runs), and
# with randomized addresses the same seed still grew different inputs (compared pointers reach
# libFuzzer's comparison tables). With ROUNDS > 1 (default 1), the pair runs that many times,
# alternating, seeds 1 to ROUNDS, and the line gives the medians. A target with a
# `bare_TARGET_passes` (decode: its decoding passes made with no check, the floor under it) has that
# one run in each round too, and its line splits the ratio: passes over bare, then the target over
# its passes (the checks' cost).
#
#   bash fuzz/measure.sh [SECONDS] [TARGET...]     (default 20 s; decode roundtrip reader differential)
#   ROUNDS=3 bash fuzz/measure.sh 20 decode
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode roundtrip reader differential)
rounds=${ROUNDS:-1}

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
rm -f fuzz/target/.rustc_info.json
cargo fuzz build -s none >/dev/null

# Without setarch, or where it may not turn randomization off, the runs still work, less alike.
same_addresses=()
if setarch -R true 2>/dev/null; then
  same_addresses=(setarch -R)
else
  echo "fuzz/measure.sh: no setarch -R here, addresses stay randomized" >&2
fi

rate() {
  local bin=$1 corpus=$2 seed=$3 log=fuzz/target/measure-$1.log
  local scratch=fuzz/target/measure-corpus/$bin
  rm -rf "$scratch"
  mkdir -p "$scratch"
  cp -r "$corpus"/. "$scratch"/
  "${same_addresses[@]}" cargo fuzz run -s none "$bin" "$scratch" -- -max_total_time="$seconds" \
    -seed="$seed" -reload=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || {
    echo "fuzz/measure.sh: $bin failed, see $log" >&2
    exit 1
  }
  awk '/^stat::average_exec_per_sec/ {print $2}' "$log"
}

median() {
  sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

printf '%-14s %14s %14s %8s\n' target "oracle exec/s" "bare exec/s" ratio
for target in "${targets[@]}"; do
  oracles=() bares=() passes=()
  floor=
  [ -f "fuzz/fuzz_targets/bare_${target}_passes.rs" ] && floor=bare_${target}_passes
  for ((round = 1; round <= rounds; round++)); do
    oracles+=("$(rate "$target" "corpus/$target" "$round")")
    bares+=("$(rate "bare_$target" "corpus/$target" "$round")")
    [ -z "$floor" ] || passes+=("$(rate "$floor" "corpus/$target" "$round")")
  done
  oracle=$(printf '%s\n' "${oracles[@]}" | median)
  bare=$(printf '%s\n' "${bares[@]}" | median)
  printf '%-14s %14s %14s %7.1fx' "$target" "$oracle" "$bare" "$(echo "$bare / $oracle" | bc -l)"
  [ "$rounds" -eq 1 ] || printf '   (rounds: %s against %s)' "${oracles[*]}" "${bares[*]}"
  printf '\n'
  if [ -n "$floor" ]; then
    pass=$(printf '%s\n' "${passes[@]}" | median)
    printf '  %-12s %14s %14s %7.1fx   (%s, no check; %s over it: %.1fx)' "passes" "$pass" "$bare" \
      "$(echo "$bare / $pass" | bc -l)" "$floor" "$target" "$(echo "$pass / $oracle" | bc -l)"
    [ "$rounds" -eq 1 ] || printf '   (rounds: %s)' "${passes[*]}"
    printf '\n'
  fi
done
