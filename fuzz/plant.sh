#!/usr/bin/env bash
# Plants a bug and fuzzes for it: how long a fuzz target takes to catch a given mutant, per seed.
# The figures README gives for planted bugs come from this script.
#
#   bash fuzz/plant.sh FILE OLD NEW TARGET [SECONDS] [SEEDS]
#   bash fuzz/plant.sh src/header.rs 'group > 1' 'group >= 1' decode 30 3
#
# FILE (relative to the repository root) must contain the text OLD exactly once; it becomes NEW
# in a copy of the working tree (tracked and untracked files, ignored ones left out) made under
# fuzz/target/plant/, so the checkout itself is never touched. The copy's target is built once
# (-s none unless SANITIZER says; FLAGS adds cargo-fuzz build flags, e.g. --no-trace-compares) and
# run once per seed 1..SEEDS (default 3) for at most SECONDS (default 30), from a scratch copy of
# the committed corpus/TARGET, with address randomization off (`setarch -R`, where it works) and
# no corpus reload, so that a rerun makes the same choices. Each line gives the seed, whether
# the mutant was caught, the seconds to the crash and its first panic line. A mutant the
# committed corpus already catches is caught in the first fraction of a second.
#
# Exits 0 when every seed caught the mutant, 1 when one did not (the oracles missed it for that
# long), 2 on a usage or build error.
set -euo pipefail

usage="usage: fuzz/plant.sh FILE OLD NEW TARGET [SECONDS] [SEEDS]"
file=${1:?$usage}
old=${2:?$usage}
new=${3?$usage}
target=${4:?$usage}
seconds=${5:-30}
seeds=${6:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# Word splitting on purpose: FLAGS holds cargo-fuzz flags.
# shellcheck disable=SC2206
build=(-s "${SANITIZER:-none}" ${FLAGS:-})

[ -f "$file" ] || { echo "fuzz/plant.sh: no file $file" >&2; exit 2; }
[ -d "corpus/$target" ] || { echo "fuzz/plant.sh: no corpus/$target" >&2; exit 2; }
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
  echo "fuzz/plant.sh: '$old' is not in $file" >&2
  exit 2
fi
if [[ $rest == *"$old"* ]]; then
  echo "fuzz/plant.sh: '$old' is in $file more than once; give more of the line" >&2
  exit 2
fi
printf '%s\n' "${content%%"$old"*}$new$rest" >"$tree/$file"
echo "fuzz/plant.sh: $file: '$old' -> '$new'; cargo fuzz build ${build[*]} $target"

rm -f "$plant/build/.rustc_info.json"
(cd "$tree" && cargo fuzz build "${build[@]}" --target-dir "$plant/build" "$target" >"$plant/build.log" 2>&1) || {
  echo "fuzz/plant.sh: the mutant does not build (log: $plant/build.log):" >&2
  grep -m 5 -A 5 '^error' "$plant/build.log" >&2 || tail -n 20 "$plant/build.log" >&2
  exit 2
}
binary=$(find "$plant/build" -path "*/release/$target" -type f -perm -u+x | head -n 1)
[ -n "$binary" ] || { echo "fuzz/plant.sh: no $target binary under $plant/build" >&2; exit 2; }

same_addresses=()
if setarch -R true 2>/dev/null; then
  same_addresses=(setarch -R)
fi

missed=0
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
  else
    why=$(grep -m 1 -A 1 -E "panicked at|CappedAlloc|ERROR: libFuzzer" "$log" | tail -n 1 || true)
    echo "seed $seed: caught in ${took}s: ${why:-exit $status, see $log}"
  fi
done
exit "$missed"
