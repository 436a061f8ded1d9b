#!/usr/bin/env bash
# Packs a built shardplan binary as a release archive, the name action.yml
# downloads: shardplan-v<VERSION>-<TARGET>.tar.gz (.zip for Windows), holding
# shardplan-v<VERSION>-<TARGET>/ with the binary, the licences and the README.
#
#   .github/scripts/package.sh TARGET BINARY OUTDIR
#
# VERSION is Cargo.toml's. Prints the archive's path. The release workflow
# runs it for every target; tests/action.rs packs the test build with it.
set -euo pipefail
if [ "$#" -ne 3 ]; then
  echo "usage: $0 TARGET BINARY OUTDIR" >&2
  exit 2
fi
target="$1"
binary="$2"
outdir="$3"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$repo/Cargo.toml" | head -n 1)"
[ -n "$version" ] || { echo "no version in $repo/Cargo.toml" >&2; exit 1; }
name="shardplan-v$version-$target"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
case "$target" in
  *windows*) exe=shardplan.exe ;;
  *) exe=shardplan ;;
esac
cp "$binary" "$stage/$name/$exe"
cp "$repo/LICENSE-MIT" "$repo/LICENSE-APACHE" "$repo/README.md" "$stage/$name/"
cd "$stage"
case "$target" in
  *windows*)
    rm -f "$outdir/$name.zip"
    if command -v 7z >/dev/null 2>&1; then
      7z a -tzip -bd "$outdir/$name.zip" "$name" >/dev/null
    else
      zip -qr "$outdir/$name.zip" "$name"
    fi
    echo "$outdir/$name.zip"
    ;;
  *)
    tar -czf "$outdir/$name.tar.gz" "$name"
    echo "$outdir/$name.tar.gz"
    ;;
esac
