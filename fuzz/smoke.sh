#!/usr/bin/env bash
# Fuzz smoke: seeds each target's corpus from fixtures/ and ../shared/corpus,
# then runs every cargo-fuzz target in turn for an equal share of a total
# budget. Fails (non-zero) on the first crash, timeout or out-of-memory.
#
#   fuzz/smoke.sh            # about a minute in all
#   fuzz/smoke.sh 1800       # 30 minutes in all
#   fuzz/smoke.sh 600 junit  # 10 minutes of one target
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Corpora and crash artifacts stay under fuzz/corpus and fuzz/artifacts
# (git-ignored); a crash is reproduced with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
shared=${SHARDPLAN_CORPUS:-$repo/../shared/corpus}
budget=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(junit trx gojson pytest_durations ctrf runtime_log knapsack history pipeline frozen listing)
fi

cd "$repo"
# Build once, then run the binaries: `cargo fuzz run` would rebuild each
# target from whatever the sources are by then.
cargo +nightly fuzz build -O
bin="$here/target/x86_64-unknown-linux-gnu/release"

# Seeds: every fixture and corpus file no larger than 1 MiB, by the reader
# its name or content suggests; the pipeline gets them all.
seed() {
    local target=$1
    local dir="$here/corpus/$target"
    mkdir -p "$dir"
    shift
    for file in "$@"; do
        [ -f "$file" ] || continue
        [ "$(stat -c %s "$file")" -le 1048576 ] || continue
        local name
        name=$(sha1sum "$file" | cut -c1-16)
        if [ "$target" = pipeline ] || [ "$target" = listing ]; then
            # The first byte picks the shard count, granularity and catch-all.
            { printf '\x85'; cat "$file"; } > "$dir/$name"
        else
            cp "$file" "$dir/$name"
        fi
    done
}

mapfile -t all < <(find "$repo/fixtures" "$shared" -type f ! -name '.source.json' ! -name '*.md' 2>/dev/null | sort)
pick() { # pattern on path or first bytes
    local pattern=$1
    for file in "${all[@]}"; do
        if [[ "$file" =~ $pattern ]] || head -c 512 "$file" 2>/dev/null | grep -aqE "$2"; then
            echo "$file"
        fi
    done
}

# Plan documents and shard records, written by shardplan itself from the
# fixtures: by test, file and class, with go's longest-first order and a
# catch-all.
plan_seeds() {
    local out="$here/corpus/frozen-seeds"
    mkdir -p "$out"
    cargo build --release --quiet --bin shardplan
    local sp="$repo/target/release/shardplan" n=0
    while read -r runner by timings; do
        n=$((n + 1))
        "$sp" plan --shards 3 --runner "$runner" --by "$by" --timings "$timings" \
            -o "$out/plan-$n.json" 2>/dev/null || continue
        "$sp" select --plan "$out/plan-$n.json" --index 1 --list-tests \
            --record "$out/record-$n" >/dev/null 2>&1 || true
        if [ -f "$out/record-$n/shardplan-shard.json" ]; then
            mv "$out/record-$n/shardplan-shard.json" "$out/record-$n.json"
        fi
        rm -rf "$out/record-$n"
    done <<SEEDS
pytest test fixtures/junit/pytest/pytest-xunit1.xml
pytest file fixtures/junit/pytest/pytest-xunit1.xml
go test fixtures/gotest-json/go-test.json
go file fixtures/gotest-json/go-test.json
jest file fixtures/junit/jest/jest-junit-file-attr.xml
nextest test fixtures/junit/nextest/nextest-ci.xml
maven class fixtures/junit/surefire
SEEDS
}

for target in "${targets[@]}"; do
    case $target in
        junit) mapfile -t files < <(pick '\.xml$' '<testsuite') ;;
        trx) mapfile -t files < <(pick '\.trx$' '<TestRun') ;;
        gojson) mapfile -t files < <(pick '(gojson|jsonl|\.out$)' '"Action"') ;;
        pytest_durations) mapfile -t files < <(pick 'test_durations' '::') ;;
        ctrf) mapfile -t files < <(pick 'ctrf' '"results"') ;;
        runtime_log) mapfile -t files < <(pick '(runtime|\.log$)' '^[^{<]*:[0-9.]+$') ;;
        knapsack) mapfile -t files < <(pick 'knapsack' '"time_execution"') ;;
        history) mapfile -t files < <(pick 'timings.*\.json$' 'shardplan-timings') ;;
        pipeline | listing) files=("${all[@]}") ;;
        frozen) plan_seeds; mapfile -t files < <(find "$here/corpus/frozen-seeds" -type f | sort) ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    seed "$target" "${files[@]}"
done

share=$(( budget / ${#targets[@]} ))
[ "$share" -ge 5 ] || share=5
status=0
for target in "${targets[@]}"; do
    echo "== $target: ${share}s"
    mkdir -p "$here/artifacts/$target"
    # -timeout: one input may take at most 10 s; -rss_limit_mb: memory
    # must stay bounded whatever the input.
    "$bin/$target" "$here/corpus/$target" -artifact_prefix="$here/artifacts/$target/" \
        -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 > "$here/artifacts/$target.log" 2>&1 || true
    grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|SUMMARY|Test unit written)' \
        "$here/artifacts/$target.log" || true
    if grep -qE 'SUMMARY|Test unit written|deadly signal|ERROR: libFuzzer' "$here/artifacts/$target.log"; then
        echo "!! $target crashed; see fuzz/artifacts/$target.log" >&2
        status=1
    fi
done
exit $status
