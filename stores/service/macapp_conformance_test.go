//go:build unix

package service_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceMacApp runs the suite on the app manager. Its Running and ForceStop use
// pgrep and pkill, which Linux has too (procps): they run for real, against the suite's
// program started from an app bundle's path ("NAME.app/Contents/MacOS/NAME"). open and
// osascript exist only on macOS; macAppStandIn plays them.
func TestConformanceMacApp(t *testing.T) {
	testtool.Require(t, "pgrep", "procps")
	// A process that exits at once is found by pgrep for the moment it exists.
	servicetest.Run(t, servicetest.Harness{UpWhileProcessExists: true, New: func(t *testing.T, p servicetest.Program) stores.Service {
		var rnd [4]byte
		_, _ = rand.Read(rnd[:])
		app := "Servicetest App " + hex.EncodeToString(rnd[:])
		exe := filepath.Join(p.Dir, app+".app", "Contents", "MacOS", app)
		script, err := os.ReadFile(p.Argv[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(exe, script, 0o755); err != nil {
			t.Fatal(err)
		}
		svc, err := service.New(service.Config{Manager: "app", App: app, Runner: macAppStandIn{exe: exe, dir: p.Argv[2]}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}})
}

// macAppStandIn runs pgrep and pkill for real and plays macOS's open and osascript for
// the one app exe is, as they behave there:
//
//   - `open -a APP` asks Launch Services to launch the app and returns without waiting
//     for it ("-W  Wait until the applications exit", open(1) on macOS: without -W open
//     does not wait); the stand-in starts the app in the background.
//   - `osascript -e 'tell application "APP" to quit'` sends the app the quit Apple event
//     and returns once it has been delivered; the app then saves and quits in its own
//     time, or not at all when it is stuck (AppleScript Language Guide, "quit":
//     developer.apple.com/library/archive/documentation/AppleScript/Conceptual/AppleScriptLangGuide/reference/ASLR_cmds.html).
//     PMS saves its settings on quit as on SIGTERM, which the stand-in sends.
type macAppStandIn struct{ exe, dir string }

func (s macAppStandIn) Run(ctx context.Context, argv []string) ([]byte, error) {
	switch argv[0] {
	case "open":
		argv = []string{"sh", "-c", `"$0" "$1" </dev/null >/dev/null 2>&1 &`, s.exe, s.dir}
	case "osascript":
		argv = []string{"pkill", "-TERM", "-f", s.exe}
	}
	return service.OSRunner{}.Run(ctx, argv)
}
