//go:build windows

package plexsimtest

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"
)

// PlexKey is PMS's settings key below HKEY_CURRENT_USER, where InstallFolder is too.
const PlexKey = `Software\Plex, Inc.\Plex Media Server`

// WindowsApp is the simulator installed as Plex Media Server for Windows: the exe named
// "Plex Media Server.exe" in a folder of its own, which the InstallFolder value names.
type WindowsApp struct {
	// Dir is a scratch directory holding the install and AddrFile.
	Dir, Install string
	// Listen is the loopback address the app serves on; AddrFile receives it once it does.
	Listen, AddrFile string
}

// InstallWindowsApp installs the simulator that scripts/wine-test.sh built (named in
// PLEXFORM_WINE_PLEXSIM) and points the environment at it: the windows-app manager starts
// the exe without arguments, as Windows starts PMS, so the simulator takes its flags from
// the PLEXSIM_* variables it inherits. It skips without that variable: the tests that
// use it stop every "Plex Media Server.exe" and rewrite PMS's own registry key, which
// only the script's throw-away Wine prefix may see done.
func InstallWindowsApp(tb testing.TB) *WindowsApp {
	tb.Helper()
	sim := os.Getenv("PLEXFORM_WINE_PLEXSIM")
	if sim == "" {
		tb.Skip("runs under Wine from scripts/wine-test.sh only: it stops every \"Plex Media Server.exe\" and rewrites HKCU\\" + PlexKey)
	}
	dir, err := os.MkdirTemp("", "plexform-winapp")
	if err != nil {
		tb.Fatal(err)
	}
	// t.TempDir's cleanup fails under Wine 8 (os.RemoveAll's unlinkat gets "Invalid
	// function"); the script removes the whole prefix afterwards.
	tb.Cleanup(func() { os.RemoveAll(dir) })
	a := &WindowsApp{
		Dir:      dir,
		Install:  filepath.Join(dir, "Plex", "Plex Media Server"),
		AddrFile: filepath.Join(dir, "addr"),
		Listen:   FreeAddr(tb),
	}
	if err := os.MkdirAll(a.Install, 0o755); err != nil {
		tb.Fatal(err)
	}
	copyExe(tb, sim, filepath.Join(a.Install, "Plex Media Server.exe"))
	tb.Setenv("PLEXSIM_LISTEN", a.Listen)
	tb.Setenv("PLEXSIM_ADDR_FILE", a.AddrFile)
	return a
}

// SeedPlexKey replaces PMS's key with these values; see SeedKey.
func SeedPlexKey(tb testing.TB, values ...[3]string) { tb.Helper(); SeedKey(tb, PlexKey, values...) }

// SeedKey replaces the key sub (below HKEY_CURRENT_USER) with these values ({name,
// REG_ type, data} as reg.exe takes them), written by reg.exe rather than plexform's
// code, and deletes the key when the test ends.
func SeedKey(tb testing.TB, sub string, values ...[3]string) {
	tb.Helper()
	DeleteKey(sub) // left by an earlier test
	tb.Cleanup(func() { DeleteKey(sub) })
	for _, v := range values {
		Reg(tb, "add", `HKCU\`+sub, "/v", v[0], "/t", v[1], "/d", v[2], "/f")
	}
}

// DeleteKey deletes the key sub (below HKEY_CURRENT_USER) and everything below it, if
// it is there.
func DeleteKey(sub string) { _ = exec.Command("reg.exe", "delete", `HKCU\`+sub, "/f").Run() }

// Reg runs reg.exe. Its failure never shows the arguments' data: it may be a token.
func Reg(tb testing.TB, args ...string) { tb.Helper(); RegOutput(tb, args...) }

// RegOutput runs reg.exe and returns what it printed. Under Wine, starting a process now
// and then fails with "Internal error" while wineserver is busy (seen once in CI); a start
// that failed ran nothing, so it is tried again. A reg.exe that ran and failed is not.
func RegOutput(tb testing.TB, args ...string) string {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		out, err := exec.Command("reg.exe", args...).CombinedOutput()
		var exit *exec.ExitError
		if err == nil {
			return string(out)
		}
		if errors.As(err, &exit) || attempt == 5 {
			tb.Fatalf("reg %s: %v", args[0], err) // output and arguments may hold the token
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
}

// RegValue is one value as the registry holds it.
type RegValue struct {
	Type uint32
	Data string
}

// ReadPlexKey reads every value of PMS's key; see ReadKey.
func ReadPlexKey(tb testing.TB) map[string]RegValue { tb.Helper(); return ReadKey(tb, PlexKey) }

// ReadKey reads every value of the key sub (below HKEY_CURRENT_USER) through the
// registry API itself, not through plexform's registry store.
func ReadKey(tb testing.TB, sub string) map[string]RegValue {
	tb.Helper()
	k, err := registry.OpenKey(registry.CURRENT_USER, sub, registry.QUERY_VALUE)
	if err != nil {
		tb.Fatalf("open HKCU\\%s: %v", sub, err)
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		tb.Fatal(err)
	}
	values := map[string]RegValue{}
	for _, name := range names {
		buf := make([]byte, 64<<10)
		n, typ, err := k.GetValue(name, buf)
		if err != nil {
			tb.Fatalf("read value %q: %v", name, err)
		}
		values[name] = RegValue{typ, string(buf[:n])}
	}
	return values
}

// KeyDiff names the values that differ between two reads, never their data.
func KeyDiff(got, want map[string]RegValue) []string {
	var diff []string
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			diff = append(diff, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diff = append(diff, name)
		}
	}
	slices.Sort(diff)
	return diff
}

func copyExe(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}
