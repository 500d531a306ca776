#!/usr/bin/env bash
# Installs a plexform .deb with the real apt and dpkg in a clean Debian 12 (the bookworm
# minbase of scripts/systemd-rootfs.sh, imported as an image, run without a network),
# checks that the binary, the man page and the completions are where Debian Policy and
# the shells look for them and that nothing else was installed (no service, nothing in
# /etc), then purges it and checks the file system is as it was before.
#
#   scripts/release/deb-test.sh DIST/plexform_VERSION_amd64.deb
#
# Needs root, the docker command and an engine (scripts/dockerd.sh starts one when none
# answers), and the rootfs tarball (built once, then cached).
set -euo pipefail
cd "$(dirname "$0")/../.."

deb=${1:?usage: scripts/release/deb-test.sh PLEXFORM.deb}
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
[ -f "$deb" ] || { echo "deb-test.sh: no $deb" >&2; exit 2; }

if [ -z "${DEB_TEST_ENGINE:-}" ]; then
	DEB_TEST_ENGINE=1 exec bash scripts/dockerd.sh run bash "$0" "$deb"
fi

image=plexform-debtest-bookworm:$$
bash scripts/systemd-rootfs.sh import "$image"
trap 'docker rmi -f "$image" >/dev/null 2>&1 || true' EXIT

# The script run inside: every check fails the run with a message that says what.
inside=$(cat <<'INSIDE'
set -euo pipefail
fail() { echo "deb-test: $*" >&2; exit 1; }
# Everything but the package manager's own state, logs and the mounted package.
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log -o -path /deb \) -prune \
		-o -printf '%p %M %u:%g %s\n' | LC_ALL=C sort
}
snapshot >/tmp/before
apt-get install -y -q "/deb/$DEB" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get install failed"; }
[ "$(dpkg-query -W -f='${Status} ${Version}' plexform)" = "install ok installed $VERSION" ] || fail "dpkg does not list plexform $VERSION as installed"
for f in /usr/bin/plexform:-rwxr-xr-x /usr/share/man/man1/plexform.1.gz:-rw-r--r-- \
	/usr/share/bash-completion/completions/plexform:-rw-r--r-- /usr/share/zsh/vendor-completions/_plexform:-rw-r--r-- \
	/usr/share/fish/vendor_completions.d/plexform.fish:-rw-r--r-- /usr/share/doc/plexform/copyright:-rw-r--r--; do
	[ "$(stat -c '%A %U:%G' "${f%%:*}" 2>/dev/null)" = "${f#*:} root:root" ] || fail "${f%%:*} is not there as ${f#*:} root:root"
done
plexform version | grep -qx "plexform $RELEASE" || fail "plexform version does not print plexform $RELEASE"
zcat /usr/share/man/man1/plexform.1.gz | grep -q '^\.TH PLEXFORM 1 ' || fail "the man page has no .TH PLEXFORM 1"
# bash-completion loads this file for `plexform`: it must define the completion.
bash -c 'source /usr/share/bash-completion/completions/plexform && complete -p plexform' >/dev/null || fail "the bash completion defines no completion for plexform"
snapshot >/tmp/installed
added=$(LC_ALL=C comm -13 /tmp/before /tmp/installed | cut -d' ' -f1)
unexpected=$(grep -v -E '^/usr/(bin/plexform|share/(man/man1/plexform\.1\.gz|bash-completion(/completions(/plexform)?)?|zsh(/vendor-completions(/_plexform)?)?|fish(/vendor_completions\.d(/plexform\.fish)?)?|doc/plexform(/copyright|/changelog\.gz)?))$' <<<"$added" || true)
[ -z "$unexpected" ] || fail "the install added more than the package's files: $unexpected"
changed=$(LC_ALL=C comm -23 /tmp/before /tmp/installed)
[ -z "$changed" ] || fail "the install changed existing files: $changed"
echo "installed: $(wc -l <<<"$added") new paths, all the package's own; no service, nothing in /etc"
dpkg --purge plexform >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; fail "dpkg --purge failed"; }
! dpkg-query -W plexform >/dev/null 2>&1 || fail "dpkg still knows plexform after the purge"
snapshot >/tmp/after
diff /tmp/before /tmp/after || fail "the purge left the file system different from before the install (above)"
echo "purged: the file system is as before the install"
INSIDE
)
version=$(dpkg-deb --field "$deb" Version)
docker run --rm --network none -v "$(dirname "$deb"):/deb:ro" \
	-e DEB="$(basename "$deb")" -e VERSION="$version" -e RELEASE="${version/\~/-}" \
	"$image" bash -c "$inside"
