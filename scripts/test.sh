#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it. Tests that need a real
# peer (s6, xmllint, plistutil, wine) skip with a message when it is missing, and fail
# when CI=true. Run from anywhere; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt, vet (linux, darwin, windows/amd64, windows/arm64)"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
go vet ./...
GOOS=darwin go vet ./...
GOOS=windows GOARCH=amd64 go vet ./...
GOOS=windows GOARCH=arm64 go vet ./...
GOOS=windows GOARCH=arm64 go build ./...
echo "== staticcheck (linux, windows)"
staticcheck_bin=$(mktemp -d)/staticcheck
GOBIN=$(dirname "$staticcheck_bin") go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
"$staticcheck_bin" ./...
GOOS=windows "$staticcheck_bin" ./...
rm -rf "$(dirname "$staticcheck_bin")"

echo "== go test"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
if ! go test -count=1 ./... 2>&1 | tee "$results"; then
	echo "packages: $(grep -c '^ok ' "$results") passed, $(grep -c '^FAIL' "$results") failed"
	exit 1
fi

echo "== short fuzz runs (seed corpora are checked in under testdata/fuzz)"
fuzz() {
	local out
	if ! out=$(go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-8s}" "$1" 2>&1); then
		# Go's fuzz coordinator can miss its own deadline on a loaded machine and say only
		# "context deadline exceeded", with no failing input; that alone earns one retry.
		if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input' <<<"$out"; then
			echo "   $2: the fuzz coordinator timed out without a failing input; once more"
			out=$(go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-8s}" "$1" 2>&1) && { echo "   $2 ok"; return 0; }
		fi
		echo "$out"; echo "   $2 FAILED"; return 1
	fi
	echo "   $2 ok"
}
# Every fuzz target in the tree: one `go test -fuzz` run each (Go fuzzes one at a time).
for pkg_target in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort | while read -r f; do
	dir=./$(dirname "$f"); for t in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -c6-); do echo "$dir:$t"; done; done); do
	fuzz "${pkg_target%%:*}" "${pkg_target##*:}"
done

echo "== the Docker end-to-end tests again, against Podman's Docker-compatible API"
if command -v podman >/dev/null && [ "$(id -u)" = 0 ]; then
	bash scripts/podman.sh run go test -count=1 ./internal/dockertest/
elif [ "${CI:-}" = true ]; then
	echo "FAIL: podman (as root) is needed in CI; install with: apt-get install podman"
	exit 1
else
	echo "SKIPPED: needs root and podman (apt-get install podman)"
fi

echo "== Windows registry under Wine"
bash scripts/wine-test.sh

echo "== all tests passed"
echo "packages: $(grep -c '^ok ' "$results") passed, 0 failed"
