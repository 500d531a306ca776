package plexsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// The hidden commands of plexform that a DemoHost's plan runs: the simulator itself and
// the pidfile supervisor's start, stop and status (pidfile.go).
const (
	SimulatorCommand     = "__plexsim"
	PidfileStartCommand  = "__pidfile-start"
	PidfileStopCommand   = "__pidfile-stop"
	PidfileStatusCommand = "__pidfile-status"
)

// The made-up sign-in of a demo host's server. None of it may ever be printed: the demo
// shows that plexform hides tokens, so it relies on plexform's own output throughout.
const (
	DemoToken    = "demo-not-a-real-token-Qx7Lk29Zp"
	DemoMail     = "jane@example.com"
	DemoUsername = "jane_demo"
)

// DemoWait bounds each wait of the demo, so a broken simulator ends the demo with an
// error instead of hanging it; a healthy run needs a fraction of a second.
const DemoWait = 15 * time.Second

// DemoHost is a throw-away Plex host in a directory: a signed-in Preferences.xml, a
// simulated server supervised through a pid file, and the plan that resets it, whose
// service is plexform's own executable (Self) re-run as the simulator and as the
// supervisor's commands.
type DemoHost struct {
	Self, Dir                 string
	Prefs, PlanFile           string
	PidFile, AddrFile, Listen string
}

// NewDemoHost lays out a demo host in a new temporary directory, with a copy of self
// in it; Make writes it, Remove removes it.
func NewDemoHost(self string) (*DemoHost, error) {
	dir, err := os.MkdirTemp("", "plexform-demo-")
	if err != nil {
		return nil, fmt.Errorf("make the demo's temporary directory: %w", err)
	}
	// A copy inside the demo's directory keeps the plan it shows short and readable
	// (go run builds into a long cache path) and goes away with the directory.
	if copied, err := copyExecutable(self, filepath.Join(dir, "bin", "plexform")); err == nil {
		self = copied
	}
	return &DemoHost{
		Self:     self,
		Dir:      dir,
		Prefs:    filepath.Join(dir, "Library", "Application Support", "Plex Media Server", "Preferences.xml"),
		PlanFile: filepath.Join(dir, "plexform.yaml"),
		PidFile:  filepath.Join(dir, "run", "plexsim.pid"),
		AddrFile: filepath.Join(dir, "run", "plexsim.addr"),
	}, nil
}

// copyExecutable copies the running binary to path, executable.
func copyExecutable(from, path string) (string, error) {
	data, err := os.ReadFile(from)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, data, 0o755)
}

// Make writes the signed-in Preferences.xml and the plan that resets it.
func (d *DemoHost) Make() error {
	for _, sub := range []string{filepath.Dir(d.Prefs), filepath.Dir(d.PidFile)} {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return fmt.Errorf("make the demo host: %w", err)
		}
	}
	prefs := `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<Preferences OldestPreviousVersion="1.32.5.7349-8f4248874" MachineIdentifier="3f1c2e4a-demo-4d8e-9a1b-7c6d5e4f3a2b"` +
		` ProcessedMachineIdentifier="8b0f3e1d9c7a6b5e4d3c2b1a0f9e8d7c6b5a4f3e" AcceptedEULA="1" FriendlyName="demo-server"` +
		` PlexOnlineHome="1" PlexOnlineMail="` + DemoMail + `" PlexOnlineToken="` + DemoToken + `" PlexOnlineUsername="` + DemoUsername + `"` +
		` LanguageInCloud="1"/>` + "\n"
	if err := os.WriteFile(d.Prefs, []byte(prefs), 0o600); err != nil {
		return fmt.Errorf("write the demo's Preferences.xml: %w", err)
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	d.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := os.WriteFile(d.PlanFile, []byte(d.planYAML()), 0o600); err != nil {
		return fmt.Errorf("write the demo's plan file: %w", err)
	}
	return nil
}

func (d *DemoHost) simulator() []string {
	return []string{d.Self, SimulatorCommand, "-prefs", d.Prefs, "-listen", d.Listen, "-addr-file", d.AddrFile}
}

// planYAML is the demo's plan. Strings are JSON-quoted, which YAML reads as
// double-quoted scalars, so any temporary directory name is safe in it.
func (d *DemoHost) planYAML() string {
	return fmt.Sprintf(`version: 1
description: Reset the sign-in of the demo's simulated Plex Media Server
backups:
  dir: %s
resources:
  - name: prefs
    kind: xml_attributes
    path: %s
    absent: [%s]
    service: plex
  - name: plex
    kind: service
    manager: exec
    start: %s
    stop: %s
    status: %s
    state: running
    timeout: 15s
verify:
  - http: {url: %s, status: 200, contains: %s, timeout: 15s}
`, yamlQuote(filepath.Join(d.Dir, "backups")), yamlQuote(d.Prefs), strings.Join(plan.SignInValues, ", "),
		yamlList(append([]string{d.Self, PidfileStartCommand, d.PidFile}, d.simulator()...)),
		yamlList([]string{d.Self, PidfileStopCommand, d.PidFile}),
		yamlList([]string{d.Self, PidfileStatusCommand, d.PidFile}),
		yamlQuote("http://"+d.Listen+"/identity"), yamlQuote(`claimed="0"`))
}

func yamlQuote(s string) string {
	data, _ := json.Marshal(s) // a string always marshals
	return string(data)
}

func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = yamlQuote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// freeLoopbackPort asks the kernel for a port nobody uses. The plan's verify URL must
// name the port before the server exists, so "port 0" cannot be left to the server.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port for the simulator: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the simulated server under the pidfile supervisor and waits until it
// listens.
func (d *DemoHost) Start() error {
	if err := StartPidfile(d.PidFile, d.simulator()); err != nil {
		return err
	}
	return d.WaitListening()
}

// WaitListening waits for the simulator to write its address file, which it does once
// it accepts connections.
func (d *DemoHost) WaitListening() error {
	return WaitUntil(func() bool {
		data, err := os.ReadFile(d.AddrFile)
		return err == nil && strings.HasSuffix(string(data), "\n")
	}, "the simulated server to listen", DemoWait)
}

// SignIn lists which sign-in values Preferences.xml holds, by name only.
func (d *DemoHost) SignIn() ([]string, error) {
	st, err := xmlattrs.New(d.Prefs, "").Read(context.Background())
	if err != nil {
		return nil, err
	}
	var present []string
	for _, name := range plan.SignInValues {
		if _, ok := st.Values[name]; ok {
			present = append(present, name)
		}
	}
	return present, nil
}

var claimedAttr = lazyre.New(`claimed="([01])"`)

// Claimed asks the running server's /identity whether it is claimed ("1") or not
// ("0"); url is the address it asked.
func (d *DemoHost) Claimed() (url, claimed string, err error) {
	data, err := os.ReadFile(d.AddrFile)
	if err != nil {
		return "", "", fmt.Errorf("the simulated server's address: %w", err)
	}
	url = "http://" + strings.TrimSpace(string(data)) + "/identity"
	client := http.Client{Timeout: DemoWait}
	resp, err := client.Get(url)
	if err != nil {
		return "", "", fmt.Errorf("ask the simulated server who it is: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", url, err)
	}
	m := claimedAttr.FindSubmatch(body)
	if m == nil {
		return "", "", fmt.Errorf("%s answered without a claimed attribute (status %s)", url, resp.Status)
	}
	return url, string(m[1]), nil
}

// Stop stops the simulated server and waits until it has.
func (d *DemoHost) Stop() error { return StopAndWait(d.PidFile, DemoWait) }

// Remove stops the simulated server and removes the host's directory.
func (d *DemoHost) Remove() error { return errors.Join(d.Stop(), os.RemoveAll(d.Dir)) }
