package service

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/plexform/plexform/stores"
)

// PlexImage is the process name of Plex Media Server on Windows.
const PlexImage = "Plex Media Server.exe"

// plexSettingsKey is where Plex's installer records InstallFolder (below HKCU).
const plexSettingsKey = `Software\Plex, Inc.\Plex Media Server`

// WindowsApp is Plex Media Server as the per-user tray app it normally is on Windows.
// Stop asks it to quit (taskkill without /f, which closes its window so it saves its
// settings); ForceStop kills it, for the executor to call once the stop timed out.
// Start runs the exe from the InstallFolder registry value as the calling user.
type WindowsApp struct {
	// Image is the process name to look for and stop.
	Image string
	run   Runner
	// Hooks to the OS, replaced in tests.
	running func(image string) (bool, error)
	launch  func(exe string) error
	folder  func() (string, error)
}

// NewWindowsApp returns the manager for the Plex tray app; r runs taskkill (nil: the
// real one).
func NewWindowsApp(r Runner) *WindowsApp {
	if r == nil {
		r = OSRunner{}
	}
	return &WindowsApp{Image: PlexImage, run: r, running: processRunning, launch: launchUnelevated, folder: installFolder}
}

func init() {
	Register(Manager{Name: "windows-app", Doc: "the Windows tray app",
		Open: func(cfg Config) (stores.Service, error) { return NewWindowsApp(cfg.Runner), nil }})
}

func (w *WindowsApp) Describe() string { return "windows-app " + w.Image }

func (w *WindowsApp) Running(context.Context) (bool, error) {
	up, err := w.running(w.Image)
	return up, wrap(w, "read the state of", err)
}

func (w *WindowsApp) Stop(ctx context.Context) error { return w.kill(ctx, false) }

// ForceStop ends the process without letting it save; only for after Stop timed out.
func (w *WindowsApp) ForceStop(ctx context.Context) error { return w.kill(ctx, true) }

func (w *WindowsApp) kill(ctx context.Context, force bool) error {
	argv := []string{"taskkill", "/im", w.Image}
	if force {
		argv = append(argv, "/f")
	}
	_, err := w.run.Run(ctx, argv)
	if err == nil {
		return nil
	}
	// taskkill also fails when the process is already gone; that is a stop done.
	up, rerr := w.running(w.Image)
	if rerr == nil && !up {
		return nil
	}
	if !force && rerr == nil {
		// Without /f, taskkill asks the app's windows to close; it fails when it sees none,
		// which is what it sees from another session than the one Plex runs in.
		err = fmt.Errorf("%w; taskkill could not ask Plex to quit: run plexform in the session of the user signed in to Windows (not over SSH or WinRM), or quit Plex from its tray icon first", err)
	}
	return wrap(w, "stop", err)
}

func (w *WindowsApp) Start(context.Context) error {
	dir, err := w.folder()
	if err != nil {
		return wrap(w, "start", fmt.Errorf("find the install folder (value InstallFolder under HKCU\\%s): %w", plexSettingsKey, err))
	}
	// A relative folder would start whatever exe of that name sits below plexform's
	// working directory, as plexform's user, who may be an administrator.
	if !fullWindowsPath(dir) {
		return wrap(w, "start", fmt.Errorf("the install folder %q (value InstallFolder under HKCU\\%s) is not a full path like C:\\Program Files\\Plex\\Plex Media Server; repair the Plex install", dir, plexSettingsKey))
	}
	return wrap(w, "start", w.launch(filepath.Join(dir, w.Image)))
}

// fullWindowsPath reports whether p is a drive path (C:\...) or a UNC path (\\server\share...).
// It is spelled out rather than filepath.IsAbs so that it means the same on every OS the
// tests run on.
func fullWindowsPath(p string) bool {
	sep := func(c byte) bool { return c == '\\' || c == '/' }
	switch {
	case len(p) >= 3 && p[1] == ':' && sep(p[2]):
		c := p[0] | 0x20 // lower case
		return c >= 'a' && c <= 'z'
	case len(p) >= 3 && sep(p[0]) && sep(p[1]) && !sep(p[2]):
		return true
	}
	return false
}
