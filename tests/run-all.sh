#!/bin/sh
# The whole test suite: unit tests and specs on a plain build, again under
# AddressSanitizer and UndefinedBehaviorSanitizer, then each libFuzzer
# target for a bounded time. Run from anywhere; needs .ci/install-deps.
# Options are set explicitly, so a build folder configured otherwise
# before cannot silently skip tests; an empty test set is an error.
set -e
cd "$(dirname "$0")/.."
fuzz_seconds=${TINE_FUZZ_SECONDS:-30}

echo "== plain build"
cmake -S . -B build -DTINE_TESTS=ON
cmake --build build -j2
ctest --test-dir build --output-on-failure --no-tests=error

echo "== under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DTINE_TESTS=ON -DTINE_SANITIZE=ON -DTINE_BENCH=OFF
cmake --build build-asan -j2
ctest --test-dir build-asan --output-on-failure --no-tests=error

echo "== fuzzing, ${fuzz_seconds} s a target"
CC=clang cmake -S . -B build-fuzz -DTINE_FUZZ=ON -DTINE_TESTS=OFF -DTINE_BENCH=OFF
cmake --build build-fuzz -j2
sh tests/fuzz/run.sh build-fuzz "$fuzz_seconds"
