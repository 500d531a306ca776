//go:build windows

package plexsim

// The simulator as PMS on Windows, against a live registry (Wine's in scripts/wine-test.sh).
// Its settings live in a test key of their own here, never in PMS's.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
)

const testKey = `Software\plexform-test\plexsim`

// seedTestKey writes a value of each type PMS's key may hold, through reg.exe.
func seedTestKey(t *testing.T) map[string]plexsimtest.RegValue {
	t.Helper()
	plexsimtest.SeedKey(t, testKey,
		[3]string{"ProcessedMachineIdentifier", "REG_SZ", "pmi-win"},
		[3]string{"PlexOnlineToken", "REG_SZ", "tok-win-secret"},
		[3]string{"PlexOnlineHome", "REG_DWORD", "1"},
		[3]string{"LocalAppDataPath", "REG_EXPAND_SZ", `%LOCALAPPDATA%\x`},
		[3]string{"Lines", "REG_MULTI_SZ", `one\0two`},
		[3]string{"Blob", "REG_BINARY", "00ff10"},
	)
	return plexsimtest.ReadKey(t, testKey)
}

func logFile(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "plexsim-log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // best effort under Wine 8, see stores/registry
	return filepath.Join(dir, "Plex Media Server.log")
}

// What PMS read at start is what it writes back on its way down, each value with its
// type: a value deleted while it ran is back, and nothing else changes.
func TestWineRegistrySettingsWrittenBackOnStop(t *testing.T) {
	before := seedTestKey(t)
	s, err := Start(Options{RegistryKey: `HKCU\` + testKey, Listen: "127.0.0.1:0", LogPath: logFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	id, err := plexsimtest.GetIdentity(s.Addr())
	if err != nil || id.Claimed != "1" || id.MachineIdentifier != "pmi-win" {
		t.Errorf("/identity: %+v, %v", id, err)
	}
	plexsimtest.Reg(t, "delete", `HKCU\`+testKey, "/v", "PlexOnlineToken", "/f")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := plexsimtest.KeyDiff(plexsimtest.ReadKey(t, testKey), before); len(d) != 0 {
		t.Errorf("after the stop the key differs from before in %v", d)
	}
}

func TestWineRefuseIfValue(t *testing.T) {
	seedTestKey(t)
	_, err := Start(Options{RegistryKey: `HKCU\` + testKey, Listen: "127.0.0.1:0", LogPath: logFile(t), RefuseIfAttr: "Lines"})
	if err == nil || !strings.Contains(err.Error(), "has the value Lines") {
		t.Errorf("Start: %v; want a refusal naming the value", err)
	}
}

// WM_CLOSE to the hidden window ends Main as a clean stop, settings saved.
func TestWineWindowCloseStopsMain(t *testing.T) {
	before := seedTestKey(t)
	addrFile := filepath.Join(filepath.Dir(logFile(t)), "addr")
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- Main([]string{"-registry", `HKCU\` + testKey, "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-log", logFile(t)}, &stderr, &stderr)
	}()
	plexsimtest.WaitAddr(t, addrFile)
	plexsimtest.Reg(t, "delete", `HKCU\`+testKey, "/v", "PlexOnlineToken", "/f")

	class, _ := windows.UTF16PtrFromString("PlexformPlexsim")
	hwnd, _, err := procFindWindowW.Call(uintptr(unsafe.Pointer(class)), 0)
	if hwnd == 0 {
		t.Fatalf("no top-level window of class PlexformPlexsim: %v", err)
	}
	procPostMessageW.Call(hwnd, wmClose, 0, 0)
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("Main exited %d after WM_CLOSE: %s", c, stderr.String())
		}
	case <-time.After(time.Minute): // only so that a broken test ends
		t.Fatal("Main did not return after WM_CLOSE")
	}
	if d := plexsimtest.KeyDiff(plexsimtest.ReadKey(t, testKey), before); len(d) != 0 {
		t.Errorf("after WM_CLOSE the key differs from before in %v; want the settings saved", d)
	}
}

var procFindWindowW = user32.NewProc("FindWindowW")
