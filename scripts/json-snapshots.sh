#!/usr/bin/env bash
# Prints the `--json` plan (and one shard's filter) of every bundled fixture
# for several runners, shard counts and granularities, into DIR: run it
# before and after a change that must not alter behaviour, then `diff -r`.
#
#   scripts/json-snapshots.sh BIN DIR
set -euo pipefail
bin=${1:?usage: json-snapshots.sh BIN DIR}
out=${2:?usage: json-snapshots.sh BIN DIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
run() {
  local name=$1; shift
  # Both streams and the exit status: an error must stay the same error.
  set +e
  "$bin" "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo "exit $?" >>"$out/$name.err"
  set -e
}
for runner in plain pytest go nextest jest cargo vitest playwright maven gradle rspec phpunit dotnet mocha; do
  for by in test class file; do
    for n in 1 3 8; do
      run "all-$runner-$by-$n" --shards "$n" --json --timings fixtures --by "$by" --runner "$runner"
      run "all-$runner-$by-$n-idx" --shards "$n" --index $((n - 1)) --timings fixtures --by "$by" --runner "$runner"
    done
  done
done
for dir in fixtures/reports/* fixtures/junit/* fixtures/gotest-json; do
  name=$(echo "$dir" | tr / _)
  for algorithm in best lpt ilp; do
    run "$name-$algorithm" --shards 4 --json --timings "$dir" --algorithm "$algorithm"
  done
done
run overheads --shards 5 --json --timings fixtures --runner pytest --shard-overhead 30s --group-overhead 1s --by file --split-large
run whatif whatif --timings fixtures --runner pytest --shards 1..8
run explain explain --timings fixtures --runner go --shards 3 --index 1
# Frozen plans: written by `plan`, read back by `select` and `matrix`. One
# fixed directory, as `select` names the plan's path in what it prints.
plans=${TMPDIR:-/tmp}/shardplan-json-snapshots
rm -rf "$plans" && mkdir -p "$plans"
for runner in plain pytest go nextest jest maven; do
  run "frozen-$runner-plan" plan --shards 3 --timings fixtures --runner "$runner" --output "$plans/$runner.json"
  cp "$plans/$runner.json" "$out/frozen-$runner.json"
  for index in 0 1 2; do
    run "frozen-$runner-select-$index" select --plan "$plans/$runner.json" --index "$index"
  done
  run "frozen-$runner-matrix" matrix --plan "$plans/$runner.json"
done
rm -rf "$plans"
echo "$(ls "$out" | wc -l) files in $out"
