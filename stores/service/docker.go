package service

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// Docker is a container run by the Docker engine (or Podman through its compatible
// socket): the way most NAS boxes and many Linux hosts run Plex. Stop asks the engine
// to stop it with the service's timeout as the grace period before it kills; Start
// starts it again; Running reads the container's state.
type Docker struct {
	Container string
	// Grace is how long the engine lets Plex save its settings before it kills it.
	Grace  time.Duration
	engine *Engine
}

// NewDocker returns the service for container (a name or id) on the engine at host
// ("" = DOCKER_HOST's default socket).
func NewDocker(container, host string, grace time.Duration) (*Docker, error) {
	if err := CheckContainerName(container); err != nil {
		return nil, err
	}
	e, err := NewEngine(host)
	if err != nil {
		return nil, err
	}
	return &Docker{Container: strings.TrimPrefix(container, "/"), Grace: grace, engine: e}, nil
}

func init() {
	Register(Manager{Name: "docker", Doc: "a Docker container, by name or id, on this machine's engine",
		Fields: []string{"container"}, Needs: []string{"container"}, UnderRoot: NamedInPlan,
		Open: func(cfg Config) (stores.Service, error) {
			if err := need(cfg, "a container (container)", cfg.Container); err != nil {
				return nil, err
			}
			host := cfg.DockerHost
			if host == "" {
				getenv := cfg.Getenv
				if getenv == nil {
					getenv = os.LookupEnv
				}
				host = DockerHost(getenv)
			}
			return NewDocker(cfg.Container, host, cfg.Timeout)
		}})
}

func (d *Docker) Describe() string { return "docker container " + d.Container }

func (d *Docker) Stop(ctx context.Context) error {
	return wrap(d, "stop", d.engine.Stop(ctx, d.Container, d.Grace))
}

func (d *Docker) Start(ctx context.Context) error {
	return wrap(d, "start", d.engine.Start(ctx, d.Container))
}

// Running reads the container's state. A paused container still holds Plex in memory
// and counts as running; "restarting" (a restart policy at work) and "removing" are
// between states. Podman's compatible API also says "stopped": the process has exited
// and the container is not cleaned up yet ("ContainerStateStopped indicates that the
// container was running but has exited", containers/podman libpod/define/containerstate.go).
func (d *Docker) Running(ctx context.Context) (bool, error) {
	info, err := d.engine.Inspect(ctx, d.Container)
	if err != nil {
		return false, wrap(d, "read the state of", err)
	}
	return stateRunning(d.Describe(), info.State)
}

func stateRunning(describe string, st ContainerState) (bool, error) {
	switch {
	case st.Restarting || st.Status == "restarting" || st.Status == "removing":
		return false, &TransitionError{Service: describe, State: st.Status}
	case st.Running:
		return true, nil
	case st.Status == "created" || st.Status == "exited" || st.Status == "stopped" || st.Status == "dead" || st.Status == "":
		return false, nil
	}
	return false, fmt.Errorf("read the state of %s: the engine reports the state %q, which plexform does not know", describe, st.Status)
}

// Check reads the container once, so a container that does not exist, or an engine
// that cannot be reached, is an error when the plan is bound to the host, not after
// a stop.
func (d *Docker) Check(ctx context.Context) error {
	_, err := d.engine.Inspect(ctx, d.Container)
	return err
}
