package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/plexform/plexform/stores"
)

// S6 is a service directory supervised by s6-supervise (the supervisor in Plex's
// Docker images). Stop and Start send s6-svc -d / -u without -wD / -wU, so they return
// at once and the caller polls Running with its own timeout and progress output.
type S6 struct {
	Dir string
	run Runner
	// fileAgrees is set once s6-svstat and the supervise/status file, read together,
	// told the same state: from then on Running reads the file alone (statusfile.go).
	fileAgrees bool
}

// NewS6 returns the service for the s6 service directory dir.
func NewS6(dir string, r Runner) *S6 { return &S6{Dir: dir, run: r} }

func init() {
	Register(Manager{Name: "s6", Doc: "an s6 service directory (Docker images)", Fields: []string{"dir"}, Needs: []string{"dir"}, UnderRoot: InTree,
		Open: func(cfg Config) (stores.Service, error) {
			if err := need(cfg, "a service directory (dir)", cfg.Dir); err != nil {
				return nil, err
			}
			return NewS6(cfg.Dir, cfg.Runner), nil
		}})
}

func (s *S6) Describe() string { return "s6 " + s.Dir }

// QueuesCommands marks s6 as acting on its commands after s6-svc returns: s6-supervise
// reads them from its control FIFO (supervise/control) in its own time, so one sent
// just before a kill may take effect after the state was read (see s6-svc(8) and
// s6-supervise(8) at skarnet.org).
func (s *S6) QueuesCommands() {}

func (s *S6) Stop(ctx context.Context) error {
	_, err := s.run.Run(ctx, []string{"s6-svc", "-d", s.Dir})
	return wrap(s, "stop", err)
}

func (s *S6) Start(ctx context.Context) error {
	_, err := s.run.Run(ctx, []string{"s6-svc", "-u", s.Dir})
	return wrap(s, "start", err)
}

// Running reads s6-svstat. "up" with no "want down" is running; "down" with no "want
// up" is stopped. "up ..., want down" is a process that got SIGTERM and has not exited
// (PMS is still saving), and "down ..., want up" is the supervisor about to (re)start
// it, so both are transitional. A process that keeps crashing flips between a moment
// of "up" and "down, want up"; only a check of the server itself (verify) tells that
// apart from a healthy start.
//
// Once s6-svstat and the status file s6-supervise writes have agreed (statusfile.go),
// Running reads that file itself: starting s6-svstat costs a process, about as long as
// the rest of the window in which Plex is down for the write.
func (s *S6) Running(ctx context.Context) (bool, error) {
	if s.fileAgrees {
		if st, ok := readS6StatusFile(s.Dir); ok {
			return s.decide(st)
		}
	}
	out, err := s.run.Run(ctx, []string{"s6-svstat", s.Dir})
	if err != nil {
		if strings.Contains(err.Error(), "supervise not running") {
			return false, fmt.Errorf("%w; no s6-supervise watches %s: is the container running, and is this its live service directory (under /run/service or /var/run/s6/services)?", wrap(s, "read the state of", err), s.Dir)
		}
		return false, wrap(s, "read the state of", err)
	}
	st, err := parseS6Status(string(out))
	if err != nil {
		return false, fmt.Errorf("read the state of %s: %w", s.Describe(), err)
	}
	if fst, ok := readS6StatusFile(s.Dir); ok && fst.sameState(st) {
		s.fileAgrees = true
	}
	return s.decide(st)
}

func (s *S6) decide(st s6Status) (bool, error) {
	switch {
	case st.up && !st.wantDown:
		return true, nil
	case !st.up && !st.wantUp:
		return false, nil
	}
	return false, &TransitionError{Service: s.Describe(), State: st.line}
}

type s6Status struct {
	up, wantUp, wantDown bool
	line                 string
}

func (a s6Status) sameState(b s6Status) bool {
	return a.up == b.up && a.wantUp == b.wantUp && a.wantDown == b.wantDown
}

// parseS6Status reads s6-svstat's human output, such as
//
//	up (pid 123) 5 seconds
//	up (pid 123 pgid 123) 5 seconds, normally down, want down
//	down (exitcode 0) 2 seconds, normally up, want up, ready 2 seconds
//
// Only the first word and the "want" flags decide anything; other flags, present or
// added by later s6 versions, are ignored.
func parseS6Status(out string) (s6Status, error) {
	line := strings.TrimSpace(firstLine([]byte(out)))
	st := s6Status{line: line}
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "up":
		st.up = true
	case "down":
	default:
		return s6Status{}, fmt.Errorf("%w: s6-svstat printed %q, which starts with neither up nor down", stores.ErrMalformed, line)
	}
	// The "(pid ...)" or "(exitcode ...)" part may not contain ", ", so after it the
	// flags are the comma-separated parts.
	flags := strings.Split(rest, ",")
	for _, f := range flags[1:] {
		switch strings.TrimSpace(f) {
		case "want up":
			st.wantUp = true
		case "want down":
			st.wantDown = true
		}
	}
	return st, nil
}
