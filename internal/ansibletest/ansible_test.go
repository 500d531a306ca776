//go:build linux

package ansibletest

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/plexform/plexform/kinds" // the kinds its plans name

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/plan"
)

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }

// secrets are what the fixtures' Preferences.xml holds and no output may show.
var secrets = []string{"tok-SECRET", "jane.secret@example.com", "janesecretuser"}

func prefsXML(n int) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<Preferences MachineIdentifier="m-%d" ProcessedMachineIdentifier="p-%d" PlexOnlineHome="1" PlexOnlineToken="tok-SECRET-%d-abcdef" PlexOnlineMail="jane.secret@example.com" PlexOnlineUsername="janesecretuser" FriendlyName="host %d"/>
`, n, n, n, n)
}

// playbook is what the tests run on every host: one plexform task with an inline plan,
// the host's own paths and service commands from the inventory. The simulator refuses
// to start while Preferences.xml has Broken, which plexform_set adds on the host meant
// to fail.
const playbook = `- hosts: all
  gather_facts: false
  tasks:
    - name: Reset the Plex sign-in
      plexform:
        root: "{{ plexform_root | default(omit) }}"
        backups_dir: /var/backups/plexform
        plan:
          version: 1
          resources:
            - name: prefs
              kind: xml_attributes
              path: "{{ prefs_path }}"
              absent: [PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome]
              set: "{{ plexform_set | default({}) }}"
              service: plex
            - name: plex
              kind: service
              manager: exec
              start: ["{{ kit }}/start"]
              stop: ["{{ kit }}/stop"]
              status: ["{{ kit }}/status"]
              timeout: 5s
          verify:
            - http: {url: "http://127.0.0.1:{{ port }}/identity", status: 200, contains: 'claimed="0"', timeout: 5s}
`

// kitScripts are an exec service for the simulator: start runs it in the background
// with its pid in dir/pid, status exits 0 while it runs (a zombie nobody reaped counts
// as stopped), stop sends SIGTERM (on which the simulator writes its settings, as PMS
// does) and waits until it is gone. plexform is the binary that carries the simulator.
func kitScripts(dir, plexform, prefs, listen string) map[string]string {
	q := func(s string) string { return shellquote.Join([]string{s}) }
	alive := `grep -q '^State:[[:space:]]*[^Z]' /proc/"$pid"/status 2>/dev/null`
	return map[string]string{
		"start": "#!/bin/sh\n" + q(plexform) + " __plexsim -prefs " + q(prefs) + " -listen " + listen +
			" -refuse-if-attr Broken >>" + q(dir+"/sim.log") + " 2>&1 </dev/null &\necho $! >" + q(dir+"/pid") + "\n",
		"status": "#!/bin/sh\npid=$(cat " + q(dir+"/pid") + " 2>/dev/null) || exit 1\n" + alive + "\n",
		"stop": "#!/bin/sh\npid=$(cat " + q(dir+"/pid") + " 2>/dev/null) || exit 0\nkill -TERM \"$pid\" 2>/dev/null || exit 0\n" +
			"while " + alive + "; do sleep 0.1; done\n",
	}
}

// ansible is a playbook directory: the module built into library/, the playbook, an
// inventory, and Ansible's home, temp dirs and config all inside it.
type ansible struct {
	dir string
	env []string
}

func newAnsible(t *testing.T, plexform string, extraEnv ...string) *ansible {
	t.Helper()
	testtool.Require(t, "ansible-playbook", "ansible")
	dir := t.TempDir()
	a := &ansible{dir: dir}
	lib := filepath.Join(dir, "library")
	must(t, os.MkdirAll(lib, 0o755))
	copyFile(t, plexform, filepath.Join(lib, "plexform"), 0o755)
	copyFile(t, filepath.Join(repoRoot(t), "examples", "ansible", "library", "plexform.yml"), filepath.Join(lib, "plexform.yml"), 0o644)
	write(t, filepath.Join(dir, "playbook.yml"), playbook)
	write(t, filepath.Join(dir, "ansible.cfg"), "[defaults]\n")
	for _, d := range []string{"home", "local-tmp", "remote-tmp"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	// Ansible writes under HOME (~/.ansible) and its temp dirs: all of them here.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ANSIBLE_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "DOCKER_HOST=") {
			a.env = append(a.env, kv)
		}
	}
	a.env = append(a.env, "HOME="+filepath.Join(dir, "home"), "ANSIBLE_CONFIG="+filepath.Join(dir, "ansible.cfg"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "local-tmp"), "ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, "remote-tmp"),
		"ANSIBLE_LIBRARY="+lib, "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0", "ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_HOST_KEY_CHECKING=0", "ANSIBLE_DEPRECATION_WARNINGS=0")
	a.env = append(a.env, extraEnv...)
	return a
}

// command is an Ansible command run in the playbook directory with its environment.
func (a *ansible) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = a.dir, append([]string{}, a.env...)
	return cmd
}

func (a *ansible) inventory(t *testing.T, content string) {
	t.Helper()
	write(t, filepath.Join(a.dir, "inventory.yml"), content)
}

// run runs ansible-playbook with args and returns its stdout and stderr together, and
// its exit code; no output may hold a secret of the fixtures.
func (a *ansible) run(t *testing.T, callback string, args ...string) (string, int) {
	t.Helper()
	cmd := a.command("ansible-playbook", append([]string{"-i", "inventory.yml", "playbook.yml"}, args...)...)
	cmd.Env = append(cmd.Env, "ANSIBLE_STDOUT_CALLBACK="+callback)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("ansible-playbook %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	t.Logf("ansible-playbook %s (exit %d):\n%s", strings.Join(args, " "), code, out.String())
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("ansible-playbook %s printed the secret %q:\n%s", strings.Join(args, " "), s, out.String())
		}
	}
	return out.String(), code
}

// playResult is what the json callback reports of one run.
type playResult struct {
	Plays []struct {
		Tasks []struct {
			Hosts map[string]moduleResult `json:"hosts"`
		} `json:"tasks"`
	} `json:"plays"`
	Stats map[string]struct {
		Changed  int `json:"changed"`
		Failures int `json:"failures"`
		OK       int `json:"ok"`
	} `json:"stats"`
}

// moduleResult is the module's JSON result as Ansible passes it on.
type moduleResult struct {
	Changed         bool              `json:"changed"`
	Failed          bool              `json:"failed"`
	Msg             string            `json:"msg"`
	RolledBack      *bool             `json:"rolled_back"`
	Backups         []string          `json:"backups"`
	DowntimeMs      *int64            `json:"downtime_ms"`
	ResourceChanges []json.RawMessage `json:"resource_changes"`
	Diff            []struct {
		Before, After string
	} `json:"diff"`
}

// runJSON runs the playbook with the json callback and returns each host's result.
func (a *ansible) runJSON(t *testing.T, args ...string) (map[string]moduleResult, string, int) {
	t.Helper()
	out, code := a.run(t, "json", args...)
	// Warnings may precede the document on the same stream.
	start := strings.Index(out, "{\n")
	if start < 0 {
		t.Fatalf("ansible-playbook %s printed no JSON (exit %d):\n%s", strings.Join(args, " "), code, out)
	}
	var pr playResult
	if err := json.NewDecoder(strings.NewReader(out[start:])).Decode(&pr); err != nil {
		t.Fatalf("ansible-playbook %s: its JSON does not parse: %v\n%s", strings.Join(args, " "), err, out)
	}
	if len(pr.Plays) != 1 || len(pr.Plays[0].Tasks) != 1 {
		t.Fatalf("want one play of one task:\n%s", out)
	}
	return pr.Plays[0].Tasks[0].Hosts, out, code
}

// recap parses the PLAY RECAP of the default callback: host -> "changed=N failed=N".
var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)`)

func recap(out string) map[string]string {
	m := map[string]string{}
	for _, g := range recapLine.FindAllStringSubmatch(out, -1) {
		m[g[1]] = "changed=" + g[2] + " failed=" + g[3]
	}
	return m
}

// tree is every file under a directory: mode, owner and content hash, to show that a
// run changed no byte (and created nothing).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		entry := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		m[path] = entry
		return nil
	})
	must(t, err)
	return m
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, e := range before {
		if after[p] != e {
			t.Errorf("%s changed %s: %q, now %q", what, p, e, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s created %s", what, p)
		}
	}
}

// checkRun is a --check --diff run over every host: each reports changed, the diff
// shows the sign-in values masked, and no byte of the trees changes.
func checkRun(t *testing.T, a *ansible, hosts []string, trees []string) {
	t.Helper()
	before := map[string]map[string]string{}
	for _, d := range trees {
		before[d] = tree(t, d)
	}
	out, code := a.run(t, "default", "--check", "--diff")
	if code != 0 {
		t.Fatalf("--check --diff exited %d:\n%s", code, out)
	}
	got := recap(out)
	for _, h := range hosts {
		if got[h] != "changed=1 failed=0" {
			t.Errorf("--check on %s: %q, want changed=1 failed=0:\n%s", h, got[h], out)
		}
	}
	for _, want := range []string{"-PlexOnlineToken = (sensitive value)", "-PlexOnlineMail = (sensitive value)",
		"-PlexOnlineUsername = (sensitive value)", "-PlexOnlineHome = \"1\"", "+++ after: prefs"} {
		if strings.Count(out, want) < len(hosts) {
			t.Errorf("--diff shows %q fewer than %d times:\n%s", want, len(hosts), out)
		}
	}
	for _, d := range trees {
		sameTree(t, "--check", before[d], tree(t, d))
	}
}

// applyRuns applies over every host: the one named failing fails and is rolled back
// alone while the others are reset. A second run changes nothing anywhere: the failing
// host fails and rolls back again, the others report no changes. prefs reads a host's
// Preferences.xml; identity answers its server's /identity.
func applyRuns(t *testing.T, a *ansible, hosts []string, failing string, prefs func(host string) string, identity func(host string) string) {
	t.Helper()
	failingBefore := prefs(failing)
	for run := 1; run <= 2; run++ {
		results, out, code := a.runJSON(t)
		if code == 0 {
			t.Errorf("run %d exited 0 although %s failed:\n%s", run, failing, out)
		}
		for _, h := range hosts {
			r, ok := results[h]
			if !ok {
				t.Fatalf("run %d: no result for %s:\n%s", run, h, out)
			}
			switch {
			case h == failing:
				if !r.Failed || r.Changed || r.RolledBack == nil || !*r.RolledBack || !strings.Contains(r.Msg, "rolled back") {
					t.Errorf("run %d, %s: want failed, unchanged, rolled back; got %+v", run, h, r)
				}
				if got := prefs(h); got != failingBefore {
					t.Errorf("run %d, %s: Preferences.xml after the rollback:\n%s\nwant byte for byte:\n%s", run, h, got, failingBefore)
				}
				if id := identity(h); !strings.Contains(id, `claimed="1"`) {
					t.Errorf("run %d, %s: the server does not run signed in as before after the rollback: %q", run, h, id)
				}
				continue
			case run == 1:
				if r.Failed || !r.Changed || len(r.Backups) != 1 || r.DowntimeMs == nil || len(r.ResourceChanges) != 1 {
					t.Errorf("run 1, %s: want changed with one backup; got %+v", h, r)
				}
			default:
				if r.Changed || r.Failed || r.Msg != "No changes. The host matches the plan." || len(r.Backups) != 0 {
					t.Errorf("run 2, %s: want ok and unchanged; got %+v", h, r)
				}
			}
			got := prefs(h)
			if strings.Contains(got, "PlexOnline") || !strings.Contains(got, `FriendlyName="host `) {
				t.Errorf("run %d, %s: Preferences.xml after the apply:\n%s", run, h, got)
			}
			if id := identity(h); !strings.Contains(id, `claimed="0"`) {
				t.Errorf("run %d, %s: the server does not run unclaimed after the apply: %q", run, h, id)
			}
		}
	}
}

// TestPlaybookLocal: connection local, each host a -root tree whose simulated server
// an exec service drives; it runs wherever ansible-playbook does.
func TestPlaybookLocal(t *testing.T) {
	testtool.Require(t, "ansible-playbook", "ansible")
	bin := buildPlexform(t)
	hosts := []string{"local-1", "local-2", "local-3"}
	failing := hosts[2]
	base := t.TempDir()
	var inv strings.Builder
	inv.WriteString("all:\n  vars:\n    ansible_connection: local\n    prefs_path: /srv/plex/Preferences.xml\n  hosts:\n")
	var trees []string
	roots := map[string]string{}
	ports := map[string]int{}
	for i, h := range hosts {
		root := filepath.Join(base, h, "root")
		kit := filepath.Join(base, h, "kit")
		prefs := filepath.Join(root, "srv", "plex", "Preferences.xml")
		must(t, os.MkdirAll(filepath.Dir(prefs), 0o755))
		must(t, os.MkdirAll(kit, 0o755))
		write(t, prefs, prefsXML(i+1))
		port := dockertest.FreePort(t)
		for name, script := range kitScripts(kit, bin, prefs, "127.0.0.1:"+strconv.Itoa(port)) {
			must(t, os.WriteFile(filepath.Join(kit, name), []byte(script), 0o755))
		}
		startLocal(t, kit, port)
		roots[h], ports[h] = root, port
		trees = append(trees, root)
		fmt.Fprintf(&inv, "    %s:\n      plexform_root: %s\n      kit: %s\n      port: %d\n", h, root, kit, port)
		if h == failing {
			inv.WriteString("      plexform_set: {Broken: '1'}\n")
		}
	}
	a := newAnsible(t, bin)
	a.inventory(t, inv.String())

	checkRun(t, a, hosts, trees)
	applyRuns(t, a, hosts, failing,
		func(h string) string { return read(t, filepath.Join(roots[h], "srv", "plex", "Preferences.xml")) },
		func(h string) string { return get(t, fmt.Sprintf("http://127.0.0.1:%d/identity", ports[h])) })
	// Backups sit in backups_dir inside the host's root, private.
	for _, h := range hosts[:2] {
		fi, err := os.Stat(filepath.Join(roots[h], "var", "backups", "plexform"))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: backups dir: %v %v", h, fi, err)
		}
	}
}

// startLocal starts a kit's server and stops it when the test ends.
func startLocal(t *testing.T, kit string, port int) {
	t.Helper()
	if out, err := exec.Command(filepath.Join(kit, "start")).CombinedOutput(); err != nil {
		t.Fatalf("start the simulator: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(filepath.Join(kit, "stop")).CombinedOutput(); err != nil {
			t.Errorf("stop the simulator: %v\n%s", err, out)
		}
	})
	dockertest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/identity", port))
}

// hostImage is a container host as the module meets it: the static plexform (module
// and Plex simulator in one), a static busybox for /bin/sh and the commands Ansible's
// docker connection runs (dd, mkdir, chmod, rm), and the exec service's scripts in
// /plex. No Python.
const hostImage = "localhost/plexform-ansible-host:plexform-test"

func buildHostImage(t *testing.T, e *dockertest.Env) {
	t.Helper()
	busybox := testtool.Require(t, "busybox", "busybox-static")
	if f, err := elf.Open(busybox); err != nil || f.Section(".interp") != nil {
		testtool.Unavailable(t, busybox+" is not a static binary (Debian package busybox-static)")
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	files := []dockertest.File{
		{Name: "bin", Dir: true, Mode: 0o755}, {Name: "tmp", Dir: true, Mode: 0o1777}, {Name: "root", Dir: true, Mode: 0o700},
		{Name: "config", Dir: true, Mode: 0o755}, {Name: "plex", Dir: true, Mode: 0o755},
		{Name: "plexform", Mode: 0o755, Data: readBytes(t, e.Plexform)},
		{Name: "bin/busybox", Mode: 0o755, Data: readBytes(t, busybox)},
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" {
			files = append(files, dockertest.File{Name: "bin/" + applet, Link: "busybox"})
		}
	}
	for name, script := range kitScripts("/plex", "/plexform", "/config/Preferences.xml", "127.0.0.1:32400") {
		files = append(files, dockertest.File{Name: "plex/" + name, Mode: 0o755, Data: []byte(script)})
	}
	for name, plan := range hostPlans {
		files = append(files, dockertest.File{Name: "plex/" + name, Mode: 0o644, Data: []byte(plan)})
	}
	e.ImportImage(t, hostImage, files, "ENV PATH=/bin", `CMD ["/bin/sh", "-c", "/plex/start && exec sleep 2147483647"]`)
}

// TestPlaybookContainers: five container hosts on a real engine, reached over the
// community.docker.docker connection, each running its own simulated server on its own
// loopback (--network none).
func TestPlaybookContainers(t *testing.T) {
	testtool.Require(t, "ansible-playbook", "ansible")
	e := dockertest.Need(t)
	a := newAnsible(t, e.Plexform, "DOCKER_HOST="+e.Host)
	if out, err := a.command("ansible-doc", "-t", "connection", "community.docker.docker").CombinedOutput(); err != nil {
		testtool.Unavailable(t, "Ansible's community.docker collection is missing (Debian package ansible): "+strings.TrimSpace(string(out)))
	}
	buildHostImage(t, e)
	var hosts []string
	cfgs := map[string]string{}
	var trees []string
	var inv strings.Builder
	inv.WriteString("all:\n  vars:\n    ansible_connection: community.docker.docker\n    ansible_remote_tmp: /tmp/ansible\n" +
		"    prefs_path: /config/Preferences.xml\n    kit: /plex\n    port: 32400\n  hosts:\n")
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("plexform-ansible-%d", i)
		cfg := t.TempDir()
		write(t, filepath.Join(cfg, "Preferences.xml"), prefsXML(i))
		// tini (--init) reaps the simulator each stop leaves behind.
		e.Docker(t, "create", "--name", name, "--label", dockertest.Label+"=1", "--init", "--network", "none",
			"-v", cfg+":/config", hostImage)
		t.Cleanup(func() { _, _ = dockerCmd(e, "rm", "-f", name) })
		e.Docker(t, "start", name)
		hosts, cfgs[name] = append(hosts, name), cfg
		trees = append(trees, cfg)
		inv.WriteString("    " + name + ":\n")
	}
	failing := hosts[4]
	inv.WriteString("      plexform_set: {Broken: '1'}\n")
	identity := func(h string) string {
		out, _ := dockerCmd(e, "exec", h, "wget", "-q", "-O", "-", "http://127.0.0.1:32400/identity")
		return out
	}
	for _, h := range hosts {
		waitFor(t, h+" answers /identity", func() bool { return strings.Contains(identity(h), "MediaContainer") })
	}
	a.inventory(t, inv.String())

	checkRun(t, a, hosts, trees)
	for _, h := range hosts {
		if _, err := dockerCmd(e, "exec", h, "test", "-e", "/var/backups/plexform"); err == nil {
			t.Errorf("%s: --check made the backups dir", h)
		}
	}
	applyRuns(t, a, hosts, failing, func(h string) string { return read(t, filepath.Join(cfgs[h], "Preferences.xml")) }, identity)
}

// hostPlans are plan files in each container host's /plex: signin.yaml is
// examples/plex-signin.yaml for this host's store and exec service, asking the server
// only (no network to reach plex.tv); rename.yaml changes the same store, so an apply of
// it is a last change.
var hostPlans = map[string]string{
	"signin.yaml": `version: 1
resources:
  - name: prefs
    kind: xml_attributes
    path: /config/Preferences.xml
    service: plex
  - name: plex
    kind: service
    manager: exec
    start: [/plex/start]
    stop: [/plex/stop]
    status: [/plex/status]
    timeout: 10s
  - name: signin
    kind: plex_signin
    store: prefs
    service: plex
    url: http://127.0.0.1:32400
    timeout: 10s
`,
	"rename.yaml": `version: 1
resources:
  - name: prefs
    kind: xml_attributes
    path: /config/Preferences.xml
    set: {FriendlyName: renamed}
    service: plex
  - name: plex
    kind: service
    manager: exec
    start: [/plex/start]
    stop: [/plex/stop]
    status: [/plex/status]
    timeout: 10s
`,
}

// TestFleetStatusContainers runs examples/ansible/fleet-status.yml over three container
// hosts: one whose sign-in works (and which plexform changed before), one whose server
// holds no token (broken), one whose server does not run (unknown). It prints one table
// with a row each, writes nothing, and shows no secret.
func TestFleetStatusContainers(t *testing.T) {
	testtool.Require(t, "ansible-playbook", "ansible")
	e := dockertest.Need(t)
	a := newAnsible(t, e.Plexform, "DOCKER_HOST="+e.Host)
	if out, err := a.command("ansible-doc", "-t", "connection", "community.docker.docker").CombinedOutput(); err != nil {
		testtool.Unavailable(t, "Ansible's community.docker collection is missing (Debian package ansible): "+strings.TrimSpace(string(out)))
	}
	buildHostImage(t, e)
	prefs := map[string]string{
		"fleet-working": prefsXML(1),
		"fleet-broken":  "<Preferences ProcessedMachineIdentifier=\"p-2\" FriendlyName=\"host 2\"/>\n",
		// The simulator refuses to start with Broken set: nothing answers on 32400.
		"fleet-unknown": strings.Replace(prefsXML(3), "<Preferences ", "<Preferences Broken=\"1\" ", 1),
	}
	var inv strings.Builder
	inv.WriteString("plex:\n  vars:\n    ansible_connection: community.docker.docker\n    ansible_remote_tmp: /tmp/ansible\n" +
		"    plexform_signin_plan: /plex/signin.yaml\n  hosts:\n")
	for _, name := range []string{"fleet-broken", "fleet-unknown", "fleet-working"} {
		cfg := t.TempDir()
		write(t, filepath.Join(cfg, "Preferences.xml"), prefs[name])
		e.Docker(t, "create", "--name", name, "--hostname", name, "--label", dockertest.Label+"=1", "--init", "--network", "none",
			"-v", cfg+":/config", hostImage)
		t.Cleanup(func() { _, _ = dockerCmd(e, "rm", "-f", name) })
		e.Docker(t, "start", name)
		inv.WriteString("    " + name + ": {}\n")
	}
	for _, h := range []string{"fleet-working", "fleet-broken"} {
		waitFor(t, h+" answers /identity", func() bool {
			out, _ := dockerCmd(e, "exec", h, "wget", "-q", "-O", "-", "http://127.0.0.1:32400/identity")
			return strings.Contains(out, "MediaContainer")
		})
	}
	// A change plexform made on the working host before: its backup is the last change.
	if out, err := dockerCmd(e, "exec", "fleet-working", "/plexform", "apply", "-auto-approve", "-f", "/plex/rename.yaml"); err != nil {
		t.Fatalf("apply on fleet-working: %v\n%s", err, out)
	}
	// The settings' bytes and the backups: what check mode must leave alone (the
	// simulator's log grows with each request, so the whole /config is no measure).
	state := func(h string) string {
		out, _ := dockerCmd(e, "exec", h, "sh", "-c", "sha256sum /config/Preferences.xml; ls -la /var/lib/plexform/backups 2>&1")
		return out
	}
	before := map[string]string{}
	for _, h := range []string{"fleet-working", "fleet-broken", "fleet-unknown"} {
		before[h] = state(h)
	}
	a.inventory(t, inv.String())
	cmd := a.command("ansible-playbook", "-i", "inventory.yml", filepath.Join(repoRoot(t), "examples", "ansible", "fleet-status.yml"))
	outBytes, err := cmd.CombinedOutput()
	out := string(outBytes)
	t.Logf("fleet-status.yml:\n%s", out)
	if err != nil {
		t.Fatalf("fleet-status.yml: %v", err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"HOST +PLATFORM +SIGN-IN +LAST CHANGE +REASON"`),
		regexp.MustCompile(`"fleet-broken +linux/[a-z0-9]+ +broken +never +the server holds no sign-in token"`),
		regexp.MustCompile(`"fleet-unknown +linux/[a-z0-9]+ +unknown +never +the server cannot be asked"`),
		regexp.MustCompile(`"fleet-working +linux/[a-z0-9]+ +working +20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ +the server reports its sign-in as ok"`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the table lacks a line matching %s", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("fleet-status.yml printed the secret %q", s)
		}
	}
	for _, h := range []string{"fleet-working", "fleet-broken", "fleet-unknown"} {
		if after := state(h); after != before[h] {
			t.Errorf("%s: the check-mode run changed something:\n%s\nnow:\n%s", h, before[h], after)
		}
	}
}

// TestAnsibleDoc: ansible-doc renders the sidecar documentation beside the binary.
func TestAnsibleDoc(t *testing.T) {
	testtool.Require(t, "ansible-doc", "ansible")
	a := newAnsible(t, buildPlexform(t))
	cmd := a.command("ansible-doc", "-M", filepath.Join(a.dir, "library"), "plexform")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-doc: %v\n%s", err, out)
	}
	for _, want := range []string{"> PLEXFORM", "Runs a plexform plan on the target", "- plan_file", "- backups_dir",
		"- root", "check_mode", "RETURN VALUES", "resource_changes", "EXAMPLES"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ansible-doc lacks %q:\n%s", want, out)
		}
	}
}

// TestExamplePlaybook: the example playbooks and inventory parse as Ansible reads them.
func TestExamplePlaybook(t *testing.T) {
	testtool.Require(t, "ansible-playbook", "ansible")
	a := newAnsible(t, buildPlexform(t))
	ex := filepath.Join(repoRoot(t), "examples", "ansible")
	for _, book := range []string{"playbook.yml", "fleet-status.yml"} {
		cmd := a.command("ansible-playbook", "--syntax-check", "-i", filepath.Join(ex, "inventory.yml"), filepath.Join(ex, book))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ansible-playbook --syntax-check %s: %v\n%s", book, err, out)
		}
	}
	// Its inline plan is a valid plan, as the module will decode it.
	var plays []struct {
		Tasks []map[string]yaml.Node `yaml:"tasks"`
	}
	must(t, yaml.Unmarshal(readBytes(t, filepath.Join(ex, "playbook.yml")), &plays))
	found := 0
	for _, play := range plays {
		for _, task := range play.Tasks {
			mod, ok := task["plexform"]
			if !ok {
				continue
			}
			var args struct{ Plan yaml.Node }
			must(t, mod.Decode(&args))
			data, err := yaml.Marshal(&args.Plan)
			must(t, err)
			if _, err := plan.Decode("playbook.yml plan", data); err != nil {
				t.Errorf("the example playbook's plan: %v", err)
			}
			found++
		}
	}
	if found != 1 {
		t.Errorf("the example playbook has %d plexform tasks, want 1", found)
	}
}

func buildPlexform(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "plexform")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/plexform")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build plexform: %v\n%s", err, out)
	}
	return bin
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	must(t, err)
	return dir
}

func dockerCmd(e *dockertest.Env, args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.Host)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	must(t, os.WriteFile(to, readBytes(t, from), mode))
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	return data
}

func read(t *testing.T, path string) string { return string(readBytes(t, path)) }

func write(t *testing.T, path, content string) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(content), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
