package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/plexform/plexform/stores"
)

// Launchd is a LaunchAgent or LaunchDaemon, for a PMS run by launchd rather than as an
// app. It is driven with launchctl's domain-target verbs (macOS 10.10 and later):
//
//   - Stop is `bootout`: it unloads the job, so launchd sends SIGTERM (then SIGKILL after
//     the job's ExitTimeOut) and, unlike `kill` or `kickstart -k`, does not restart a
//     KeepAlive job behind our back while its settings change.
//   - Start is `bootstrap DOMAIN PLIST` when the job is not loaded (it is not, after Stop),
//     then `kickstart`, which starts a loaded job that is not running and leaves a
//     running one alone: bootstrap alone starts only RunAtLoad jobs.
//
// Running reads `launchctl print`, which also tells a job that is loaded but not
// running from one that launchd does not know.
type Launchd struct {
	Label string
	// DomainTarget is "gui/UID" for an agent in a user's login session, "user/UID" for a
	// user's background agent, or "system" for a daemon (root only).
	DomainTarget string
	// PlistPath is the job's plist, which bootstrap needs to load it again.
	PlistPath string
	run       Runner
}

// NewLaunchd returns the service for the job label in domainTarget, loaded from plistPath.
func NewLaunchd(label, domainTarget, plistPath string, r Runner) *Launchd {
	return &Launchd{Label: label, DomainTarget: domainTarget, PlistPath: plistPath, run: r}
}

func init() {
	Register(Manager{Name: "launchd", Doc: "a launchd job", Fields: []string{"unit"}, Needs: []string{"unit"},
		Open: func(cfg Config) (stores.Service, error) {
			if err := need(cfg, "a job label (unit)", cfg.Unit); err != nil {
				return nil, err
			}
			domain, plist := launchdDefaults(cfg.Unit)
			return NewLaunchd(cfg.Unit, domain, plist, cfg.Runner), nil
		}})
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

func (l *Launchd) serviceTarget() string { return l.DomainTarget + "/" + l.Label }

func (l *Launchd) Describe() string { return "launchd " + l.serviceTarget() }

// launchctlNoSuchService is launchctl's exit status for a service it does not know
// (113, "Could not find service ... in domain for ...").
const launchctlNoSuchService = 113

// state returns the job's top-level "state = ..." line; loaded is false when launchd
// does not know the job.
func (l *Launchd) state(ctx context.Context) (state string, pid int, loaded bool, err error) {
	out, err := l.run.Run(ctx, []string{"launchctl", "print", l.serviceTarget()})
	if code, exited := exitedWith(err); exited && code == launchctlNoSuchService {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	state, pid, err = parseLaunchctlPrint(out)
	return state, pid, true, err
}

// Running is true for state "running" with a pid, false for a job that is not loaded
// or "not running"; anything else ("spawn scheduled", "exited" with a pending restart)
// is a transition.
func (l *Launchd) Running(ctx context.Context) (bool, error) {
	state, pid, loaded, err := l.state(ctx)
	if err != nil {
		return false, wrap(l, "read the state of", err)
	}
	switch {
	case !loaded || state == "not running":
		return false, nil
	case state == "running" && pid > 0:
		return true, nil
	}
	return false, &TransitionError{Service: l.Describe(), State: state}
}

// launchctlInProgress is bootout's exit status when the job has been told to stop but
// has not exited yet ("Boot-out failed: 36: Operation now in progress", EINPROGRESS):
// launchd goes on to stop it, SIGKILL after its ExitTimeOut included, and keeps it in
// the domain until it has exited (osquery/osquery#5698; pingdotgg/t3code#7874).
const launchctlInProgress = 36

// Stop unloads the job (see Launchd). A job that is not loaded is already stopped, and
// one still exiting when launchctl gives up waiting is stopping: Running reads it as
// running until launchd has let it go, so the caller's wait covers PMS saving its
// settings, however long that takes.
func (l *Launchd) Stop(ctx context.Context) error {
	_, err := l.run.Run(ctx, []string{"launchctl", "bootout", l.serviceTarget()})
	if code, exited := exitedWith(err); exited && (code == launchctlNoSuchService || code == launchctlInProgress) {
		return nil
	}
	return wrap(l, "stop (bootout)", err)
}

// Start loads the job if needed, then starts it.
func (l *Launchd) Start(ctx context.Context) error {
	_, _, loaded, err := l.state(ctx)
	if err != nil {
		return wrap(l, "read the state of", err)
	}
	if !loaded {
		if l.PlistPath == "" {
			return fmt.Errorf("start %s: launchd does not have the job loaded and the plan gives no plist "+
				"to load it from; add the LaunchAgent or LaunchDaemon plist path to the service", l.Describe())
		}
		if _, err := l.run.Run(ctx, []string{"launchctl", "bootstrap", l.DomainTarget, l.PlistPath}); err != nil {
			return wrap(l, "load (bootstrap)", err)
		}
	}
	_, err = l.run.Run(ctx, []string{"launchctl", "kickstart", l.serviceTarget()})
	return wrap(l, "start (kickstart)", err)
}

// parseLaunchctlPrint reads the job's own "state" and "pid" lines: those indented by
// exactly one tab, since nested blocks (endpoints, sockets) have states of their own.
func parseLaunchctlPrint(out []byte) (state string, pid int, err error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		switch key {
		case "state":
			state = value
		case "pid":
			if pid, err = strconv.Atoi(value); err != nil {
				return "", 0, fmt.Errorf("launchctl print: pid %q is not a number", value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", 0, err
	}
	if state == "" {
		return "", 0, errors.New("launchctl print shows no state for the job; its output format may have changed")
	}
	return state, pid, nil
}
