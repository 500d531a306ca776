#!/usr/bin/env bash
# A Debian root filesystem that boots systemd as PID 1 in a container, for the tests that
# drive a real systemd (internal/systemdtest).
#
#   scripts/systemd-rootfs.sh tar            print the path of the rootfs tarball, building it
#                                            first when the cache does not hold it
#   scripts/systemd-rootfs.sh import IMAGE   docker import the tarball as IMAGE (DOCKER_HOST
#                                            honoured), with systemd as its command
#
# The rootfs is `debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm`.
# Building it takes minutes (it downloads about 40 MB of packages), so the tarball (60 MB) is
# kept in PLEXFORM_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/plexform, or
# /var/cache/plexform without HOME), named by a hash of the recipe (the suite, the
# architecture and the build function below, as bash prints it, without comments):
# changing the recipe builds a new one, and older ones are removed.
#
# The Debian mirror is DEBIAN_MIRROR, else the first Debian archive apt is configured with
# here (/etc/apt/sources.list and sources.list.d, one-line or deb822), else deb.debian.org.
# Building needs root and the debootstrap package; importing needs the docker command.
set -euo pipefail

suite=bookworm
if [ -n "${PLEXFORM_CACHE_DIR:-}" ]; then
	cache=$PLEXFORM_CACHE_DIR
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
	cache=$XDG_CACHE_HOME/plexform
elif [ -n "${HOME:-}" ]; then
	cache=$HOME/.cache/plexform
else
	cache=/var/cache/plexform
fi
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)

mirror() {
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "$DEBIAN_MIRROR"
		return
	fi
	local m
	# URIs: lines of deb822 .sources files, and the URI of one-line "deb [opts] URI suite"
	# entries; only an archive whose path ends in /debian (not debian-security).
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
		     $1 == "deb"   { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' |
		grep -E '/debian/?$' | head -n 1 || true)
	echo "${m:-http://deb.debian.org/debian}"
}

# unmount_under DIR unmounts whatever debootstrap left mounted inside DIR (proc, sys when
# it fails half-way), deepest first.
unmount_under() {
	{ grep -F " $1/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

build() {
	command -v debootstrap >/dev/null || {
		echo "systemd-rootfs.sh: debootstrap is not installed (Debian package debootstrap)" >&2
		return 1
	}
	[ "$(id -u)" = 0 ] || {
		echo "systemd-rootfs.sh: debootstrap needs root" >&2
		return 1
	}
	mkdir -p "$cache"
	local work
	work=$(mktemp -d "$cache/rootfs.XXXXXX")
	# shellcheck disable=SC2064 # expand $work now: it is local
	trap "unmount_under '$work'; rm -rf '$work'" EXIT
	local root=$work/root m
	m=$(mirror)
	echo "systemd-rootfs.sh: debootstrap $suite from $m into $root (a few minutes)" >&2
	if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
		"$suite" "$root" "$m" >"$work/debootstrap.log" 2>&1; then
		echo "systemd-rootfs.sh: debootstrap failed; the end of its log:" >&2
		tail -n 30 "$work/debootstrap.log" >&2
		tail -n 30 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
		return 1
	fi
	unmount_under "$work"

	# Each container gets a machine id of its own at boot (systemd makes a transient one
	# when the file is empty), not the one debootstrap's systemd happened to write.
	: >"$root/etc/machine-id"
	# Units that only make sense on a machine with its own kernel and consoles fail or
	# wait in a container; masked, systemctl is-system-running reaches "running".
	local unit
	for unit in systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
		systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
		sys-fs-fuse-connections.mount dev-hugepages.mount getty@tty1.service console-getty.service \
		systemd-firstboot.service systemd-hwdb-update.service; do
		ln -sf /dev/null "$root/etc/systemd/system/$unit"
	done
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/debootstrap
	# Devices come from the container engine.
	rm -rf "${root:?}"/dev/*

	tar --numeric-owner --xattrs -C "$root" -czf "$work/rootfs.tar.gz" .
	mv "$work/rootfs.tar.gz" "$tarball"
	# Older builds of an earlier version of this script.
	find "$cache" -maxdepth 1 -name "systemd-rootfs-$suite-$arch-*.tar.gz" ! -path "$tarball" -delete
}

key=$({ echo "$suite $arch"; declare -f build; } | sha256sum | cut -c1-16)
tarball=$cache/systemd-rootfs-$suite-$arch-$key.tar.gz

ensure() {
	mkdir -p "$cache"
	# Two test runs at once build it once.
	exec 9>"$cache/systemd-rootfs.lock"
	flock 9
	if [ ! -s "$tarball" ]; then
		(build)
	fi
	exec 9>&-
}

case "${1:-}" in
tar)
	ensure
	echo "$tarball"
	;;
import)
	[ -n "${2:-}" ] || {
		echo "usage: $0 import IMAGE" >&2
		exit 2
	}
	ensure
	# container=docker tells systemd it runs in a container (no consoles, no kernel
	# modules). docker import takes no STOPSIGNAL: run it with --stop-signal SIGRTMIN+3,
	# the signal that makes systemd shut down cleanly on docker stop.
	docker import \
		--change 'ENV container=docker' \
		--change 'CMD ["/lib/systemd/systemd"]' \
		"$tarball" "$2" >/dev/null
	;;
*)
	echo "usage: $0 tar | import IMAGE" >&2
	exit 2
	;;
esac
