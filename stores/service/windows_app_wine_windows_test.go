//go:build windows

package service

// The windows-app manager against real processes, Wine's taskkill and registry: the
// simulator installed as "Plex Media Server.exe" (internal/plexsim/plexsimtest) behaves
// as PMS does on Windows. They run from scripts/wine-test.sh only, and skip elsewhere.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
)

// wineWait bounds every wait, only so that a broken test ends; never a speed assertion.
const wineWait = time.Minute

// installedApp installs the simulator, seeds PMS's key with a token and InstallFolder
// (of type folderType) and returns the manager for it, killing what is left at the end.
func installedApp(t *testing.T, folderType, folder func(*plexsimtest.WindowsApp) string) (*WindowsApp, *plexsimtest.WindowsApp) {
	t.Helper()
	inst := plexsimtest.InstallWindowsApp(t)
	plexsimtest.SeedPlexKey(t,
		[3]string{"InstallFolder", folderType(inst), folder(inst)},
		[3]string{"ProcessedMachineIdentifier", "REG_SZ", "pmi-wine"},
		[3]string{"PlexOnlineToken", "REG_SZ", "tok-wine-secret"},
	)
	w := NewWindowsApp(nil)
	t.Cleanup(func() {
		ctx := context.Background()
		if up, _ := w.Running(ctx); up {
			_ = w.ForceStop(ctx)
			_ = WaitFor(ctx, w, false, wineWait, nil)
		}
	})
	return w, inst
}

func regSZ(*plexsimtest.WindowsApp) string           { return "REG_SZ" }
func installDir(inst *plexsimtest.WindowsApp) string { return inst.Install }

func startAndWait(t *testing.T, w *WindowsApp, inst *plexsimtest.WindowsApp) {
	t.Helper()
	os.Remove(inst.AddrFile)
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(context.Background(), w, true, wineWait, nil); err != nil {
		t.Fatal(err)
	}
	plexsimtest.WaitAddr(t, inst.AddrFile)
}

func stopAndWait(t *testing.T, w *WindowsApp, stop func(context.Context) error) {
	t.Helper()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(context.Background(), w, false, wineWait, nil); err != nil {
		t.Fatal(err)
	}
}

func hasToken(t *testing.T) bool {
	t.Helper()
	_, ok := plexsimtest.ReadPlexKey(t)["PlexOnlineToken"]
	return ok
}

// Stop lets the app save (a value deleted while it ran is back); ForceStop does not.
func TestWineWindowsAppStopLetsItSaveForceStopDoesNot(t *testing.T) {
	w, inst := installedApp(t, regSZ, installDir)
	startAndWait(t, w, inst)
	if id, err := plexsimtest.GetIdentity(inst.Listen); err != nil || id.Claimed != "1" || id.MachineIdentifier != "pmi-wine" {
		t.Fatalf("/identity of the app started from InstallFolder: %+v, %v", id, err)
	}

	plexsimtest.Reg(t, "delete", `HKCU\`+plexsimtest.PlexKey, "/v", "PlexOnlineToken", "/f")
	stopAndWait(t, w, w.Stop)
	if !hasToken(t) {
		t.Error("after taskkill without /f the token deleted while the app ran is still gone; the app did not get WM_CLOSE and save")
	}
	// A stop of an app that is not running is a stop done (taskkill fails, nothing runs).
	if err := w.Stop(context.Background()); err != nil {
		t.Errorf("stop of a stopped app: %v", err)
	}

	startAndWait(t, w, inst)
	plexsimtest.Reg(t, "delete", `HKCU\`+plexsimtest.PlexKey, "/v", "PlexOnlineToken", "/f")
	stopAndWait(t, w, w.ForceStop)
	if hasToken(t) {
		t.Error("after taskkill /f the app still wrote its settings back; the forced stop was not forced")
	}
}

// InstallFolder as REG_EXPAND_SZ names its folder once expanded.
func TestWineWindowsAppExpandsInstallFolder(t *testing.T) {
	tmp := os.Getenv("TEMP")
	if tmp == "" {
		t.Fatal("no TEMP in the environment")
	}
	w, inst := installedApp(t,
		func(*plexsimtest.WindowsApp) string { return "REG_EXPAND_SZ" },
		func(inst *plexsimtest.WindowsApp) string {
			rel, err := filepath.Rel(tmp, inst.Install)
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("the install %s is not below TEMP %s", inst.Install, tmp)
			}
			return `%TEMP%\` + rel
		})
	got, err := installFolder()
	if err != nil || got != inst.Install {
		t.Fatalf("installFolder() = %q, %v; want %q", got, err, inst.Install)
	}
	startAndWait(t, w, inst)
}

// A start with no exe in InstallFolder says which file is missing and starts nothing.
func TestWineWindowsAppStartWithoutExe(t *testing.T) {
	w, inst := installedApp(t, regSZ, func(inst *plexsimtest.WindowsApp) string { return inst.Dir })
	err := w.Start(context.Background())
	want := filepath.Join(inst.Dir, PlexImage)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("start without the exe: %v; want an error naming %s", err, want)
	}
	if up, err := w.Running(context.Background()); err != nil || up {
		t.Errorf("Running after the failed start: %v, %v", up, err)
	}
}
