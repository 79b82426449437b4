#!/usr/bin/env bash
# `make pgo`: a release binary built with profile-guided optimisation, at
# target/pgo/release/msnsniff.
#
# Why: msnsniff's time is spread over many small branchy functions (framing, the verb table,
# MIME headers, the session's state), with no single hot spot left to rewrite. Telling the
# compiler which branches are taken and which functions are hot lays the code out for the
# common path: on the generated benchmark capture, 11 to 15 % fewer instructions and 7 to
# 14 % less wall time (docs/performance.md).
#
# How: an instrumented build runs the usual commands over the captures bundled in captures/
# (real and synthetic: dialects from MSNP2 to MSNP18, MSNFTP, P2P; never the benchmark's
# generated capture, so the bench does not measure what it was trained on), llvm-profdata
# merges what they counted, and the release build is made again with that profile. The
# profile changes how the code is laid out and optimised, not what it does: this script
# checks that too, comparing the new binary's output
# with the plain release build's on every bundled capture, byte for byte, and failing on
# any difference.
#
# Needs llvm-profdata of the toolchain's own LLVM version: the rustup component llvm-tools
# (installed here when missing and rustup can fetch it).
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/pgo
data="$PWD/target/pgo-data"

host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "pgo: installing the rustup component llvm-tools (for llvm-profdata)" >&2
  rustup component add llvm-tools >/dev/null 2>&1 ||
    rustup component add llvm-tools-preview >/dev/null 2>&1 || true
fi
if [ ! -x "$profdata" ]; then
  echo "pgo: llvm-profdata not found at $profdata; install it with" \
    "'rustup component add llvm-tools' (the plain build is 'make build')" >&2
  exit 1
fi

# 1. The instrumented build.
echo "pgo: building the instrumented binary" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$data/raw" \
  cargo build --release --quiet --target-dir target/pgo-gen
trained=target/pgo-gen/release/msnsniff

# 2. Training: the commands users run, over every bundled capture. Some captures have no
# MSN or end cut short, and say so with a non-zero exit: that is expected here.
rm -rf "$data"
mkdir -p "$data"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
captures=(captures/*.pcap captures/*.pcapng)
runs=0
for f in "${captures[@]}"; do
  for args in "stats -q" "stats -q --format json" "read -q" "read -q --notes full" \
    "read -q --format jsonl" "flows -q" "flows -q --format jsonl"; do
    # shellcheck disable=SC2086 # the arguments are split on purpose
    LLVM_PROFILE_FILE="$data/raw/%m_%p.profraw" "$trained" $args "$f" >/dev/null 2>&1 || true
    runs=$((runs + 1))
  done
  LLVM_PROFILE_FILE="$data/raw/%m_%p.profraw" \
    "$trained" transcripts -q -o "$scratch/t" "$f" >/dev/null 2>&1 || true
  rm -rf "$scratch/t"
  runs=$((runs + 1))
done
"$profdata" merge -o "$data/merged.profdata" "$data/raw"
# The raw profiles (about 200 MB) are merged; only the merged one is needed.
rm -rf "$data/raw"
echo "pgo: trained on ${#captures[@]} bundled captures ($runs runs)" >&2

# 3. The optimised build.
echo "pgo: building with the profile" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$data/merged.profdata" \
  cargo build --release --quiet --target-dir "$out"
built="$out/release/msnsniff"

# 4. The same program: its output equals the plain release build's on every bundled capture.
echo "pgo: comparing its output with the plain release build's" >&2
cargo build --release --quiet
plain=target/release/msnsniff
compared=0
for f in "${captures[@]}"; do
  for args in "stats -q" "stats -q --format json" "read -q" "read -q --notes full --color always" \
    "read -q --format jsonl" "read -q --format jsonl -j1" "flows -q --format jsonl"; do
    # shellcheck disable=SC2086
    a=$("$plain" $args "$f" 2>&1; echo "exit $?")
    # shellcheck disable=SC2086
    b=$("$built" $args "$f" 2>&1; echo "exit $?")
    if [ "$a" != "$b" ]; then
      echo "pgo: the profile-guided build differs from the plain one on: msnsniff $args $f" >&2
      exit 1
    fi
    compared=$((compared + 1))
  done
done
echo "pgo: same output as the plain build on $compared runs" >&2
echo "$built"
