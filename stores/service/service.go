// Package service drives the programs that keep Plex Media Server running, behind the
// stores.Service interface: systemd, snap, s6 and plain commands (exec). Stop and Start
// only ask the manager; WaitFor polls Running until the state is reached.
//
// Running answers true only when the service is really up and false only when it is
// really down. Between the two (systemd "activating"/"deactivating", s6 "up, want
// down", a snap with some services up) it returns a *TransitionError, which matches
// ErrTransitioning: the caller keeps polling, and a timeout reports the state it was
// stuck in. PMS may still rewrite its settings while it is going down, so "stopping"
// must never read as stopped.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// Config says which manager runs the service and how to address it; each manager uses
// only its own fields.
type Config struct {
	Manager string
	// Unit is the systemd unit or the snap name.
	Unit string
	// Dir is the s6 service directory, already resolved against -root.
	Dir string
	// Start, Stop and Status are argv lists for the exec manager; Status exits 0 when
	// the service runs and non-zero when it does not.
	Start, Stop, Status []string
	// App is the macOS application name for the app manager ("Plex Media Server").
	App string
	// Container is the docker manager's container (name or id); DockerHost the engine's
	// address as DOCKER_HOST spells it ("" = that variable, else the default socket);
	// Timeout the grace period the engine gives the container before it kills it.
	Container, DockerHost string
	Timeout               time.Duration
	// Runner runs the manager's commands; nil means the real ones (OSRunner).
	Runner Runner
}

// Managers lists the manager names New accepts, for plan validation and error messages.
func Managers() []string {
	return []string{"systemd", "snap", "s6", "exec", "launchd", "app", "windows-app", "windows-service", "docker"}
}

// New returns the service that cfg describes.
func New(cfg Config) (stores.Service, error) {
	r := cfg.Runner
	if r == nil {
		r = OSRunner{}
	}
	need := func(field, value string) error {
		if value == "" {
			return fmt.Errorf("service manager %s needs %s", cfg.Manager, field)
		}
		return nil
	}
	switch cfg.Manager {
	case "systemd":
		if err := need("a unit", cfg.Unit); err != nil {
			return nil, err
		}
		return NewSystemd(cfg.Unit, r), nil
	case "snap":
		if err := need("a snap name (unit)", cfg.Unit); err != nil {
			return nil, err
		}
		return NewSnap(cfg.Unit, r), nil
	case "s6":
		if err := need("a service directory (dir)", cfg.Dir); err != nil {
			return nil, err
		}
		return NewS6(cfg.Dir, r), nil
	case "exec":
		return NewExec(cfg.Start, cfg.Stop, cfg.Status, r)
	case "launchd":
		if err := need("a job label (unit)", cfg.Unit); err != nil {
			return nil, err
		}
		domain, plist := launchdDefaults(cfg.Unit)
		return NewLaunchd(cfg.Unit, domain, plist, r), nil
	case "app":
		app := cfg.App
		if app == "" {
			app = "Plex Media Server"
		}
		return NewMacApp(app, r), nil
	case "windows-app":
		return NewWindowsApp(r), nil
	case "windows-service":
		if err := need("a service name (unit)", cfg.Unit); err != nil {
			return nil, err
		}
		return NewWindowsService(cfg.Unit), nil
	case "docker":
		if err := need("a container (container)", cfg.Container); err != nil {
			return nil, err
		}
		host := cfg.DockerHost
		if host == "" {
			host = DockerHost(os.LookupEnv)
		}
		return NewDocker(cfg.Container, host, cfg.Timeout)
	default:
		return nil, fmt.Errorf("unknown service manager %q; use one of: %s", cfg.Manager, strings.Join(Managers(), ", "))
	}
}

// ErrTransitioning marks a Running answer taken while the service was neither up nor
// down. Test it with errors.Is; errors.As with *TransitionError gives the state.
var ErrTransitioning = errors.New("service is changing state")

// TransitionError is Running's answer for a service between running and stopped.
type TransitionError struct {
	Service string // as Describe spells it
	State   string // as the manager spells it: "activating", "up (pid 12) 3 seconds, want down"
}

func (e *TransitionError) Error() string { return fmt.Sprintf("%s is %s", e.Service, e.State) }

// Is makes errors.Is(err, ErrTransitioning) true.
func (e *TransitionError) Is(target error) bool { return target == ErrTransitioning }

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

// wrap names the service and what was being done to it.
// runVerb runs `tool verb name`, the shape of systemctl's and snap's stop and start,
// whose tools wait for their own jobs.
func runVerb(ctx context.Context, r Runner, s stores.Service, tool, verb, name string) error {
	_, err := r.Run(ctx, []string{tool, verb, name})
	return wrap(s, verb, err)
}

func wrap(s stores.Service, doing string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", doing, s.Describe(), err)
}

// launchdDefaults picks where a launchd job lives: root manages a system daemon, a user
// their own login session's agent, each from the usual plist folder.
func launchdDefaults(label string) (domainTarget, plistPath string) {
	if os.Geteuid() == 0 {
		return "system", filepath.Join("/Library/LaunchDaemons", label+".plist")
	}
	home, _ := os.UserHomeDir()
	return "gui/" + strconv.Itoa(os.Geteuid()), filepath.Join(home, "Library", "LaunchAgents", label+".plist")
}
