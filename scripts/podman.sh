#!/usr/bin/env bash
# Podman's Docker-compatible API, for running the Docker tests against Podman: the docker
# manager speaks the same Engine API to both, and this is what shows it.
#
#   scripts/podman.sh run CMD [ARG...]   run CMD with DOCKER_HOST set to a Podman API
#                                        service of its own, stopped again when CMD ends;
#                                        exits with CMD's status
#
# Needs root and the podman package. Like scripts/dockerd.sh it keeps to itself: its
# storage (vfs, which works on any filesystem), run state, config and socket all live in a
# temp dir, so it never touches /var/lib/containers or another Podman's containers.
#
# Settings a plain install does not need, for a machine that is itself a container (a CI
# runner): cgroupfs (no systemd to ask), runc (crun refuses a cgroup v1/v2 hybrid), file
# events (no journald), and container ulimits no higher than this shell's hard limits
# (Podman's defaults raise them, which needs CAP_SYS_RESOURCE).
set -euo pipefail

start() {
	local dir=$1
	command -v podman >/dev/null || { echo "podman.sh: podman is not installed (Debian package podman)" >&2; return 1; }
	[ "$(id -u)" = 0 ] || { echo "podman.sh: the Podman API service needs root here" >&2; return 1; }
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	# Podman raises its own soft limits at start; 1024 is below any hard limit.
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 1024 ] && nofile=1024
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 1024 ] && nproc=1024
	cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$dir/run"
graphroot = "$dir/graph"
EOF
	cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
runtime = "runc"
tmp_dir = "$dir/tmp"
EOF
	export CONTAINERS_STORAGE_CONF=$dir/storage.conf CONTAINERS_CONF=$dir/containers.conf
	local host="unix://$dir/podman.sock"
	podman system service --time=0 "$host" >"$dir/podman.log" 2>&1 </dev/null &
	echo $! >"$dir/pid"
	for _ in $(seq 1 300); do
		if DOCKER_HOST=$host timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
			echo "$host"
			return 0
		fi
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "podman.sh: the Podman API service did not answer on $host; its log:" >&2
	tail -n 30 "$dir/podman.log" >&2 || true
	return 1
}

stop() {
	local dir=$1 pid
	pid=$(cat "$dir/pid" 2>/dev/null || true)
	if [ -n "$pid" ]; then
		# Containers first (through the service's own storage), then the service.
		CONTAINERS_STORAGE_CONF=$dir/storage.conf CONTAINERS_CONF=$dir/containers.conf \
			podman rm -af -t 0 >/dev/null 2>&1 || true
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	{ grep -F " $dir/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$dir"
}

case "${1:-}" in
run)
	shift
	dir=$(mktemp -d /tmp/plexform-podman.XXXXXX)
	trap 'stop "$dir"' EXIT
	DOCKER_HOST=$(start "$dir")
	export DOCKER_HOST
	status=0
	"$@" || status=$?
	exit $status
	;;
*)
	echo "usage: $0 run CMD [ARG...]" >&2
	exit 2
	;;
esac
