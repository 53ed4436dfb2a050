#!/usr/bin/env bash
# Plants a bug and fuzzes for it: how long a fuzz target takes to catch a given mutant, per seed.
#
#   bash benches/scripts/plant.sh FILE OLD NEW TARGET [SECONDS] [SEEDS]
#   bash benches/scripts/plant.sh src/header.rs 'group > 1' 'group >= 1' decode 30 3
#
# FILE (relative to the repository root) must contain the text OLD exactly once; it becomes NEW
# in a copy of the working tree (tracked and untracked files, ignored ones left out) made under
# fuzz/target/plant/, so the checkout itself is never touched. The copy's target is built once
# (-s none unless SANITIZER says; FLAGS adds cargo-fuzz build flags, e.g. --no-trace-compares) and
# run once per seed 1..SEEDS (default 3) for at most SECONDS (default 30), from a scratch copy of
# the committed corpus/TARGET, with address randomization off (`setarch -R`, where it works) and
# no corpus reload, so that a rerun makes the same choices. Each line gives the seed, whether
# the mutant was caught, the seconds to the crash and its first panic line. SECONDS and SEEDS are
# whole numbers of at least 1.
#
# Exits 0 when every seed caught the mutant (a crash whose log names a panic, an error of the
# fuzz crate's capped allocator or of libFuzzer), 1 when one did not, 2 on a usage or build error.
set -euo pipefail

me=benches/scripts/plant.sh
usage="usage: $me FILE OLD NEW TARGET [SECONDS] [SEEDS]"
fail_usage() {
  echo "$me: $1" >&2
  echo "$usage" >&2
  exit 2
}
# NAME VALUE: VALUE is a whole number of at least 1.
whole() {
  [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || fail_usage "$1 must be a whole number of at least 1, not '$2'"
}
if [ $# -lt 4 ] || [ $# -gt 6 ]; then fail_usage "takes 4 to 6 arguments, not $#"; fi
file=$1
old=$2
new=$3
target=$4
seconds=${5:-30}
seeds=${6:-3}
[ -n "$old" ] || fail_usage "OLD is empty"
whole SECONDS "$seconds"
whole SEEDS "$seeds"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# Word splitting on purpose: FLAGS holds cargo-fuzz flags.
# shellcheck disable=SC2206
build=(-s "${SANITIZER:-none}" ${FLAGS:-})

[ -f "$file" ] || { echo "$me: no file $file" >&2; exit 2; }
[ -d "corpus/$target" ] || { echo "$me: no corpus/$target" >&2; exit 2; }
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

plant=$root/fuzz/target/plant
tree=$plant/tree
# The copy keeps its own build folder (fuzz/target/plant/build) across runs: only lenframe and
# the fuzz crate rebuild for the next mutant.
rm -rf "$tree"
mkdir -p "$tree" "$plant/build"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' path; do
  # Deleted but not yet committed: nothing to copy.
  [ -e "$path" ] || continue
  mkdir -p "$tree/$(dirname "$path")"
  cp -P -p "$path" "$tree/$path"
done

# Exactly one OLD in FILE, replaced by NEW (plain text, not a pattern).
content=$(cat "$tree/$file")
rest=${content#*"$old"}
if [ "$rest" = "$content" ]; then
  echo "$me: '$old' is not in $file" >&2
  exit 2
fi
if [[ $rest == *"$old"* ]]; then
  echo "$me: '$old' is in $file more than once; give more of the line" >&2
  exit 2
fi
printf '%s\n' "${content%%"$old"*}$new$rest" >"$tree/$file"
echo "$me: $file: '$old' -> '$new'; cargo fuzz build ${build[*]} $target"

rm -f "$plant/build/.rustc_info.json"
(cd "$tree" && cargo fuzz build "${build[@]}" --target-dir "$plant/build" "$target" >"$plant/build.log" 2>&1) || {
  echo "$me: the mutant does not build (log: $plant/build.log):" >&2
  grep -m 5 -A 5 '^error' "$plant/build.log" >&2 || tail -n 20 "$plant/build.log" >&2
  exit 2
}
binary=$(find "$plant/build" -path "*/release/$target" -type f -perm -u+x | head -n 1)
[ -n "$binary" ] || { echo "$me: no $target binary under $plant/build" >&2; exit 2; }

same_addresses=()
if setarch -R true 2>/dev/null; then
  same_addresses=(setarch -R)
fi

missed=0
caught=0
for seed in $(seq 1 "$seeds"); do
  scratch=$plant/corpus-$target
  rm -rf "$scratch" "$plant/artifacts"
  mkdir -p "$scratch" "$plant/artifacts"
  cp -r "corpus/$target/." "$scratch/"
  log=$plant/seed-$seed.log
  start=$(date +%s.%N)
  status=0
  "${same_addresses[@]}" "$binary" "$scratch" -seed="$seed" -max_total_time="$seconds" -reload=0 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$plant/artifacts/" -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
  if [ "$status" -eq 0 ]; then
    runs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")
    echo "seed $seed: missed, ${runs:-?} runs in ${took}s"
    missed=1
  elif why=$(grep -m 1 -A 1 -E "panicked at|CappedAlloc|ERROR: libFuzzer" "$log"); then
    echo "seed $seed: caught in ${took}s: $(printf '%s\n' "$why" | tail -n 1)"
    caught=$((caught + 1))
  else
    # Not a catch: the binary ended for another cause (killed, out of memory, a crash that
    # names no panic). Counted as a miss, with its log.
    echo "seed $seed: not caught: exit $status after ${took}s without a panic; see $log"
    missed=1
  fi
done
[ "$caught" -eq "$seeds" ] || missed=1
exit "$missed"
