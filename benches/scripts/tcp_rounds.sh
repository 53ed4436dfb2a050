#!/usr/bin/env bash
# The 64 KiB loopback TCP ratios of write_frame against one write_all per frame, in rounds: criterion's tcp-64KiB `raw-per-frame`, `raw-per-frame-frame-reader` and `lenframe-io`,
# run one after the other, ROUNDS times (default 5), and per round
#   reader half: raw-per-frame / raw-per-frame-frame-reader (FrameReader against a raw reader)
#   end to end:  raw-per-frame / lenframe-io (write_frame + read_frame against one write_all
#                per frame)
# as speed ratios (above 1: faster than the raw side), then each one's median and range.
#
#   bash benches/scripts/tcp_rounds.sh                 # this build
#   BEFORE=HEAD~1 bash benches/scripts/tcp_rounds.sh   # and REV, built in a git worktree, in turn
#
# REV's worktree, target/tcp-rounds-REV, is kept with its build for the next run; remove it with
# `git worktree remove target/tcp-rounds-REV`.
#
# Loopback TCP on 2 cores is noisy from one run to the next: compare builds only in alternating
# rounds of one sitting, as BEFORE does, and run nothing else meanwhile. ROUNDS is a whole number
# of at least 1.
set -euo pipefail

me=benches/scripts/tcp_rounds.sh
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=${ROUNDS:-5}
[ $# -eq 0 ] || { echo "usage: [ROUNDS=N] [BEFORE=REV] $me" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]{0,5}$ ]] || {
  echo "$me: ROUNDS must be a whole number of at least 1, not '$rounds'" >&2
  exit 2
}
filter='tcp-64KiB/(raw-per-frame|raw-per-frame-frame-reader|lenframe-io)/'

builds=("now:$root")
if [[ -n "${BEFORE:-}" ]]; then
  git -C "$root" rev-parse --verify --quiet "$BEFORE^{commit}" >/dev/null || {
    echo "$me: BEFORE=$BEFORE: no such revision" >&2
    exit 2
  }
  before="$root/target/tcp-rounds-$BEFORE"
  if [[ ! -d "$before" ]]; then
    git -C "$root" worktree add --detach "$before" "$BEFORE" >/dev/null
  fi
  builds+=("$BEFORE:$before")
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= rounds; round++)); do
  for build in "${builds[@]}"; do
    name=${build%%:*}
    dir=${build#*:}
    (cd "$dir" && cargo bench --bench tcp -- "$filter" --warm-up-time 1 --measurement-time 3 \
      --noplot 2>&1) | python3 -c '
import re, sys
name, times = None, {}
for line in sys.stdin:
    m = re.match(r"^tcp-64KiB/(\S+)/", line)
    if m:
        name = m.group(1)
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
    if m and name and name not in times:
        scale = {"s": 1e3, "ms": 1.0, "µs": 1e-3, "us": 1e-3, "ns": 1e-6}[m.group(2)]
        times[name] = float(m.group(1)) * scale
raw = times["raw-per-frame"]
print(sys.argv[1], sys.argv[2], raw / times["raw-per-frame-frame-reader"], raw / times["lenframe-io"])
' "$name" "$round" | tee -a "$results"
  done
done

python3 - "$results" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
builds = list(dict.fromkeys(row[0] for row in rows))
print()
print("| build | rounds | reader half, median | range | end to end, median | range |")
print("|---|---:|---:|---|---:|---|")
for build in builds:
    reader = [float(row[2]) for row in rows if row[0] == build]
    e2e = [float(row[3]) for row in rows if row[0] == build]
    print(f"| {build} | {len(reader)} | {statistics.median(reader):.2f}x | "
          f"{min(reader):.2f}x to {max(reader):.2f}x | {statistics.median(e2e):.2f}x | "
          f"{min(e2e):.2f}x to {max(e2e):.2f}x |")
EOF
