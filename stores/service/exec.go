package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/plexform/plexform/stores"
)

// Exec is a service driven by commands of the user's choosing, for managers plexform
// does not know (synopkg, FreeBSD service, a script). Status exits 0 when the service
// runs and non-zero when it does not; a status command that cannot run at all (not
// found, killed) is an error, never "stopped".
type Exec struct {
	StartArgv, StopArgv, StatusArgv []string
	run                             Runner
}

// NewExec returns the service that start, stop and status drive; none may be empty.
func NewExec(start, stop, status []string, r Runner) (*Exec, error) {
	var missing []error
	for _, c := range []struct {
		name string
		argv []string
	}{{"start", start}, {"stop", stop}, {"status", status}} {
		if len(c.argv) == 0 || c.argv[0] == "" {
			missing = append(missing, fmt.Errorf("service manager exec needs a %s command (an argv list)", c.name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	return &Exec{StartArgv: start, StopArgv: stop, StatusArgv: status, run: r}, nil
}

func init() {
	Register(Manager{Name: "exec", Doc: "your own start, stop and status commands",
		Fields: []string{"start", "stop", "status"}, Needs: []string{"start", "stop", "status"}, UnderRoot: NamedInPlan,
		Open: func(cfg Config) (stores.Service, error) { return NewExec(cfg.Start, cfg.Stop, cfg.Status, cfg.Runner) }})
}

// Describe names the status command, cut short: it is repeated in every progress line.
func (e *Exec) Describe() string {
	status := quoteArgv(e.StatusArgv)
	if len(status) > 40 {
		status = "…" + status[len(status)-39:]
	}
	return "exec (status: " + status + ")"
}

func (e *Exec) Stop(ctx context.Context) error {
	_, err := e.run.Run(ctx, e.StopArgv)
	return wrap(e, "stop", err)
}

func (e *Exec) Start(ctx context.Context) error {
	_, err := e.run.Run(ctx, e.StartArgv)
	return wrap(e, "start", err)
}

func (e *Exec) Running(ctx context.Context) (bool, error) {
	_, err := e.run.Run(ctx, e.StatusArgv)
	if err == nil {
		return true, nil
	}
	if _, exited := exitedWith(err); exited {
		return false, nil
	}
	return false, wrap(e, "read the state of", err)
}
