package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	// Own holds the fields of its own a manager reads (those of its Fields that are not
	// SharedFields), by name as the plan spells them, each a plain string; a field the
	// plan leaves out is absent.
	Own map[string]string
	// Getenv is the environment plexform runs with, as the plan's host sees it (the
	// docker manager's DOCKER_HOST); nil means this process's.
	Getenv func(string) (string, bool)
	// Runner runs the manager's commands; nil means the real ones (OSRunner).
	Runner Runner
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
