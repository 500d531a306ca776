//go:build windows

package service

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/plexform/plexform/internal/childenv"
)

// processRunning walks a toolhelp snapshot: unlike tasklist's output it does not depend
// on the display language, and Wine implements it.
func processRunning(image string) (bool, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return false, err
	}
	defer windows.CloseHandle(snap)
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if strings.EqualFold(windows.UTF16ToString(e.ExeFile[:]), image) {
			return true, nil
		}
	}
	if errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return false, nil
	}
	return false, err
}

// launchUnelevated starts exe detached from plexform. When plexform itself runs elevated
// ("Run as administrator"), a direct start would give Plex an administrator token, so
// the start goes through explorer.exe, which runs it as the signed-in user.
func launchUnelevated(exe string) error {
	if _, err := os.Stat(exe); err != nil {
		return err
	}
	// Plex is down until this start works: a start that failed for a passing reason is
	// tried again, with a fresh Cmd, before the apply gives up and rolls back.
	var cmd *exec.Cmd
	err := retryStart(func() error {
		cmd = exec.Command(exe)
		if windows.GetCurrentProcessToken().IsElevated() {
			cmd = exec.Command("explorer.exe", exe)
		}
		childenv.Apply(cmd) // Plex itself must not inherit a plan's {env:} secrets
		cmd.SysProcAttr = &syscall.SysProcAttr{
			CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS,
		}
		return cmd.Start()
	}, startFailedTransiently)
	if err != nil {
		return err
	}
	return cmd.Process.Release()
}

func installFolder() (string, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, plexSettingsKey, registry.QUERY_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	dir, typ, err := k.GetStringValue("InstallFolder")
	if err != nil || typ != registry.EXPAND_SZ {
		return dir, err
	}
	// As REG_EXPAND_SZ the value may be "%ProgramFiles%\Plex\Plex Media Server", which
	// names no folder until expanded.
	return registry.ExpandString(dir)
}
