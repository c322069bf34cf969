#!/usr/bin/env bash
# Fuzzes the parsers of the operator's files for SECONDS per target
# (default 60): installs cargo-fuzz if missing, seeds the corpora, builds,
# and runs each target. Fails on the first crash, panic, timeout or leak;
# libFuzzer saves the input under fuzz/artifacts/<target>/.
#   fuzz/run.sh 60
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: fuzz/run.sh SECONDS" >&2; exit 64; }

# cargo-fuzz asks rustc for nightly-only flags (-Zsanitizer=address, the
# coverage passes); RUSTC_BOOTSTRAP=1 makes the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
# Its own target dir, so fuzz builds never contend with the workspace's.
export CARGO_TARGET_DIR="$PWD/target"

CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    CARGO_TARGET_DIR="$PWD/target/cargo-fuzz-install" \
        cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

./seed.sh
targets=(suite_file inventory services)
cargo fuzz build
for target in "${targets[@]}"; do
    echo "fuzz: $target for ${seconds}s"
    # -timeout: one input taking over 10 s is a hang worth failing on.
    # -rss_limit_mb: a parser must not need gigabytes for a small file.
    cargo fuzz run "$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -dict=yaml.dict -print_final_stats=1
done
