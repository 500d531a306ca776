//go:build unix

package executor_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// signedIn is the made-up sign-in of the simulated host, written by hand, not by the
// server: a space before "/>" and no final newline, so the server's own rewrite on
// shutdown is visibly different from it. Tests compare files against it but never print it.
const signedIn = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<Preferences MachineIdentifier="mi-e2e" ProcessedMachineIdentifier="pmi-e2e" FriendlyName="den" PlexOnlineHome="1"` +
	` PlexOnlineMail="alice@example.com" PlexOnlineToken="` + simToken + `" PlexOnlineUsername="alice" AcceptedEULA="1" />`

// simHost is a throw-away Plex host: a Preferences.xml and the simulator serving it on
// a fixed loopback port (a plan's verify URL must name the port before the server runs).
type simHost struct {
	dir, prefs, addrFile, backups string
	listen                        string
	bin                           string
}

func newSimHost(tb testing.TB) *simHost {
	tb.Helper()
	return newSimHostWith(tb, plexsimtest.Build(tb))
}

// newSimHostWith is newSimHost with a simulator binary built already.
func newSimHostWith(tb testing.TB, bin string) *simHost {
	tb.Helper()
	dir := tb.TempDir()
	h := &simHost{
		dir:      dir,
		prefs:    filepath.Join(dir, "Plex Media Server", "Preferences.xml"),
		addrFile: filepath.Join(dir, "addr"),
		backups:  filepath.Join(dir, "backups"),
		listen:   plexsimtest.FreeAddr(tb),
		bin:      bin,
	}
	if err := os.MkdirAll(filepath.Dir(h.prefs), 0o755); err != nil {
		tb.Fatal(err)
	}
	h.writePrefs(tb, signedIn)
	return h
}

func (h *simHost) simArgs(refuseIfAttr string) []string {
	argv := []string{h.bin, "-prefs", h.prefs, "-listen", h.listen, "-addr-file", h.addrFile}
	if refuseIfAttr != "" {
		argv = append(argv, "-refuse-if-attr", refuseIfAttr)
	}
	return argv
}

func (h *simHost) writePrefs(tb testing.TB, content string) {
	tb.Helper()
	if err := os.WriteFile(h.prefs, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func (h *simHost) readPrefs(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile(h.prefs)
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

// supervisedSim is a simHost whose server s6-supervise runs.
type supervisedSim struct {
	*simHost
	svcDir string
	s6     *service.S6
}

// superviseSim runs the simulator under s6-supervise (as Plex's Docker images run PMS)
// and takes it all down when the test ends. refuseIfAttr, when set, is passed to the
// simulator, which then will not start while Preferences.xml has that attribute.
func superviseSim(tb testing.TB, refuseIfAttr string) *supervisedSim {
	tb.Helper()
	h := newSimHost(tb)
	s := &supervisedSim{simHost: h, svcDir: filepath.Join(h.dir, "svc-plex")}
	plexsimtest.Supervise(tb, s.svcDir, h.simArgs(refuseIfAttr))
	s.s6 = service.NewS6(s.svcDir, service.OSRunner{})
	// The supervisor starts the server by itself; it is up once it wrote its address.
	plexsimtest.WaitAddr(tb, h.addrFile)
	return s
}

// pid is the supervised server's pid, 0 when it is down.
func (s *supervisedSim) pid(tb testing.TB) int {
	tb.Helper()
	out, err := exec.Command("s6-svstat", "-p", s.svcDir).Output()
	if err != nil {
		tb.Fatalf("s6-svstat -p: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		tb.Fatalf("s6-svstat -p printed %q", out)
	}
	if pid < 0 {
		return 0
	}
	return pid
}

// stop and start drive the server through s6 directly, as a person would.
func (s *supervisedSim) stop(tb testing.TB) {
	tb.Helper()
	moveService(tb, s.s6, false)
}

func (s *supervisedSim) start(tb testing.TB) {
	tb.Helper()
	moveService(tb, s.s6, true)
	plexsimtest.WaitAddr(tb, s.addrFile)
}

func (s *supervisedSim) running(tb testing.TB) bool {
	tb.Helper()
	return serviceRunning(tb, s.s6)
}

// planOpts shape the test plan beyond the reset every plan makes.
type planOpts struct {
	// set is one extra attribute the plan writes, such as the one that makes the
	// simulator refuse to start.
	set string
	// verifyTimeout bounds the http verify; a server that never answers fails it then.
	verifyTimeout time.Duration
}

// planYAML is the reset plan: the four sign-in values absent from Preferences.xml,
// which the service guards, and /identity answering after the start.
func (h *simHost) planYAML(serviceYAML string, o planOpts) string {
	set := ""
	if o.set != "" {
		set = fmt.Sprintf("    set: {%s: \"1\"}\n", o.set)
	}
	if o.verifyTimeout == 0 {
		o.verifyTimeout = waitLimit
	}
	return fmt.Sprintf(`version: 1
backups:
  dir: %q
resources:
  - name: prefs
    kind: xml_attributes
    path: %q
    absent: [%s]
%s    service: plex
  - name: plex
    kind: service
%s    state: running
    timeout: 30s
verify:
  - http: {url: "http://%s/identity", status: 200, timeout: %s}
`, h.backups, h.prefs, strings.Join(plan.SignInValues, ", "), set, serviceYAML, h.listen, o.verifyTimeout)
}

func (s *supervisedSim) planYAML(o planOpts) string {
	return s.simHost.planYAML(fmt.Sprintf("    manager: s6\n    dir: %q\n", s.svcDir), o)
}

// writePlan puts a plan file in the host's directory, for the CLI.
func (h *simHost) writePlan(tb testing.TB, yaml string) string {
	tb.Helper()
	return h.writePlanAs(tb, "plexform.yaml", yaml)
}

// writePlanAs is writePlan under a name of the caller's, for a test with several plans.
func (h *simHost) writePlanAs(tb testing.TB, name, yaml string) string {
	tb.Helper()
	path := filepath.Join(h.dir, name)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// apply binds the plan to this host and applies it, as `plexform apply` does.
func (h *simHost) apply(tb testing.TB, yaml string, obs executor.Observer) (*executor.Result, error) {
	tb.Helper()
	return applyIn(tb, h.dir, h.backups, yaml, obs)
}

// withoutSignIn removes the four sign-in attributes from a Preferences.xml text as a
// careful hand edit would: each ` Name="value"` and nothing else.
func withoutSignIn(tb testing.TB, prefs string) string {
	tb.Helper()
	for _, name := range plan.SignInValues {
		start := strings.Index(prefs, " "+name+`="`)
		if start < 0 {
			tb.Fatalf("%s is not in the file", name)
		}
		valueStart := start + len(" "+name+`="`)
		end := strings.IndexByte(prefs[valueStart:], '"')
		prefs = prefs[:start] + prefs[valueStart+end+1:]
	}
	return prefs
}
