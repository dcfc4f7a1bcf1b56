#!/bin/sh
# Run every fuzz target for a bounded time on a copy of its seed corpus.
# usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]   (BUILD_DIR built with
# -DTINE_FUZZ=ON and clang). Prints each target's executions; fails on
# the first crash, leak or broken invariant, keeping the input that caused
# it (crash-*, leak-*, timeout-*) in BUILD_DIR/fuzz-artifacts/ and saying
# where.
set -e
build=$1
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=$(cd "$build" && pwd)/fuzz-artifacts
mkdir -p "$artifacts"
for name in framing cli channel log_escape recv_pattern http_reader proxy; do
  mkdir -p "$work/$name"
  cp "$here/corpus/$name/"* "$work/$name/"
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" \
    -print_final_stats=1 -rss_limit_mb=1024 -artifact_prefix="$artifacts/$name-" \
    "$work/$name" >"$work/$name.log" 2>&1 || {
      tail -40 "$work/$name.log"
      echo "fuzz_$name: FAILED; the input is kept in $artifacts:"
      ls -l "$artifacts" | grep -- "$name-" || true
      exit 1
    }
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
  echo "fuzz_$name: $runs executions in ${seconds} s, no failure"
done
