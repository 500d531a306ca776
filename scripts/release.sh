#!/usr/bin/env bash
# Release builds: scripts/release.sh VERSION writes dist/ with one archive per target and
# SHA256SUMS. Every binary is static (CGO_ENABLED=0) and -trimpath; archives hold the
# binary, README.md and LICENSE with fixed owners, modes and times (the commit's), in
# sorted order, so two builds of the same commit give the same bytes
# (scripts/release-test.sh checks that, and each binary's format).
#
#   DIST=dir     write there instead of dist/
#   TARGETS="linux/amd64 ..."   build only these (default: all below)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: scripts/release.sh VERSION   (such as 1.2.0 or v1.2.0)" >&2
	exit 2
fi
version=${1#v}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
	echo "release.sh: VERSION $1 is not a semantic version (1.2.0, 1.2.0-rc.1)" >&2
	exit 2
fi

all_targets="linux/amd64 linux/arm64 linux/armv7 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64 freebsd/amd64"
targets=${TARGETS:-$all_targets}
dist=${DIST:-dist}

# The commit and its time, not the clock: the same commit builds the same bytes.
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	if [ "${ALLOW_DIRTY:-}" != 1 ]; then
		echo "release.sh: the work tree has uncommitted changes; commit them (or set ALLOW_DIRTY=1 for a test build)" >&2
		exit 1
	fi
	commit=$commit-dirty
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
build_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

# Nothing from the caller's environment may change the bytes.
export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOAMD64=v1 GOARM64=v8.0 TZ=UTC LC_ALL=C
unset GOEXPERIMENT GOARM GO386 2>/dev/null || true
ldflags="-s -w -buildid= -X main.version=$version -X main.commit=$commit -X main.buildDate=$build_date"

rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for target in $targets; do
	goos=${target%/*}
	arch=${target#*/}
	goarch=$arch goarm=
	if [ "$arch" = armv7 ]; then goarch=arm goarm=7; fi
	name=plexform_${version}_${goos}_${arch}
	exe=plexform
	[ "$goos" = windows ] && exe=plexform.exe
	echo "build $name"
	mkdir -p "$work/$name"
	GOOS=$goos GOARCH=$goarch GOARM=$goarm go build -trimpath -buildvcs=false -ldflags "$ldflags" \
		-o "$work/$name/$exe" ./cmd/plexform
	cp README.md LICENSE "$work/$name/"
	if [ "$goos" = windows ]; then
		archive=$name.zip
	else
		archive=$name.tar.gz
	fi
	go run ./scripts/release archive -mtime "$SOURCE_DATE_EPOCH" -exec "$exe" -o "$dist/$archive" "$work/$name"
done

(cd "$dist" && shopt -s nullglob && sha256sum -- *.tar.gz *.zip | LC_ALL=C sort -k2 >SHA256SUMS)
echo "wrote $dist/ ($(wc -l <"$dist/SHA256SUMS") archives and SHA256SUMS) for $version at $commit"
