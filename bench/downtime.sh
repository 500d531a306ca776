#!/usr/bin/env bash
# Measures the downtime plexform adds to a reset: from the server being down to its
# start being issued (Result.Downtime), for the reset plan over the Plex Media Server
# simulator, under s6 (as in Plex's Docker images) and under the exec manager.
# Prints the median of N applies per manager; the target is under 20 ms.
#
# Usage: bench/downtime.sh [N]     (default 50 applies each; needs go, and s6 for the
#                                   s6 row: apt-get install -y s6)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
command -v go >/dev/null || { echo "missing go" >&2; exit 1; }
command -v s6-supervise >/dev/null || echo "s6 is not installed (apt-get install -y s6): the s6 row will be skipped" >&2

out=$(go test -run '^$' -bench '^BenchmarkResetDowntime$' -benchtime "${n}x" -count 1 ./executor/)
echo "$out" | grep -E '^(goos|goarch|cpu|Benchmark)' >&2
echo
echo "| manager | applies | median downtime | target |"
echo "|---|---|---|---|"
echo "$out" | awk -v n="$n" '/^BenchmarkResetDowntime\// {
	split($1, name, "/"); sub(/-[0-9]+$/, "", name[2])
	for (i = 1; i < NF; i++) if ($(i+1) == "downtime-ms") ms = $i
	printf "| %s | %s | %.1f ms | < 20 ms |\n", name[2], n, ms
}'
