#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/, not versioned) with
# the project's real files: the lab's suites and catalogue, the fixtures and
# the malformed corpus. Copies never overwrite, so what the fuzzer has
# learnt in an earlier run stays.
set -euo pipefail
cd "$(dirname "$0")/.."

seed() {
    local target=$1
    shift
    mkdir -p "fuzz/corpus/$target"
    local f
    for f in "$@"; do
        # Flatten the path into the name: seeds from different folders must not collide.
        cp -n "$f" "fuzz/corpus/$target/seed-$(echo "${f%.yaml}" | tr '/' '-')"
    done
}

seed suite_file lab/suites/*.yaml bench/tenant.yaml tests/fixtures/*.yaml \
    proto/tests/malformed/fixtures/suite.yaml proto/tests/malformed/suite/*.yaml
seed inventory proto/tests/malformed/fixtures/inventory.yaml proto/tests/malformed/inventory/*.yaml
seed services lab/services.yaml proto/tests/malformed/fixtures/services.yaml proto/tests/malformed/services/*.yaml
