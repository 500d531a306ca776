package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/plexform/plexform/stores"
)

// Snap is the services of a snap, driven with the snap command. snap stop and start
// wait for their change to finish unless told --no-wait.
type Snap struct {
	Name string
	run  Runner
}

// NewSnap returns the service of the snap name (for example "plexmediaserver").
func NewSnap(name string, r Runner) *Snap { return &Snap{Name: name, run: r} }

func init() {
	Register(Manager{Name: "snap", Doc: "the snap's services", Fields: []string{"unit"}, Needs: []string{"unit"},
		Open: func(cfg Config) (stores.Service, error) {
			if err := need(cfg, "a snap name (unit)", cfg.Unit); err != nil {
				return nil, err
			}
			return NewSnap(cfg.Unit, cfg.Runner), nil
		}})
}

func (s *Snap) Describe() string { return "snap " + s.Name }

func (s *Snap) Stop(ctx context.Context) error {
	return runVerb(ctx, s.run, s, "snap", "stop", s.Name)
}

func (s *Snap) Start(ctx context.Context) error {
	return runVerb(ctx, s.run, s, "snap", "start", s.Name)
}

// Running reads snap services: running when every service of the snap is active,
// stopped when none is, changing state in between.
func (s *Snap) Running(ctx context.Context) (bool, error) {
	out, err := s.run.Run(ctx, []string{"snap", "services", s.Name})
	if err != nil {
		return false, wrap(s, "read the state of", err)
	}
	active, inactive, total, err := parseSnapServices(out, s.Name)
	if err != nil {
		return false, fmt.Errorf("read the state of %s: %w", s.Describe(), err)
	}
	switch total {
	case active:
		return true, nil
	case inactive:
		return false, nil
	}
	return false, &TransitionError{Service: s.Describe(), State: fmt.Sprintf("partly up (%d of %d services active)", active, total)}
}

// parseSnapServices reads the table of snap services:
//
//	Service                          Startup  Current   Notes
//	plexmediaserver.plexmediaserver  enabled  active    -
//
// and counts the services of snap name by their Current column. A service in any
// state but active or inactive counts toward neither, so the snap reads as changing.
func parseSnapServices(out []byte, name string) (active, inactive, total int, err error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	current := -1
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if current < 0 {
			for i, f := range fields {
				if f == "Current" && fields[0] == "Service" {
					current = i
				}
			}
			continue
		}
		if len(fields) <= current {
			return 0, 0, 0, fmt.Errorf("%w: snap services row %q has no Current column", stores.ErrMalformed, sc.Text())
		}
		if fields[0] != name && !strings.HasPrefix(fields[0], name+".") {
			continue
		}
		total++
		switch fields[current] {
		case "active":
			active++
		case "inactive":
			inactive++
		}
	}
	if current < 0 {
		return 0, 0, 0, fmt.Errorf("%w: snap services printed no table header", stores.ErrMalformed)
	}
	if total == 0 {
		return 0, 0, 0, fmt.Errorf("snap %s has no services; check the snap name", name)
	}
	return active, inactive, total, nil
}
