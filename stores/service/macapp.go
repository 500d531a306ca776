package service

import (
	"context"
	"regexp"
	"strings"

	"github.com/plexform/plexform/stores"
)

// MacApp is a macOS application such as /Applications/Plex Media Server.app, which is
// how Plex runs on a Mac: a per-user app, not a launchd job. It is asked to quit through
// AppleScript, as a user quitting it from the menu would, so it saves its settings.
type MacApp struct {
	App string
	run Runner
}

// NewMacApp returns the service for the app called appName ("Plex Media Server").
func NewMacApp(appName string, r Runner) *MacApp { return &MacApp{App: appName, run: r} }

func init() {
	Register(Manager{Name: "app", Doc: "the macOS app (app: defaults to Plex Media Server)", Fields: []string{"app"},
		Open: func(cfg Config) (stores.Service, error) {
			app := cfg.App
			if app == "" {
				app = "Plex Media Server"
			}
			return NewMacApp(app, cfg.Runner), nil
		}})
}

func (a *MacApp) Describe() string { return "macOS app " + a.App }

// processPattern matches the app's main executable in pgrep -f's view of a command
// line. The process name (pgrep -x) will not do: macOS keeps only the first 16
// characters of it, and "Plex Media Server" has 17. The bundle path also keeps apart the
// helpers the app spawns ("Plex Media Scanner", "Plex Transcoder").
func (a *MacApp) processPattern() string {
	name := regexp.QuoteMeta(a.App)
	return name + `\.app/Contents/MacOS/` + name + `( |$)`
}

// Running asks pgrep whether the app's executable runs: exit 0 when it does, 1 when not.
func (a *MacApp) Running(ctx context.Context) (bool, error) {
	_, err := a.run.Run(ctx, []string{"pgrep", "-f", a.processPattern()})
	if err == nil {
		return true, nil
	}
	if code, exited := exitedWith(err); exited && code == 1 {
		return false, nil
	}
	return false, wrap(a, "read the state of", err)
}

// Stop asks the app to quit. It only asks a running app: telling an app that is not
// running to quit may launch it first.
func (a *MacApp) Stop(ctx context.Context) error {
	running, err := a.Running(ctx)
	if err != nil || !running {
		return err
	}
	_, err = a.run.Run(ctx, []string{"osascript", "-e", `tell application "` + appleScriptEscape(a.App) + `" to quit`})
	return wrap(a, "quit", err)
}

// ForceStop sends SIGTERM to the app's process, for the executor to call when Stop's
// polite quit has not ended it within the timeout (an app stuck on a dialog). PMS still
// writes its settings on SIGTERM; SIGKILL is not used because it could leave PMS's
// database half-written. A process that is already gone is not an error.
func (a *MacApp) ForceStop(ctx context.Context) error {
	_, err := a.run.Run(ctx, []string{"pkill", "-TERM", "-f", a.processPattern()})
	if code, exited := exitedWith(err); exited && code == 1 {
		return nil
	}
	return wrap(a, "terminate", err)
}

// Start launches the app through Launch Services, as a double-click would.
func (a *MacApp) Start(ctx context.Context) error {
	_, err := a.run.Run(ctx, []string{"open", "-a", a.App})
	return wrap(a, "open", err)
}

var appleScriptEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// appleScriptEscape makes s safe inside an AppleScript string literal.
func appleScriptEscape(s string) string { return appleScriptEscaper.Replace(s) }
