package service

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/dockertest"
)

func TestDockerStopStartRunning(t *testing.T) {
	ctx := context.Background()
	saved := 0
	plex := &dockertest.Container{ID: "0123456789ab", Name: "plex", Image: "plexinc/pms-docker", Running: true, OnStop: func() { saved++ }}
	eng := dockertest.NewFakeEngine(t, plex)
	svc, err := New(Config{Manager: "docker", Container: "plex", DockerHost: eng.Host, Timeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.Describe(); got != "docker container plex" {
		t.Errorf("Describe = %q", got)
	}
	if up, err := svc.Running(ctx); err != nil || !up {
		t.Fatalf("Running = %v, %v; want true", up, err)
	}
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if up, err := svc.Running(ctx); err != nil || up {
		t.Fatalf("after Stop, Running = %v, %v; want false", up, err)
	}
	if saved != 1 {
		t.Errorf("the container was stopped %d times, want 1", saved)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if up, err := svc.Running(ctx); err != nil || !up {
		t.Fatalf("after Start, Running = %v, %v; want true", up, err)
	}
	// The service's timeout is the engine's grace period, in whole seconds.
	if !slices.Contains(eng.Requests(), "POST /containers/plex/stop?t=90") {
		t.Errorf("requests %q lack the stop with t=90", eng.Requests())
	}
}

func TestDockerGraceRoundsUp(t *testing.T) {
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "abcdef012345", Name: "pms", Running: true})
	svc, err := NewDocker("/pms", eng.Host, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A second stop of a stopped container is answered 304 and is no error.
	if err := svc.Stop(context.Background()); err != nil {
		t.Fatalf("stop of a stopped container: %v", err)
	}
	if got := eng.Requests(); !slices.Contains(got, "POST /containers/pms/stop?t=2") {
		t.Errorf("requests %q lack the stop with t=2 (1.5s rounded up)", got)
	}
}

func TestDockerStates(t *testing.T) {
	for _, tc := range []struct {
		status  string
		running bool
		want    bool
		transit bool
	}{
		{"running", true, true, false},
		{"paused", true, true, false},
		{"exited", false, false, false},
		{"created", false, false, false},
		{"dead", false, false, false},
		// Podman's compatible API says "stopped" between the process's exit and its
		// cleanup (TestConformanceDocker under scripts/podman.sh found it).
		{"stopped", false, false, false},
		{"restarting", false, false, true},
		{"removing", false, false, true},
	} {
		eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "abcdef012345", Name: "plex", Running: tc.running, Status: tc.status})
		svc, err := NewDocker("plex", eng.Host, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Running(context.Background())
		if tc.transit {
			if !errors.Is(err, ErrTransitioning) {
				t.Errorf("%s: Running = %v, %v; want a transition", tc.status, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: Running = %v, %v; want %v", tc.status, got, err, tc.want)
		}
	}
}

func TestDockerMissingContainer(t *testing.T) {
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "abcdef012345", Name: "plex", Running: true})
	svc, err := NewDocker("plexx", eng.Host, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Check(context.Background())
	if !errors.Is(err, ErrNoContainer) || !strings.Contains(err.Error(), `"plexx"`) || !strings.Contains(err.Error(), "docker ps -a") {
		t.Fatalf("Check of a missing container = %v", err)
	}
	if _, err := svc.Running(context.Background()); !errors.Is(err, ErrNoContainer) {
		t.Errorf("Running of a missing container = %v", err)
	}
	if err := svc.Stop(context.Background()); !errors.Is(err, ErrNoContainer) {
		t.Errorf("Stop of a missing container = %v", err)
	}
	for _, r := range eng.Requests() {
		if strings.HasPrefix(r, "POST") && strings.Contains(r, "/plex/") {
			t.Errorf("the existing container was touched: %s", r)
		}
	}
}

func TestDockerNoEngine(t *testing.T) {
	dir := t.TempDir()
	svc, err := NewDocker("plex", "unix://"+filepath.Join(dir, "docker.sock"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Check(context.Background())
	if !errors.Is(err, ErrEngine) || !strings.Contains(err.Error(), "no socket at") {
		t.Errorf("Check without a socket = %v", err)
	}
	// A socket file nobody listens on.
	sock := filepath.Join(dir, "dead.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	svc, _ = NewDocker("plex", "unix://"+sock, time.Second)
	if err := svc.Check(context.Background()); !errors.Is(err, ErrEngine) || !strings.Contains(err.Error(), "is the Docker engine running") {
		t.Errorf("Check with nothing listening = %v", err)
	}
}

// A permission error names the docker group. Root passes any socket's mode, so the
// error is built as the dialer returns it.
func TestDockerPermissionDenied(t *testing.T) {
	e, err := NewEngine("unix:///var/run/docker.sock")
	if err != nil {
		t.Fatal(err)
	}
	dial := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}
	got := e.dialError("GET /containers/plex/json", dial)
	if !errors.Is(got, ErrEngine) || !strings.Contains(got.Error(), "docker group") || !strings.Contains(got.Error(), "/var/run/docker.sock") {
		t.Errorf("dialError(EACCES) = %v", got)
	}
}

func TestDockerHostValues(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(name string) (string, bool) { return v, name == "DOCKER_HOST" && v != "" }
	}
	if got := DockerHost(env("")); got != DefaultDockerHost {
		t.Errorf("DockerHost without DOCKER_HOST = %q", got)
	}
	if got := DockerHost(env("unix:///run/podman/podman.sock")); got != "unix:///run/podman/podman.sock" {
		t.Errorf("DockerHost = %q", got)
	}
	for _, bad := range []string{"ssh://me@nas", "npipe:////./pipe/docker_engine", "unix://", "tcp://", "%zz"} {
		if _, err := NewEngine(bad); !errors.Is(err, ErrEngine) {
			t.Errorf("NewEngine(%q) = %v, want an ErrEngine", bad, err)
		}
	}
	if _, err := NewEngine("tcp://127.0.0.1:2375"); err != nil {
		t.Errorf("NewEngine(tcp) = %v", err)
	}
}

func TestDockerContainerNames(t *testing.T) {
	for _, ok := range []string{"plex", "/plex", "pms-docker_1", "my.plex", "0123456789abcdef"} {
		if err := CheckContainerName(ok); err != nil {
			t.Errorf("CheckContainerName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../../info", "plex/../x", "plex?all=1", "-plex", "a b", strings.Repeat("a", 256)} {
		if err := CheckContainerName(bad); err == nil {
			t.Errorf("CheckContainerName(%q) accepted it", bad)
		}
	}
	if _, err := New(Config{Manager: "docker"}); err == nil || !strings.Contains(err.Error(), "needs a container") {
		t.Errorf("New without container = %v", err)
	}
}

// engineAt serves handler as a Docker engine on a unix socket and returns a client.
func engineAt(t *testing.T, handler http.HandlerFunc) *Engine {
	t.Helper()
	dir, err := os.MkdirTemp("", "plexform-engine-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "d.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	e, err := NewEngine("unix://" + filepath.Join(dir, "d.sock"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// An engine's error answer is passed on with its message (cut short, one line); an
// answer that is not the JSON expected, or too large, is an error that quotes nothing.
func TestEngineAnswers(t *testing.T) {
	ctx := context.Background()
	e := engineAt(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"cannot stop container: plex: tried to kill\ncontainer, but did not receive an exit event"}`))
	})
	err := e.Stop(ctx, "plex", time.Second)
	if err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") || !strings.Contains(err.Error(), "tried to kill container") {
		t.Errorf("Stop on a 500 = %v", err)
	}

	e = engineAt(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"Id": 12, "State": "PlexOnlineToken=abc"`))
	})
	if _, err := e.Inspect(ctx, "plex"); err == nil || strings.Contains(err.Error(), "PlexOnlineToken") {
		t.Errorf("Inspect of a malformed answer = %v", err)
	}

	e = engineAt(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("["))
		for range maxListBody / 10 {
			_, _ = w.Write([]byte(`{"Id":"x"},`))
		}
		_, _ = w.Write([]byte(`{"Id":"x"}]`))
	})
	if _, err := e.List(ctx); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("List of an oversized answer = %v", err)
	}
}

// TestDockerReadsDockerHostFromConfigsEnvironment: with no DockerHost in the config, the
// docker manager asks the environment the config carries (the plan's host's, which
// the service kind hands over) for DOCKER_HOST, not this process's.
func TestDockerReadsDockerHostFromConfigsEnvironment(t *testing.T) {
	getenv := func(name string) (string, bool) { return "ssh://me@nas", name == "DOCKER_HOST" }
	if _, err := New(Config{Manager: "docker", Container: "plex", Getenv: getenv}); !errors.Is(err, ErrEngine) {
		t.Errorf("docker with DOCKER_HOST=ssh://me@nas in its config's environment: %v; want an ErrEngine", err)
	}
	if _, err := New(Config{Manager: "docker", Container: "plex", DockerHost: "tcp://127.0.0.1:2375", Getenv: getenv}); err != nil {
		t.Errorf("docker with DockerHost given: %v; its environment's DOCKER_HOST must not matter", err)
	}
}
