#!/usr/bin/env bash
# What each oracle costs: a fuzz target and its bare twin (fuzz_targets/bare_*.rs: the same work, no
# oracle), run one after the other for the same time from the same corpus, one job each, without a
# sanitizer unless SANITIZER says (below); prints execs/s for both and the ratio (the oracle's cost,
# in bare runs). Round r runs both with libFuzzer's -seed=r, address randomization off
# (`setarch -R`) and no corpus reload (-reload=0), so that a rerun makes the same choices: a
# target's rate depends on which inputs its fuzzer grows, and with randomized addresses the same
# seed still grows different inputs (compared pointers reach libFuzzer's comparison tables). With
# ROUNDS > 1 (default 1), the pair runs that many times, alternating, seeds 1 to ROUNDS, and the
# line gives the medians. A target with a `bare_TARGET_passes` (decode: its decoding passes made
# with no check, the floor under it) has that one run in each round too, and its line splits the
# ratio: passes over bare, then the target over its passes (the checks' cost).
#
# With BEFORE=REV, REV (built from a git worktree, removed at the end, failing or not) runs too,
# its target and bare twin in each round after this build's, from the same corpus with the same
# seeds: a change measured before and after in one run. REV must have the bare twins. Where REV's
# input formats differ from this build's, BEFORE_CORPUS=own runs REV's pair from REV's committed
# corpus.
#
# The builds are `-s none` by default. SANITIZER=address measures what `cargo fuzz run` builds
# (AddressSanitizer); FLAGS adds cargo-fuzz build flags to every build and run, e.g.
# FLAGS=--no-trace-compares (libFuzzer's comparison tracing off). SECONDS and ROUNDS are whole
# numbers of at least 1.
#
#   bash benches/scripts/measure.sh [SECONDS] [TARGET...]  (default 20 s; decode roundtrip reader differential)
#   ROUNDS=3 bash benches/scripts/measure.sh 20 decode
#   SANITIZER=address ROUNDS=3 bash benches/scripts/measure.sh 20 decode
#   FLAGS=--no-trace-compares ROUNDS=3 bash benches/scripts/measure.sh 20 decode
#   BEFORE=HEAD~1 ROUNDS=5 bash benches/scripts/measure.sh 20 decode
set -euo pipefail
me=benches/scripts/measure.sh
fail_usage() {
  echo "$me: $1" >&2
  echo "usage: [ROUNDS=N] [BEFORE=REV] $me [SECONDS] [TARGET...]" >&2
  exit 2
}
# NAME VALUE: VALUE is a whole number of at least 1.
whole() {
  [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || fail_usage "$1 must be a whole number of at least 1, not '$2'"
}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode roundtrip reader differential)
rounds=${ROUNDS:-1}
whole SECONDS "$seconds"
whole ROUNDS "$rounds"
for target in "${targets[@]}"; do
  if [ ! -f "fuzz/fuzz_targets/$target.rs" ] || [ ! -f "fuzz/fuzz_targets/bare_$target.rs" ]; then
    fail_usage "no fuzz target $target with a bare twin (fuzz/fuzz_targets/bare_$target.rs)"
  fi
  [ -d "corpus/$target" ] || fail_usage "no corpus/$target"
done
# Word splitting on purpose: FLAGS holds cargo-fuzz flags.
# shellcheck disable=SC2206
build=(-s "${SANITIZER:-none}" ${FLAGS:-})

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
rm -f fuzz/target/.rustc_info.json
cargo fuzz build "${build[@]}" >/dev/null
echo "$me: cargo fuzz build ${build[*]}, ${seconds}s per run, $rounds round(s)"

# Without setarch, or where it may not turn randomization off, the runs still work, less alike.
same_addresses=()
if setarch -R true 2>/dev/null; then
  same_addresses=(setarch -R)
else
  echo "$me: no setarch -R here, addresses stay randomized" >&2
fi

# rate DIR BIN CORPUS SEED: BIN's execs/s, built and run in the checkout DIR, from a scratch copy
# of CORPUS.
rate() {
  local dir=$1 bin=$2 corpus=$3 seed=$4
  local log=$dir/fuzz/target/measure-$bin.log scratch=$dir/fuzz/target/measure-corpus/$bin
  rm -rf "$scratch"
  mkdir -p "$scratch"
  cp -r "$corpus"/. "$scratch"/
  (cd "$dir" && "${same_addresses[@]}" cargo fuzz run "${build[@]}" "$bin" "$scratch" -- \
    -max_total_time="$seconds" -seed="$seed" -reload=0 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1) || {
    echo "$me: $bin failed in $dir, see $log" >&2
    exit 1
  }
  awk '/^stat::average_exec_per_sec/ {print $2}' "$log"
}

before=
if [ -n "${BEFORE:-}" ]; then
  git rev-parse --verify --quiet "$BEFORE^{commit}" >/dev/null || fail_usage "BEFORE=$BEFORE: no such revision"
  before=$root/fuzz/target/measure-before
  git worktree remove --force "$before" 2>/dev/null || rm -rf "$before"
  git worktree add --detach "$before" "$BEFORE" >/dev/null
  # However the script ends, the worktree goes.
  trap 'git worktree remove --force "$before" 2>/dev/null || true' EXIT
  for target in "${targets[@]}"; do
    [ -f "$before/fuzz/fuzz_targets/bare_$target.rs" ] || {
      echo "$me: $BEFORE has no bare_$target to measure against" >&2
      exit 1
    }
  done
  (cd "$before" && cargo fuzz build "${build[@]}" >/dev/null)
fi
before_corpus=$root/corpus
[ "${BEFORE_CORPUS:-}" != own ] || before_corpus=$before/corpus

median() {
  sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

printf '%-14s %14s %14s %8s\n' target "oracle exec/s" "bare exec/s" ratio
for target in "${targets[@]}"; do
  oracles=() bares=() passes=()
  floor=
  [ -f "fuzz/fuzz_targets/bare_${target}_passes.rs" ] && floor=bare_${target}_passes
  old_oracles=() old_bares=()
  for ((round = 1; round <= rounds; round++)); do
    oracles+=("$(rate "$root" "$target" "$root/corpus/$target" "$round")")
    bares+=("$(rate "$root" "bare_$target" "$root/corpus/$target" "$round")")
    [ -z "$floor" ] || passes+=("$(rate "$root" "$floor" "$root/corpus/$target" "$round")")
    [ -z "$before" ] || {
      old_oracles+=("$(rate "$before" "$target" "$before_corpus/$target" "$round")")
      old_bares+=("$(rate "$before" "bare_$target" "$before_corpus/$target" "$round")")
    }
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
  if [ -n "$before" ]; then
    old_oracle=$(printf '%s\n' "${old_oracles[@]}" | median)
    old_bare=$(printf '%s\n' "${old_bares[@]}" | median)
    printf '  %-12s %14s %14s %7.1fx' "at $BEFORE" "$old_oracle" "$old_bare" \
      "$(echo "$old_bare / $old_oracle" | bc -l)"
    [ "$rounds" -eq 1 ] || printf '   (rounds: %s against %s)' "${old_oracles[*]}" "${old_bares[*]}"
    printf '\n'
  fi
done
