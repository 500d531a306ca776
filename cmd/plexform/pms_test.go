//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/plexform/plexform/internal/dockertest"
)

var pmsProcs sync.Map // *testscript.TestScript -> *exec.Cmd

// pms start PREFS [NAME=VALUE...] runs the PMS simulator (plexform __plexsim) as a real
// process whose executable is named "Plex Media Server", as PMS's is, so the kernel
// names it "Plex Media Serv"; NAME=VALUE are its environment. It listens on a free
// loopback port (not PMS's 32400, which another test may use). pms stop stops it with
// SIGTERM, as a service manager would, and waits.
func cmdPMS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: pms start PREFS [NAME=VALUE...] | pms stop")
	}
	switch args[0] {
	case "start":
		if len(args) < 2 {
			ts.Fatalf("usage: pms start PREFS [NAME=VALUE...]")
		}
		self, err := exec.LookPath("plexform")
		ts.Check(err)
		data, err := os.ReadFile(self)
		ts.Check(err)
		bin := ts.MkAbs(filepath.Join(".pms", "Plex Media Server"))
		ts.Check(os.MkdirAll(filepath.Dir(bin), 0o755))
		ts.Check(os.WriteFile(bin, data, 0o755))
		addrFile := ts.MkAbs(filepath.Join(".pms", "addr"))
		var cmd *exec.Cmd
		ts.Check(retryTextBusy(func() error {
			cmd = exec.Command(bin, "__plexsim", "-prefs", ts.MkAbs(args[1]), "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-log", ts.MkAbs(filepath.Join(".pms", "pms.log")))
			// testscript runs the CLI for the argv0 "plexform", whatever the file's name.
			cmd.Args[0] = "plexform"
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, args[2:]...)
			cmd.Dir = "/"
			return cmd.Start()
		}))
		pmsProcs.Store(ts, cmd)
		ts.Defer(func() { cmd.Process.Kill(); cmd.Wait() })
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if data, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(data), "\n") {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("the simulator never wrote %s", addrFile)
			}
		}
	case "stop":
		v, ok := pmsProcs.LoadAndDelete(ts)
		if !ok {
			ts.Fatalf("pms stop: none started")
		}
		cmd := v.(*exec.Cmd)
		ts.Check(cmd.Process.Signal(syscall.SIGTERM))
		ts.Check(cmd.Wait())
	default:
		ts.Fatalf("usage: pms start PREFS [NAME=VALUE...] | pms stop")
	}
}

// dockerEngines holds each script's fake engine and how many of its requests
// docker-engine requests has printed.
var dockerEngines sync.Map // *testscript.TestScript -> *scriptEngine

type scriptEngine struct {
	f       *dockertest.FakeEngine
	printed int
}

// docker-engine NAME SOURCE [stopped] [image=REF] serves a fake Docker engine (the Engine
// API calls plexform makes, on a unix socket) holding one Plex container NAME of the
// linuxserver image (else REF) with SOURCE bind-mounted at /config, running unless
// "stopped", and points the
// script's DOCKER_HOST at it until the script ends. docker-engine requests prints the
// stop and start requests it answered since the last docker-engine requests, one a line
// ("stop plex", "start plex"; "no stop or start" when none), for stdout to match.
func cmdDockerEngine(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: docker-engine NAME SOURCE [stopped] [image=REF] | docker-engine requests"
	if neg {
		ts.Fatalf(usage)
	}
	if len(args) == 1 && args[0] == "requests" {
		v, ok := dockerEngines.Load(ts)
		if !ok {
			ts.Fatalf("docker-engine requests: no engine started")
		}
		e := v.(*scriptEngine)
		all := e.f.Requests()
		n := 0
		for _, r := range all[e.printed:] {
			// "POST /containers/plex/stop?t=60" -> "stop plex"
			if rest, ok := strings.CutPrefix(r, "POST /containers/"); ok {
				name, verb, _ := strings.Cut(strings.SplitN(rest, "?", 2)[0], "/")
				fmt.Fprintf(ts.Stdout(), "%s %s\n", verb, name)
				n++
			}
		}
		if n == 0 {
			fmt.Fprintln(ts.Stdout(), "no stop or start")
		}
		e.printed = len(all)
		return
	}
	if len(args) < 2 {
		ts.Fatalf(usage)
	}
	running, image := true, "lscr.io/linuxserver/plex:latest"
	for _, a := range args[2:] {
		switch ref, isImage := strings.CutPrefix(a, "image="); {
		case a == "stopped":
			running = false
		case isImage && ref != "":
			image = ref
		default:
			ts.Fatalf(usage)
		}
	}
	f, stop, err := dockertest.StartFakeEngine(&dockertest.Container{ID: "c0ffee" + args[0], Name: args[0], Image: image,
		Running: running, Mounts: []dockertest.Mount{{Type: "bind", Source: args[1], Destination: "/config"}}})
	ts.Check(err)
	ts.Defer(stop)
	dockerEngines.Store(ts, &scriptEngine{f: f})
	ts.Defer(func() { dockerEngines.Delete(ts) })
	ts.Setenv("DOCKER_HOST", f.Host)
}
