#!/usr/bin/env bash
# Release builds: scripts/release.sh VERSION writes dist/ with one archive per target, a
# .deb per Linux architecture (amd64, arm64, armhf), the plan files' JSON Schema
# (plexform.schema.json: the release binary's `plexform schema`, whose $id and the URL its
# `init` writes are this asset's download URL), SHA256SUMS, and the Homebrew formula
# (plexform.rb) and Scoop manifest (plexform.json) made from those sums. Every binary is
# static (CGO_ENABLED=0) and -trimpath; archives hold the binary, README.md, LICENSE, the
# man page plexform.1 (rendered from the binary's help text), completions/ (bash, zsh,
# fish, PowerShell), docs/ and examples/ (as committed, without Go tests), with fixed
# owners, modes and times (the commit's), in sorted order, so two builds of the same
# commit give the same bytes (scripts/release-test.sh checks that, and each file's
# format). Runs on Linux; needs dpkg-deb (Debian package dpkg) and gzip.
#
#   DIST=dir     write there instead of dist/
#   TARGETS="linux/amd64 ..."   build only these (default: all below); the formula and
#                               the Scoop manifest need every target and are left out
#   DEB_MAINTAINER="Name <mail>"  the .deb's Maintainer field
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
umask 022
unset GOEXPERIMENT GOARM GO386 2>/dev/null || true
ldflags="-s -w -buildid= -X main.version=$version -X main.commit=$commit -X main.buildDate=$build_date"

rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v dpkg-deb >/dev/null || { echo "release.sh: dpkg-deb is not installed (Debian package dpkg)" >&2; exit 1; }
maintainer=${DEB_MAINTAINER:-plexform maintainers <plexform@users.noreply.github.com>}

binary() { # target -> the path of its built binary
	local goos=${1%/*} exe=plexform
	[ "$goos" = windows ] && exe=plexform.exe
	echo "$work/bin/${1//\//_}/$exe"
}

for target in $targets; do
	goos=${target%/*}
	arch=${target#*/}
	goarch=$arch goarm=
	if [ "$arch" = armv7 ]; then goarch=arm goarm=7; fi
	echo "build plexform_${version}_${goos}_${arch}"
	GOOS=$goos GOARCH=$goarch GOARM=$goarm go build -trimpath -buildvcs=false -ldflags "$ldflags" \
		-o "$(binary "$target")" ./cmd/plexform
done

# What ships beside the binary: the man page and completions, from the help text of a
# binary that runs here (the linux/amd64 one when it was built: same flags, same text),
# and docs/ and examples/ as committed.
host=$(go env GOHOSTOS)/$(go env GOHOSTARCH)
host_bin=$(binary "$host")
if [ ! -x "$host_bin" ]; then
	host_bin=$work/host/plexform
	GOOS= GOARCH= go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$host_bin" ./cmd/plexform
fi
share=$work/share
mkdir -p "$share/completions"
go run ./scripts/release manpage -bin "$host_bin" -version "$version" -mtime "$SOURCE_DATE_EPOCH" -o "$share/plexform.1"
for shell in bash:bash zsh:zsh fish:fish powershell:ps1; do
	"$host_bin" completion "${shell%:*}" >"$share/completions/plexform.${shell#*:}"
done
# The schema the release validates with, published beside the archives under the name
# and URL (plan.SchemaAsset, plan.SchemaURL) that its $id and `plexform init` give.
"$host_bin" schema >"$dist/plexform.schema.json"
git ls-files -z docs examples | while IFS= read -r -d '' f; do
	case $f in *_test.go) continue ;; esac
	mkdir -p "$share/$(dirname "$f")"
	cp "$f" "$share/$f"
done

# deb DEBARCH BINARY: the package, its files where Debian Policy and the shells look for
# them, no maintainer script (nothing runs at install). Every file's time is the
# commit's, dpkg-deb makes owners root and takes SOURCE_DATE_EPOCH for the ar members,
# and one xz thread compresses the same way every time.
deb() {
	local debarch=$1 bin=$2 root=$work/deb-$1 debv=${version/-/\~}
	install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
		"$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
		"$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/plexform"
	install -m 0755 "$bin" "$root/usr/bin/plexform"
	gzip -9n <"$share/plexform.1" >"$root/usr/share/man/man1/plexform.1.gz"
	install -m 0644 "$share/completions/plexform.bash" "$root/usr/share/bash-completion/completions/plexform"
	install -m 0644 "$share/completions/plexform.zsh" "$root/usr/share/zsh/vendor-completions/_plexform"
	install -m 0644 "$share/completions/plexform.fish" "$root/usr/share/fish/vendor_completions.d/plexform.fish"
	cat >"$root/usr/share/doc/plexform/copyright" <<-EOF
		Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
		Upstream-Name: plexform
		Source: https://github.com/plexform/plexform

		Files: *
		Copyright: $(date -u -d "@$SOURCE_DATE_EPOCH" +%Y) the plexform authors
		License: Apache-2.0
		 On Debian systems, the full text of the Apache License, Version 2.0 is in
		 /usr/share/common-licenses/Apache-2.0.
	EOF
	# A native package's changelog (Debian Policy 12.7): one entry, this release.
	{
		echo "plexform ($debv) unstable; urgency=medium"
		echo
		echo "  * Release $version (github.com/plexform/plexform/releases)."
		echo
		echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	} | gzip -9n >"$root/usr/share/doc/plexform/changelog.gz"
	chmod 0644 "$root/usr/share/man/man1/plexform.1.gz" "$root/usr/share/doc/plexform/copyright" "$root/usr/share/doc/plexform/changelog.gz"
	(cd "$root" && find usr -type f | sort | xargs md5sum >DEBIAN/md5sums)
	cat >"$root/DEBIAN/control" <<-EOF
		Package: plexform
		Version: $debv
		Architecture: $debarch
		Maintainer: $maintainer
		Installed-Size: $(du -sk --apparent-size "$root/usr" | cut -f1)
		Section: admin
		Priority: optional
		Homepage: https://github.com/plexform/plexform
		Description: reset and keep Plex Media Server's sign-in, as configuration as code
		 plexform removes a stale sign-in (PlexOnlineToken and its friends) from Plex
		 Media Server's settings the way it must be done: it stops the server, backs
		 up, edits, starts it again and checks it, with rollback on failure. A YAML
		 plan states the desired state; plexform plan shows the difference, plexform
		 apply makes it so. One static binary; it installs no service.
	EOF
	chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	dpkg-deb --root-owner-group -Zxz --threads-max=1 --build "$root" "$dist/plexform_${debv}_${debarch}.deb" >/dev/null
}

for target in $targets; do
	goos=${target%/*}
	arch=${target#*/}
	name=plexform_${version}_${goos}_${arch}
	bin=$(binary "$target")
	mkdir -p "$work/$name"
	cp "$bin" README.md LICENSE "$work/$name/"
	cp -R "$share/." "$work/$name/"
	if [ "$goos" = windows ]; then
		archive=$name.zip
	else
		archive=$name.tar.gz
	fi
	go run ./scripts/release archive -mtime "$SOURCE_DATE_EPOCH" -exec "$(basename "$bin")" -o "$dist/$archive" "$work/$name"
	case $target in
	linux/amd64) deb amd64 "$bin" ;;
	linux/arm64) deb arm64 "$bin" ;;
	linux/armv7) deb armhf "$bin" ;;
	esac
done

(cd "$dist" && shopt -s nullglob && sha256sum -- *.tar.gz *.zip *.deb plexform.schema.json | LC_ALL=C sort -k2 >SHA256SUMS)
if [ -z "${TARGETS:-}" ]; then
	go run ./scripts/release formula -version "$version" -sums "$dist/SHA256SUMS" -o "$dist/plexform.rb"
	go run ./scripts/release scoop -version "$version" -sums "$dist/SHA256SUMS" -o "$dist/plexform.json"
fi
echo "wrote $dist/ ($(wc -l <"$dist/SHA256SUMS") archives, packages and the schema, and SHA256SUMS) for $version at $commit"
