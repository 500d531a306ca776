#!/usr/bin/env bash
# Checks scripts/release.sh: builds every target twice, the second time with an empty Go
# build cache (so nothing is reused), and requires the same bytes; checks SHA256SUMS
# with sha256sum, each archive's entries and each binary's format, architecture and
# static build (go run ./scripts/release verify), that GNU tar lists the archives, and
# that the linux/amd64 binary prints the stamped version. Takes a few minutes.
#
#   scripts/release-test.sh          # every target twice
#   scripts/release-test.sh -quick   # every target once; only linux/amd64 again with an
#                                    # empty cache (what CI runs: half the build time)
set -euo pipefail
cd "$(dirname "$0")/.."

second_targets=
case ${1:-} in
'') ;;
-quick) second_targets=linux/amd64 ;;
*)
	echo "usage: scripts/release-test.sh [-quick]" >&2
	exit 2
	;;
esac

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
version=0.0.0-releasetest
commit=$(git rev-parse HEAD)

echo "== release build 1"
ALLOW_DIRTY=1 DIST="$work/a" scripts/release.sh "v$version"
echo "== release build 2 (empty build cache)${second_targets:+, $second_targets only}"
ALLOW_DIRTY=1 DIST="$work/b" GOCACHE="$work/gocache" TARGETS="$second_targets" scripts/release.sh "$version"

echo "== reproducible"
if [ -z "$second_targets" ]; then
	diff <(cd "$work/a" && ls) <(cd "$work/b" && ls)
fi
n=0
for f in "$work"/b/*; do
	[ "$(basename "$f")" = SHA256SUMS ] && [ -n "$second_targets" ] && continue
	cmp "$f" "$work/a/$(basename "$f")"
	n=$((n + 1))
done
echo "   $n files byte-identical"

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
