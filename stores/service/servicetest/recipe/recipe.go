// Package recipe is the manager that "How to add a manager" (stores/service's package
// doc) adds, written by following those steps alone: host's
// TestAddingAManagerByTheRecipe links it in, runs servicetest on it and checks that a
// plan may name it. It lives in a package of its own only because a test cannot add a
// file to stores/service; a real manager is a file there. Nothing but that test imports
// it.
//
// It drives a directory holding a control script (ctl, or the one script: names), the
// way SysV init scripts are driven: `ctl start`, `ctl stop`, and `ctl status`, which
// exits 0 when the program runs and 3 when it does not (Linux Standard Base Core 5.0, "Init Script Actions",
// refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/iniscrptact.html).
package recipe

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// Name is what a plan's manager: calls it.
const Name = "recipe-ctl"

// notRunning is LSB's status exit code for "program is not running".
const notRunning = 3

// DefaultScript is the control script in dir when the plan names no script:.
const DefaultScript = "ctl"

// Step 1 of the recipe: the manager registers itself, once, with everything plexform
// needs to know about it. dir is a field every manager may read; script is its own, which
// the service kind decodes as a plain string and hands over in cfg.Own.
func init() {
	service.Register(service.Manager{Name: Name, Doc: "a directory whose ctl script starts, stops and reports the service (the recipe's example)",
		Fields: []string{"dir", "script"}, Needs: []string{"dir"}, UnderRoot: service.InTree,
		Open: func(cfg service.Config) (stores.Service, error) {
			if cfg.Dir == "" {
				return nil, fmt.Errorf("service manager %s needs a directory holding its control script (dir)", cfg.Manager)
			}
			script := cfg.Own["script"]
			switch {
			case script == "":
				script = DefaultScript
			case script != filepath.Base(script) || script == "." || script == "..":
				return nil, fmt.Errorf("service manager %s: script %q must name a file in dir, not a path", cfg.Manager, script)
			}
			return &Ctl{Dir: cfg.Dir, Script: script, run: cfg.Runner}, nil
		}})
}

// Ctl is a service driven by the control script Dir/Script.
type Ctl struct {
	Dir, Script string
	run         service.Runner
}

func (c *Ctl) Describe() string { return Name + " " + filepath.Join(c.Dir, c.Script) }

func (c *Ctl) ctl(ctx context.Context, verb string) error {
	_, err := c.run.Run(ctx, []string{filepath.Join(c.Dir, c.Script), verb})
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, c.Describe(), err)
	}
	return nil
}

// Stop and Start return once the script has; the caller polls Running.
func (c *Ctl) Stop(ctx context.Context) error  { return c.ctl(ctx, "stop") }
func (c *Ctl) Start(ctx context.Context) error { return c.ctl(ctx, "start") }

// Running is true for exit 0 and false for exit 3; anything else (the script missing,
// LSB's 1 "dead and pid file exists", 4 "unknown") is an error, never "stopped".
func (c *Ctl) Running(ctx context.Context) (bool, error) {
	err := c.ctl(ctx, "status")
	var ce *service.CommandError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ce) && ce.ExitCode == notRunning:
		return false, nil
	}
	return false, err
}
