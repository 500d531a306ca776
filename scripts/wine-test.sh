#!/usr/bin/env bash
# Runs the Windows tests against Wine's real registry, reg.exe, taskkill and service control
# manager: the registry store, discovery's Windows lookups, the Windows file checks (links on
# a store's path, the backups dir's owner and ACL), and the windows-app manager and a whole
# apply against the simulator built for Windows, installed as "Plex Media Server.exe".
#
#   scripts/wine-test.sh            # from anywhere in the repository
#
# Needs the Debian packages wine, wine64 and gcc-mingw-w64-x86-64. Without them it prints
# SKIPPED and exits 0, or fails when CI=true. It uses a Wine prefix of its own in a temp
# dir and removes it afterwards, so it never touches ~/.wine.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
# package:test filter. discover's other tests build host trees of Linux paths and owners,
# which a Windows file system does not hold, so only its Windows tests run here.
suites=(
	"./stores/registry/...:."
	"./plex/discover:^(TestLive(LocalAppDataPath|ServicesAndAccounts|PlexService)|TestFindWindows|TestWrapsPlex|TestServiceAccount)$"
	"./stores/fileutil:^TestWindows"
	"./internal/plexsim:^TestWine"
	"./stores/service:^TestWine"
	"./state:^TestWindows"
	"./executor:^TestWine"
)

missing=()
for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc go; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
	msg="wine-test: missing ${missing[*]}; install with: apt-get install wine wine64 gcc-mingw-w64-x86-64"
	if [[ ${CI:-} == true ]]; then
		echo "FAIL: $msg" >&2
		exit 1
	fi
	echo "SKIPPED: $msg"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plexform-wine.XXXXXX")
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEARCH=win64
# No Mono or Gecko: the tests need neither, and their install dialogs would hang CI.
export WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
	wineserver -k 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "wine-test: $(wine --version), prefix $WINEPREFIX"
wineboot -i >/dev/null 2>&1
wineserver -w

# Go 1.24+ Windows binaries import ProcessPrng from bcryptprimitives.dll, which Wine
# before 9.x lacks; put in a one-function stand-in unless this Wine has its own.
dll=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
if [[ -f $dll ]] && grep -q ProcessPrng "$dll"; then
	echo "wine-test: Wine's own bcryptprimitives.dll has ProcessPrng"
else
	x86_64-w64-mingw32-gcc -shared -O2 -Wl,--kill-at -o "$tmp/bcryptprimitives.dll" \
		scripts/wine/processprng.c -ladvapi32
	cp "$tmp/bcryptprimitives.dll" "$dll"
	echo "wine-test: installed the ProcessPrng shim"
fi

# There is no display here: Wine's null graphics driver still lets a program create
# windows, and the simulator needs its hidden one to get taskkill's WM_CLOSE.
wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null

# The Plex Media Server simulator for the windows-app tests, which install it under the
# name of PMS's exe; they skip without this variable, so they run nowhere but here.
GOOS=windows GOARCH=amd64 go build -o "$tmp/plexsim.exe" ./cmd/plexsim
PLEXFORM_WINE_PLEXSIM=$(winepath -w "$tmp/plexsim.exe")
export PLEXFORM_WINE_PLEXSIM

status=0
for suite in "${suites[@]}"; do
	run=${suite#*:}
	for pkg in $(go list "${suite%%:*}"); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		exe=$tmp/$(basename "$dir").test.exe
		GOOS=windows GOARCH=amd64 go test -c -o "$exe" "$pkg"
		[[ -f $exe ]] || continue # no test files
		echo "=== $pkg (under Wine)"
		# Tests read testdata/ relative to their package, as go test arranges.
		if ! (cd "$dir" && wine "$exe" -test.v -test.count=1 -test.run "$run" 2>&1); then
			echo "FAIL: $pkg under Wine" >&2
			status=1
		fi
	done
done
cd "$root"
if ((status == 0)); then
	echo "wine-test: PASS"
fi
exit $status
