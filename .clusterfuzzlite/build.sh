#!/bin/bash -eu
# Builds every fuzz target of lenframe into $OUT, with each target's committed corpus as its seed
# corpus ($OUT/TARGET_seed_corpus.zip) and its libFuzzer dictionary where it has one
# ($OUT/TARGET.dict; none has: a decode dictionary of headers, varints and extreme lengths
# raised neither cov nor ft in equal runs, README "Fuzzing"). ClusterFuzzLite (and OSS-Fuzz)
# run it in their image, where $SRC/lenframe is the checkout; it also runs outside Docker, as .ci/run does, with $SRC and $OUT pointing at
# folders: then the checkout is the one this script is in, and $SANITIZER (default address;
# `none` for no sanitizer) picks cargo-fuzz's sanitizer.
#
#   SRC=/tmp/src OUT=/tmp/out bash .clusterfuzzlite/build.sh
project="$SRC/lenframe"
if [ ! -f "$project/fuzz/Cargo.toml" ]; then
  project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
mkdir -p "$OUT"
cd "$project"

# The targets; fuzz_targets/bare_*.rs are benches/scripts/measure.sh's measuring sticks, not targets.
targets=(decode roundtrip reader differential)

# Every binary of the fuzz crate at once (one build of the graph). -O: release;
# --debug-assertions: what `cargo fuzz run` builds, so that a crash found here reproduces with
# it (and the two share a build).
cargo fuzz build -O --debug-assertions --sanitizer "${SANITIZER:-address}"

release="fuzz/target/x86_64-unknown-linux-gnu/release"
for target in "${targets[@]}"; do
  cp "$release/$target" "$OUT/$target"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "corpus/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
  if [ -f "fuzz/$target.dict" ]; then
    cp "fuzz/$target.dict" "$OUT/$target.dict"
  fi
done
