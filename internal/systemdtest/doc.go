// Package systemdtest drives plexform against a real systemd: a Debian bookworm rootfs
// (scripts/systemd-rootfs.sh) booted with systemd as PID 1 in a container, with a plex
// user and a plexmediaserver unit shaped like Plex's Debian package, whose server is
// plexform's own simulator. Its tests run plexform inside the container with docker
// exec, as a user runs it on a bare Linux install. The package holds only tests.
package systemdtest
