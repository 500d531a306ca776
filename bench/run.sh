#!/usr/bin/env bash
# Times whole plexform processes and prints one markdown table (bench/RESULTS.md says what
# each row is): `plan` against a floor program and `ansible-playbook --check`, plan over
# 1,000 files and 5 MB files, apply over 1/10/100/1,000 stores and of a 50 MB file with
# its peak memory, the downtime `apply -json` reports under s6 (2 KB and 5 MB), and
# `reset` end to end under s6 against the server's own stop and start.
#
# Usage: bench/run.sh            full run (a few minutes)
#        bench/run.sh -short     fewer runs, for CI: reports, never fails on a slow figure
#        bench/run.sh -only=floor,downtime   some sections only
#        KEEP=1 bench/run.sh     keep the temp dir
#
# Needs go; s6 for the downtime rows; ansible and python3-lxml for the Ansible rows
# (a missing one is skipped with a note, or is an error when CI=true). plexform and the
# floor program are built as the README builds a release: CGO_ENABLED=0, one static
# binary. Everything happens in a temp dir; the repository is only read. Re-runnable.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
for arg in "$@"; do
	case "$arg" in
	-short | -only=*) ;;
	*) echo "usage: bench/run.sh [-short] [-only=floor,ansible,scale,stores,big,downtime,reset]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/plexform-bench.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "keeping $work" >&2; fi

export CGO_ENABLED=0
(cd "$repo" && go build -o "$work/bin/plexform" ./cmd/plexform &&
	go build -o "$work/bin/floor" ./bench/cmd/floor &&
	go build -o "$work/bin/benchrun" ./bench/cmd/benchrun)
file "$work/bin/plexform" 2>/dev/null | grep -q 'statically linked' ||
	{ command -v file >/dev/null && echo "warning: plexform is not statically linked" >&2; } || true

"$work/bin/benchrun" -plexform "$work/bin/plexform" -floor "$work/bin/floor" \
	-repo "$repo" -work "$work/run" "$@"
