#!/usr/bin/env bash
# Checks scripts/release.sh: builds every target twice, the second time with an empty Go
# build cache (so nothing is reused), and requires the same bytes; checks SHA256SUMS
# with sha256sum, each archive's entries and each binary's format, architecture and
# static build (go run ./scripts/release verify), that GNU tar lists the archives, and
# that the linux/amd64 binary prints the stamped version. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
version=0.0.0-releasetest
commit=$(git rev-parse HEAD)

echo "== release build 1"
ALLOW_DIRTY=1 DIST="$work/a" scripts/release.sh "v$version"
echo "== release build 2 (empty build cache)"
ALLOW_DIRTY=1 DIST="$work/b" GOCACHE="$work/gocache" scripts/release.sh "$version"

echo "== reproducible"
diff <(cd "$work/a" && ls) <(cd "$work/b" && ls)
for f in "$work"/a/*; do
	cmp "$f" "$work/b/$(basename "$f")"
done
echo "   $(ls "$work/a" | wc -l) files byte-identical"

echo "== sums and formats"
(cd "$work/a" && sha256sum --strict -c SHA256SUMS)
go run ./scripts/release verify -version "$version" "$work/a"
for f in "$work"/a/*.tar.gz; do
	tar -tzvf "$f" | awk '{print "   " $1, $2, $6}'
done

echo "== stamped version"
mkdir "$work/x"
tar -xzf "$work/a/plexform_${version}_linux_amd64.tar.gz" -C "$work/x"
bin=$work/x/plexform_${version}_linux_amd64/plexform
out=$("$bin" version -json)
echo "$out"
want_date=$(date -u -d "@$(git log -1 --format=%ct HEAD)" +%Y-%m-%dT%H:%M:%SZ)
for want in "\"version\": \"$version\"" "\"commit\": \"$commit" "\"build_date\": \"$want_date\"" '"os": "linux"' '"arch": "amd64"'; do
	grep -qF "$want" <<<"$out" || { echo "version -json lacks $want"; exit 1; }
done
"$bin" version | grep -qx "plexform $version" || { echo "plexform version does not print plexform $version"; exit 1; }
echo "== release test passed"
