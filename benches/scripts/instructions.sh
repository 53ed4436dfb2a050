#!/usr/bin/env bash
# What the `decode` oracle costs on one fixed set of inputs, free of the noise of execs/s: grows a
# corpus with `decode` (RUNS executions, -seed=7, -reload=0, addresses not randomized with
# `setarch -R`, scratch folder: the same inputs on every run of the same build), then replays it once
# (-runs=0) through `decode`, its bare twin and `bare_decode_passes` (the decoding passes of each
# input's check with no check: the floor under `decode`) under valgrind's callgrind, counting the
# instructions inside the target only. Prints the totals, and `decode`'s and the passes' for the
# inputs of each check (the byte after the layout, % 4).
#
# With BEFORE=REV, REV's `decode` (built from a git worktree of that revision) is counted on the
# same inputs too: an oracle change measured before and after, on one set of inputs.
#
# RUNS is a whole number of at least 1; REV's worktree is removed at the end, failing or not.
#
#   bash benches/scripts/instructions.sh [RUNS]     (default 2000000; needs valgrind)
#   BEFORE=HEAD~1 bash benches/scripts/instructions.sh
set -euo pipefail
me=benches/scripts/instructions.sh
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
[ $# -le 1 ] || { echo "usage: [BEFORE=REV] $me [RUNS]" >&2; exit 2; }
runs=${1:-2000000}
[[ $runs =~ ^[1-9][0-9]{0,9}$ ]] || {
  echo "$me: RUNS must be a whole number of at least 1, not '$runs'" >&2
  echo "usage: [BEFORE=REV] $me [RUNS]" >&2
  exit 2
}

command -v valgrind >/dev/null || { echo "$me: needs valgrind" >&2; exit 1; }
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
cargo fuzz build -s none >/dev/null
bin=fuzz/target/x86_64-unknown-linux-gnu/release
scratch=fuzz/target/instructions
rm -rf "$scratch"
mkdir -p "$scratch/grown" "$scratch/check0" "$scratch/check1" "$scratch/check2" "$scratch/check3"
cp corpus/decode/* "$scratch/grown/"
same_addresses=()
if setarch -R true 2>/dev/null; then
  same_addresses=(setarch -R)
else
  echo "$me: no setarch -R here, the inputs grown will differ between runs" >&2
fi
"${same_addresses[@]}" "$bin/decode" "$scratch/grown" -runs="$runs" -seed=7 -reload=0 \
  >"$scratch/grow.log" 2>&1
for file in "$scratch"/grown/*; do
  # Missing bytes read as zero, as the target reads them.
  check=$( (od -An -tu1 -j7 -N1 "$file" 2>/dev/null || true) | tr -d ' ')
  cp "$file" "$scratch/check$(( ${check:-0} % 4 ))/"
done

count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --toggle-collect=rust_fuzzer_test_input "$1" -runs=0 "$2" 2>&1 |
    awk '/Collected/ {print $NF}'
}

before=
if [ -n "${BEFORE:-}" ]; then
  git rev-parse --verify --quiet "$BEFORE^{commit}" >/dev/null || {
    echo "$me: BEFORE=$BEFORE: no such revision" >&2
    exit 2
  }
  worktree=$root/fuzz/target/instructions-before
  git worktree remove --force "$worktree" 2>/dev/null || rm -rf "$worktree"
  git worktree add --detach "$worktree" "$BEFORE" >/dev/null
  trap 'git worktree remove --force "$worktree" 2>/dev/null || true' EXIT
  (cd "$worktree" && cargo fuzz build -s none decode >/dev/null)
  before=$worktree/$bin/decode
fi

echo "inputs: $(find "$scratch/grown" -type f | wc -l) (grown in $runs runs, -seed=7)"
for target in decode bare_decode bare_decode_passes; do
  printf '%-20s %14s instructions\n' "$target" "$(count "$bin/$target" "$scratch/grown")"
done
[ -z "$before" ] ||
  printf '%-20s %14s instructions\n' "decode at $BEFORE" "$(count "$before" "$scratch/grown")"
for check in 0 1 2 3; do
  printf 'check %s: %4s inputs, decode %14s, passes %14s' "$check" \
    "$(find "$scratch/check$check" -type f | wc -l)" "$(count "$bin/decode" "$scratch/check$check")" \
    "$(count "$bin/bare_decode_passes" "$scratch/check$check")"
  [ -z "$before" ] || printf ', at %s %14s' "$BEFORE" "$(count "$before" "$scratch/check$check")"
  printf ' instructions\n'
done
