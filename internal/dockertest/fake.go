// Package dockertest gives tests a Docker engine: a fake one that answers the few
// Engine API calls plexform makes (for unit tests, on a unix socket like the real
// one), and a real dockerd started in a temp dir when none answers (for the tests that
// run Plex's images for real).
package dockertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Container is one container of a FakeEngine.
type Container struct {
	ID, Name, Image string
	Running         bool
	// Status overrides the state word ("restarting", "paused"...); "" follows Running.
	Status      string
	Mounts      []Mount
	Env         []string
	NetworkMode string
	// OnStop and OnStart run (under the engine's lock) when the engine stops or starts
	// the container, as the process would react (a simulator saving its settings).
	OnStop, OnStart func()
}

// Mount is a container's mount as the engine reports it.
type Mount struct {
	Type, Source, Destination string
}

// FakeEngine answers GET /containers/json, GET /containers/{id}/json and POST
// /containers/{id}/stop|start on a unix socket, from its Containers.
type FakeEngine struct {
	// Host is the DOCKER_HOST value that reaches it.
	Host string
	mu   sync.Mutex
	cs   []*Container
	log  []string
}

// NewFakeEngine serves a fake engine on a unix socket in a temp dir until the test ends.
func NewFakeEngine(t testing.TB, containers ...*Container) *FakeEngine {
	t.Helper()
	f, stop, err := StartFakeEngine(containers...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return f
}

// StartFakeEngine serves a fake engine on a unix socket in a new temp dir until stop is
// called (which also removes the dir), for callers without a testing.TB (testscript
// commands).
func StartFakeEngine(containers ...*Container) (f *FakeEngine, stop func(), err error) {
	// A unix socket path is limited to about 100 bytes; t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "plexform-docker-")
	if err != nil {
		return nil, nil, err
	}
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	f = &FakeEngine{Host: "unix://" + sock, cs: containers}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/json", f.list)
	mux.HandleFunc("GET /containers/{id}/json", f.inspect)
	mux.HandleFunc("POST /containers/{id}/stop", f.stop)
	mux.HandleFunc("POST /containers/{id}/start", f.start)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = ln
	srv.Start()
	return f, func() { srv.Close(); os.RemoveAll(dir) }, nil
}

// Requests lists the requests answered so far, as "POST /containers/plex/stop?t=60".
func (f *FakeEngine) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// Container returns a container by name.
func (f *FakeEngine) Container(name string) *Container {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.find(name)
}

func (f *FakeEngine) find(id string) *Container {
	for _, c := range f.cs {
		if c.ID == id || c.Name == id || (len(id) >= 4 && strings.HasPrefix(c.ID, id)) {
			return c
		}
	}
	return nil
}

func (f *FakeEngine) record(r *http.Request) {
	line := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	f.log = append(f.log, line)
}

func (c *Container) status() string {
	switch {
	case c.Status != "":
		return c.Status
	case c.Running:
		return "running"
	}
	return "exited"
}

func (c *Container) mounts() []map[string]any {
	var ms []map[string]any
	for _, m := range c.Mounts {
		ms = append(ms, map[string]any{"Type": m.Type, "Source": m.Source, "Destination": m.Destination, "RW": true})
	}
	return ms
}

func (f *FakeEngine) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r)
	out := []map[string]any{}
	for _, c := range f.cs {
		if !c.Running && r.URL.Query().Get("all") == "" {
			continue
		}
		out = append(out, map[string]any{"Id": c.ID, "Names": []string{"/" + c.Name}, "Image": c.Image, "State": c.status(), "Mounts": c.mounts()})
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *FakeEngine) inspect(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r)
	c := f.find(r.PathValue("id"))
	if c == nil {
		notFound(w, r.PathValue("id"))
		return
	}
	st := c.status()
	writeJSON(w, http.StatusOK, map[string]any{
		"Id": c.ID, "Name": "/" + c.Name,
		"State":      map[string]any{"Status": st, "Running": c.Running || st == "paused", "Paused": st == "paused", "Restarting": st == "restarting"},
		"Mounts":     c.mounts(),
		"Config":     map[string]any{"Image": c.Image, "Env": c.Env},
		"HostConfig": map[string]any{"NetworkMode": c.NetworkMode},
	})
}

func (f *FakeEngine) stop(w http.ResponseWriter, r *http.Request) {
	f.move(w, r, false)
}

func (f *FakeEngine) start(w http.ResponseWriter, r *http.Request) {
	f.move(w, r, true)
}

func (f *FakeEngine) move(w http.ResponseWriter, r *http.Request, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r)
	if t := r.URL.Query().Get("t"); t != "" {
		if _, err := strconv.Atoi(t); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad t"})
			return
		}
	}
	c := f.find(r.PathValue("id"))
	if c == nil {
		notFound(w, r.PathValue("id"))
		return
	}
	if c.Running == up {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	c.Running, c.Status = up, ""
	if hook := map[bool]func(){true: c.OnStart, false: c.OnStop}[up]; hook != nil {
		hook()
	}
	w.WriteHeader(http.StatusNoContent)
}

func notFound(w http.ResponseWriter, id string) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": fmt.Sprintf("No such container: %s", id)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
