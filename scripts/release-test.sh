#!/usr/bin/env bash
# Checks scripts/release.sh: builds every target twice, the second time with an empty Go
# build cache (so nothing is reused), and requires the same bytes (archives and .debs);
# checks SHA256SUMS with sha256sum, each archive's and .deb's entries and each binary's
# format, architecture and static build, and that the Homebrew formula and the Scoop
# manifest carry the sums (go run ./scripts/release verify); that the plan schema asset
# (plexform.schema.json) is there, is the release binary's `plexform schema`, and that its
# $id and the URL the binary's init writes are the asset's download URL; that GNU tar lists the
# archives; that the linux/amd64 binary prints the stamped version; the man page with
# groff and man (every warning an error); the .debs with dpkg-deb and lintian, and the
# amd64 one installed and purged with apt and dpkg in a clean Debian 12 container
# (scripts/release/deb-test.sh); the formula with `ruby -c`; the Scoop manifest against
# packaging/scoop.schema.json (python3-jsonschema); and the OCI image of
# packaging/Dockerfile, built with the local engine from the release's binary, resetting
# a Plex container (TestReleaseImageResetsByName in internal/dockertest). A tool that is
# missing skips its check with a message, and fails the run when CI=true.
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
	tar -tzf "$f" >/dev/null
done
tar -tzvf "$work/a/plexform_${version}_linux_amd64.tar.gz" | awk '{print "   " $1, $2, $6, $7, $8, $9}'

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

echo "== plan schema asset (plexform.schema.json)"
# Published beside the archives: the release binary's own schema, whose $id and the URL
# its init writes for yaml-language-server are the asset's download URL (verify above
# checks the $id and the bytes against the source too).
schema_url=https://github.com/plexform/plexform/releases/download/v$version/plexform.schema.json
[ -f "$work/a/plexform.schema.json" ] || { echo "no plexform.schema.json beside the archives"; exit 1; }
"$bin" schema | cmp -s - "$work/a/plexform.schema.json" || { echo "plexform.schema.json is not the release binary's plexform schema"; exit 1; }
grep -qF "\"\$id\": \"$schema_url\"" "$work/a/plexform.schema.json" || { echo "plexform.schema.json's \$id is not $schema_url"; exit 1; }
tree=$work/tree
mkdir -p "$tree/lib/systemd/system" "$tree/var/lib/plexmediaserver/Library/Application Support/Plex Media Server"
printf '[Service]\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plexmediaserver/Library/Application\\x20Support\nUser=plex\n' >"$tree/lib/systemd/system/plexmediaserver.service"
printf '<?xml version="1.0" encoding="utf-8"?>\n<Preferences FriendlyName="den"/>\n' >"$tree/var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml"
init_plan=$("$bin" init -f - -root "$tree")
[ "${init_plan%%$'\n'*}" = "# yaml-language-server: \$schema=$schema_url" ] || { echo "init's first line does not name $schema_url: ${init_plan%%$'\n'*}"; exit 1; }
echo "   $schema_url: the asset, its \$id and init's schema line agree"

# missing TOOL DEBIAN-PACKAGE: a check's tool is not here; fatal in CI.
missing() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 is needed in CI (apt-get install $2; .ci/run installs it)"
		exit 1
	fi
	echo "   SKIPPED: $1 is not installed (apt-get install $2)"
}

echo "== man page (groff -ww, man -l)"
man_page=$work/x/plexform_${version}_linux_amd64/plexform.1
if command -v groff >/dev/null; then
	warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1)
	[ -z "$warnings" ] || { echo "groff warns about plexform.1:"; echo "$warnings"; exit 1; }
	echo "   groff: no warnings"
else
	missing groff groff-base
fi
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$man_page" 2>&1 | grep -q '^PLEXFORM(1) ' || { echo "man -l does not render plexform.1"; exit 1; }
	echo "   man -l: $(MANWIDTH=80 man -l "$man_page" 2>/dev/null | wc -l) lines"
else
	missing man man-db
fi

echo "== .deb packages"
for f in "$work"/a/*.deb; do
	echo "   $(basename "$f"): $(dpkg-deb --field "$f" Architecture), $(stat -c %s "$f") bytes"
done
if command -v lintian >/dev/null; then
	# A Go binary is static on purpose (it runs on any Linux, NAS firmware too).
	if ! out=$(lintian --allow-root --fail-on error,warning --suppress-tags statically-linked-binary "$work"/a/*.deb 2>&1); then
		echo "$out"
		echo "lintian finds errors or warnings (above)"
		exit 1
	fi
	echo "   lintian: no errors or warnings"
else
	missing lintian lintian
fi
if [ "$(id -u)" = 0 ] && command -v docker >/dev/null; then
	bash scripts/release/deb-test.sh "$work/a/plexform_${version/-/\~}_amd64.deb"
elif [ "${CI:-}" = true ]; then
	echo "FAIL: the .deb install test needs root and docker.io in CI"
	exit 1
else
	echo "   SKIPPED: the .deb install test needs root and the docker command (docker.io)"
fi

echo "== Homebrew formula (ruby -c) and Scoop manifest (packaging/scoop.schema.json)"
if command -v ruby >/dev/null; then
	ruby -c "$work/a/plexform.rb" | sed 's/^/   /'
else
	missing ruby ruby
fi
if python3 -c 'import jsonschema' 2>/dev/null; then
	if ! out=$(python3 -m jsonschema -i "$work/a/plexform.json" packaging/scoop.schema.json 2>&1); then
		echo "$out"
		echo "plexform.json does not pass packaging/scoop.schema.json"
		exit 1
	fi
	echo "   plexform.json: valid"
else
	missing "python3's jsonschema" python3-jsonschema
fi

echo "== OCI image (packaging/Dockerfile) resets a Plex container"
PLEXFORM_RELEASE_BINARY=$bin go test -count=1 -v -run '^TestReleaseImageResetsByName$' ./internal/dockertest/ | sed 's/^/   /'

echo "== sizes"
(cd "$work/a" && stat -c '   %s %n' -- *.deb *_linux_amd64.tar.gz *_windows_amd64.zip plexform.rb plexform.json)
echo "== release test passed"
