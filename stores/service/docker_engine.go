package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plexform/plexform/internal/lazyre"
)

// DefaultDockerHost is where the Docker engine listens unless DOCKER_HOST says otherwise.
const DefaultDockerHost = "unix:///var/run/docker.sock"

// Bounds on every talk with the engine: a request that is not a stop must be answered
// within engineTimeout; a stop gets the grace period on top, since the engine answers
// only once the container is down. Answers are read up to a size, as anything else.
const (
	engineTimeout  = 30 * time.Second
	maxInspectBody = 4 << 20
	maxListBody    = 32 << 20
	maxErrorBody   = 64 << 10
)

// ErrNoContainer marks a container the engine does not know.
var ErrNoContainer = errors.New("no such container")

// ErrEngine marks an engine that could not be reached or used (no socket, no permission,
// an unsupported DOCKER_HOST).
var ErrEngine = errors.New("the Docker engine cannot be used")

// DockerHost is the engine address plexform uses: DOCKER_HOST from getenv when set,
// else the default socket.
func DockerHost(getenv func(string) (string, bool)) string {
	if getenv != nil {
		if v, ok := getenv("DOCKER_HOST"); ok && v != "" {
			return v
		}
	}
	return DefaultDockerHost
}

// Engine talks to a Docker Engine API (or Podman's compatible one) with plain HTTP over
// its socket. Paths carry no API version: each engine then speaks its own current one,
// and the few calls made here have not changed shape since API 1.24.
type Engine struct {
	// Host is the address as DOCKER_HOST spells it, for messages.
	Host   string
	base   string
	socket string // the unix socket's path, "" for tcp
	client *http.Client
}

// NewEngine returns a client for host (unix:///path or tcp://host:port; "" is the
// default socket). It connects to nothing yet.
func NewEngine(host string) (*Engine, error) {
	if host == "" {
		host = DefaultDockerHost
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("%w: DOCKER_HOST %q is not an address: %v", ErrEngine, host, err)
	}
	e := &Engine{Host: host}
	tr := &http.Transport{MaxIdleConns: 2, IdleConnTimeout: 30 * time.Second, ResponseHeaderTimeout: 0}
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("%w: DOCKER_HOST %q names no socket path", ErrEngine, host)
		}
		e.socket, e.base = u.Path, "http://docker"
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", e.socket)
		}
	case "tcp":
		// Plain HTTP only: an engine behind TLS (DOCKER_TLS_VERIFY, port 2376) needs client
		// certificates that plexform does not load; use its unix socket on that host.
		if u.Host == "" {
			return nil, fmt.Errorf("%w: DOCKER_HOST %q names no host:port", ErrEngine, host)
		}
		e.base = "http://" + u.Host
	default:
		return nil, fmt.Errorf("%w: DOCKER_HOST %q: plexform speaks to unix:// sockets and plain tcp:// only; run it on the Docker host with the engine's unix socket", ErrEngine, host)
	}
	e.client = &http.Client{Transport: tr}
	return e, nil
}

// ContainerState is the part of GET /containers/{id}/json that plexform reads.
type ContainerState struct {
	Status     string // created, running, paused, restarting, removing, exited, dead
	Running    bool
	Paused     bool
	Restarting bool
	ExitCode   int
}

// Mount is one mount of a container, as the engine reports it.
type Mount struct {
	Type        string // bind, volume, tmpfs...
	Name        string // a named volume's name
	Source      string // the host path (for a volume, its _data directory)
	Destination string // the path inside the container
	RW          bool
}

// ContainerInfo is what plexform reads of a container.
type ContainerInfo struct {
	ID     string
	Name   string // without the engine's leading slash
	Image  string // as the container was created from: "lscr.io/linuxserver/plex:latest"
	State  ContainerState
	Mounts []Mount
	Env    []string // NAME=value; may hold secrets (PLEX_CLAIM): never print it
	// NetworkMode is "host", "bridge", a network's name, or "container:<id>".
	NetworkMode string
	User        string
}

type inspectJSON struct {
	ID     string `json:"Id"`
	Name   string
	State  ContainerState
	Mounts []Mount
	Config struct {
		Image string
		Env   []string
		User  string
	}
	HostConfig struct {
		NetworkMode string
	}
}

// Inspect reads one container by name or id.
func (e *Engine) Inspect(ctx context.Context, container string) (ContainerInfo, error) {
	var got inspectJSON
	if err := e.do(ctx, http.MethodGet, "/containers/"+url.PathEscape(container)+"/json", nil, engineTimeout, maxInspectBody, &got); err != nil {
		return ContainerInfo{}, e.about(container, err)
	}
	return ContainerInfo{ID: got.ID, Name: strings.TrimPrefix(got.Name, "/"), Image: got.Config.Image, State: got.State,
		Mounts: got.Mounts, Env: got.Config.Env, NetworkMode: got.HostConfig.NetworkMode, User: got.Config.User}, nil
}

// Summary is one entry of GET /containers/json.
type Summary struct {
	ID     string `json:"Id"`
	Names  []string
	Image  string
	State  string
	Mounts []Mount
}

// Name is the container's first name without the leading slash.
func (s Summary) Name() string {
	if len(s.Names) == 0 {
		return s.ID
	}
	return strings.TrimPrefix(s.Names[0], "/")
}

// List returns every container, running or not.
func (e *Engine) List(ctx context.Context) ([]Summary, error) {
	var got []Summary
	if err := e.do(ctx, http.MethodGet, "/containers/json?all=1", nil, engineTimeout, maxListBody, &got); err != nil {
		return nil, err
	}
	return got, nil
}

// Stop asks the engine to stop the container: SIGTERM (or the image's stop signal),
// then SIGKILL after grace. The engine answers once the container is down, so the
// request may last the whole grace period.
func (e *Engine) Stop(ctx context.Context, container string, grace time.Duration) error {
	q := url.Values{}
	if grace > 0 {
		// The engine counts whole seconds; round up so a grace period is never cut short.
		q.Set("t", strconv.Itoa(int((grace+time.Second-1)/time.Second)))
	}
	path := "/containers/" + url.PathEscape(container) + "/stop"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return e.about(container, e.do(ctx, http.MethodPost, path, nil, engineTimeout+grace, 0, nil))
}

// Start asks the engine to start the container; it answers once the process runs.
func (e *Engine) Start(ctx context.Context, container string) error {
	return e.about(container, e.do(ctx, http.MethodPost, "/containers/"+url.PathEscape(container)+"/start", nil, engineTimeout, 0, nil))
}

// about names the container in a not-found answer.
func (e *Engine) about(container string, err error) error {
	if errors.Is(err, ErrNoContainer) {
		return fmt.Errorf("%w %q on the Docker engine at %s (docker ps -a lists the containers; name one with container:)", ErrNoContainer, container, e.Host)
	}
	return err
}

// do sends one request, bounded by timeout, and decodes a 2xx answer into out (when
// not nil) reading at most limit bytes. 304 (already started or stopped) is success.
func (e *Engine) do(ctx context.Context, method, path string, body io.Reader, timeout time.Duration, limit int64, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, body)
	if err != nil {
		return err
	}
	what := method + " " + strings.SplitN(path, "?", 2)[0]
	resp, err := e.client.Do(req)
	if err != nil {
		return e.dialError(what, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil
	case resp.StatusCode == http.StatusNotFound:
		return ErrNoContainer
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("the Docker engine at %s answered %s to %s: %s", e.Host, resp.Status, what, engineMessage(resp.Body))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("read the Docker engine's answer to %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("the Docker engine's answer to %s is larger than %d bytes; refusing it", what, limit)
	}
	if err := json.Unmarshal(data, out); err != nil {
		// The error names a position and a type only, never the answer's content.
		return fmt.Errorf("the Docker engine's answer to %s is not the JSON expected: %w", what, err)
	}
	return nil
}

// engineMessage is the "message" of an engine's error answer, cut short and with
// control characters dropped, since it goes to a terminal.
func engineMessage(r io.Reader) string {
	data, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	var m struct{ Message string }
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &m) == nil && m.Message != "" {
		msg = m.Message
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// dialError turns a failed request into what the user can do about it.
func (e *Engine) dialError(what string, err error) error {
	switch {
	case errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: permission denied on %s: run plexform as root (sudo) or as a user in the docker group (Podman: the socket's owner)", ErrEngine, e.socketOrHost())
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("%w: no socket at %s: is the Docker engine installed and running here? (Podman: set DOCKER_HOST=unix:///run/podman/podman.sock)", ErrEngine, e.socketOrHost())
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: nothing answers at %s: is the Docker engine running? (systemctl start docker)", ErrEngine, e.socketOrHost())
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: the Docker engine at %s did not answer %s in time", ErrEngine, e.Host, what)
	}
	return fmt.Errorf("%w: %s at %s: %v", ErrEngine, what, e.Host, err)
}

func (e *Engine) socketOrHost() string {
	if e.socket != "" {
		return e.socket
	}
	return e.Host
}

// containerName is what a container: field may hold: a name as the engine allows it
// (with or without its leading slash) or an id. Anything else could walk the API's
// paths, so it is refused before any request.
var containerName = lazyre.New(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// CheckContainerName refuses what cannot be a container's name or id.
func CheckContainerName(name string) error {
	if !containerName.MatchString(name) || len(name) > 255 {
		return fmt.Errorf("container %q is not a container name or id (letters, digits, _ . -)", name)
	}
	return nil
}
