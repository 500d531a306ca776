#!/usr/bin/env bash
# A Docker engine for the tests that run containers for real.
#
#   scripts/dockerd.sh run CMD [ARG...]   run CMD with DOCKER_HOST set to an engine that
#                                         answers: the one already running (DOCKER_HOST or
#                                         /var/run/docker.sock), else a dockerd of its own,
#                                         stopped again when CMD ends; exits with CMD's status
#   scripts/dockerd.sh start DIR          start a dockerd whose data, state and socket all
#                                         live in DIR (empty or missing); prints its DOCKER_HOST
#   scripts/dockerd.sh stop DIR           stop that dockerd by its pid, unmount what it left
#                                         under DIR, and remove DIR
#
# The engine of its own needs root and the docker.io package. It keeps to itself: vfs
# storage (works on any filesystem, nested in a container too), no iptables rules, no
# bridge (tests run containers with --network host).
set -euo pipefail

answers() { # DOCKER_HOST
	DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start() {
	local dir=$1
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd is not installed (Debian package docker.io)" >&2; return 1; }
	[ "$(id -u)" = 0 ] || { echo "dockerd.sh: starting a dockerd needs root" >&2; return 1; }
	local host="unix://$dir/docker.sock"
	dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" -H "$host" \
		--storage-driver=vfs --iptables=false --bridge=none --ip-masq=false \
		>"$dir/dockerd.log" 2>&1 </dev/null &
	echo $! >"$dir/launched.pid"
	for _ in $(seq 1 300); do
		if answers "$host"; then
			echo "$host"
			return 0
		fi
		if ! kill -0 "$(cat "$dir/launched.pid")" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "dockerd.sh: dockerd did not answer on $host; its log:" >&2
	tail -n 30 "$dir/dockerd.log" >&2 || true
	stop "$dir"
	return 1
}

stop() {
	local dir=$1 pid=""
	[ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd)
	# The pid dockerd wrote, else the one launched (dockerd may have died before writing).
	for f in "$dir/pid" "$dir/launched.pid"; do
		if [ -z "$pid" ] && [ -s "$f" ]; then pid=$(cat "$f"); fi
	done
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "dockerd.sh: dockerd (pid $pid) did not stop in 30s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.5
		fi
	fi
	# dockerd leaves its network namespace file (and, if killed, container mounts)
	# mounted under its exec root; unmount deepest first, then the directory can go.
	{ grep -F " $dir/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$dir"
}

case "${1:-}" in
start) start "$2" ;;
stop) stop "$2" ;;
run)
	shift
	for host in "${DOCKER_HOST:-}" unix:///var/run/docker.sock; do
		if [ -n "$host" ] && answers "$host"; then
			DOCKER_HOST=$host exec "$@"
		fi
	done
	dir=$(mktemp -d /tmp/plexform-dockerd.XXXXXX)
	trap 'stop "$dir"' EXIT
	DOCKER_HOST=$(start "$dir")
	export DOCKER_HOST
	status=0
	"$@" || status=$?
	exit $status
	;;
*)
	echo "usage: $0 run CMD [ARG...] | start DIR | stop DIR" >&2
	exit 2
	;;
esac
