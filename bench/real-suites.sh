#!/usr/bin/env bash
# The real-suite benchmark of issue 11: real pytest, go test, nextest and
# vitest suites from the registries, planned, run shard by shard and re-planned
# from what they taught (see bench/real_suites.py). Not a timed test.
#
#   bench/real-suites.sh [--suites pytest,go,go-large,nextest,vitest] [--shards 2,4,8]
#
# Needs python3, go (Debian's golang-go), apt-get (root, for the pinned
# golang-*-dev packages), cargo with cargo-nextest, npm, and the registries.
# Downloads and runs go to ${SHARDPLAN_BENCH_DIR:-/tmp/shardplan-bench};
# about 35-45 minutes on two cores (go-large alone is 15). Run it on an
# otherwise idle machine:
# every shard's wall time is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 bench/real_suites.py "$@"
