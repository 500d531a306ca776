package main

import (
	"github.com/plexform/plexform/internal/childenv"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/xmlattrs"
)

func init() {
	commands = append(commands, command{"demo", "reset a throw-away simulated Plex server, to see plan and apply at work", runDemo})
	// The demo's plan drives the simulator with the exec manager; these give it a
	// start/stop/status that work without a shell or an init system.
	hiddenCommands["__pidfile-start"] = runPidfileStart
	hiddenCommands["__pidfile-stop"] = runPidfileStop
	hiddenCommands["__pidfile-status"] = runPidfileStatus
}

// The made-up sign-in of the demo's server. None of it may ever be printed: the demo
// shows that plexform hides tokens, so it relies on plexform's own output throughout.
const (
	demoToken    = "demo-not-a-real-token-Qx7Lk29Zp"
	demoMail     = "jane@example.com"
	demoUsername = "jane_demo"
)

var signInNames = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

// demoWait bounds each wait of the demo, so a broken simulator ends the demo with an
// error instead of hanging it; a healthy run needs a fraction of a second.
const demoWait = 15 * time.Second

// demo is one run of `plexform demo` and the throw-away host it made.
type demo struct {
	env      *cliEnv
	self     string // this executable, re-run as the simulator and its service commands
	dir      string
	prefs    string
	planFile string
	pidFile  string
	addrFile string
	listen   string
	step     int
}

const demoSteps = 6

func runDemo(env *cliEnv, args []string) int {
	fs := newFlags(env, "demo", "[-keep]")
	keep := fs.Bool("keep", false, "keep the throw-away host's directory (plan, Preferences.xml, backups) and print where it is")
	if positional, ok := parse(fs, args); !ok || len(positional) > 0 {
		if ok {
			fs.Usage()
		}
		return exitError
	}
	if runtime.GOOS == "windows" {
		return fail(env, errors.New("the demo runs its simulated server with Unix signals; run it on Linux or macOS"))
	}
	self, err := os.Executable()
	if err != nil {
		return fail(env, fmt.Errorf("find plexform's own executable to run the simulator: %w", err))
	}
	dir, err := os.MkdirTemp("", "plexform-demo-")
	if err != nil {
		return fail(env, fmt.Errorf("make the demo's temporary directory: %w", err))
	}
	// A copy inside the demo's directory keeps the plan it shows short and readable
	// (go run builds into a long cache path) and goes away with the directory.
	if copied, err := copyExecutable(self, filepath.Join(dir, "bin", "plexform")); err == nil {
		self = copied
	}
	d := &demo{
		env:      env,
		self:     self,
		dir:      dir,
		prefs:    filepath.Join(dir, "Library", "Application Support", "Plex Media Server", "Preferences.xml"),
		planFile: filepath.Join(dir, "plexform.yaml"),
		pidFile:  filepath.Join(dir, "run", "plexsim.pid"),
		addrFile: filepath.Join(dir, "run", "plexsim.addr"),
	}
	// Ctrl-C, a closed terminal or a closed pipe (demo | head) must not leave the
	// simulated server running and the temp dir behind.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	finished := make(chan struct{})
	go func() {
		select {
		case <-signals:
			_ = d.cleanUp(*keep)
			os.Exit(130)
		case <-finished:
		}
	}()
	code := d.run()
	signal.Stop(signals)
	close(finished)
	if err := d.cleanUp(*keep); err != nil {
		errorf(env, "clean up the demo: %s\n", err)
		if code == exitOK {
			code = exitError
		}
	}
	return code
}

func (d *demo) run() int {
	fmt.Fprintf(d.env.stdout, "plexform demo: a throw-away Plex host in %s\n", d.dir)
	fmt.Fprintln(d.env.stdout, "No real Plex is touched: the server is plexform's own simulator, which behaves like Plex")
	fmt.Fprintln(d.env.stdout, "Media Server where it matters (reads its settings at start, rewrites them on shutdown).")

	d.header("A signed-in Plex server")
	if err := d.makeHost(); err != nil {
		return fail(d.env, err)
	}
	if err := d.startServer(); err != nil {
		return fail(d.env, err)
	}
	if err := d.showSignIn(); err != nil {
		return fail(d.env, err)
	}
	if err := d.showIdentity("the server is signed in to a Plex account"); err != nil {
		return fail(d.env, err)
	}

	d.header("The plan file: the sign-in values absent, the server running")
	planText, err := os.ReadFile(d.planFile)
	if err != nil {
		return fail(d.env, err)
	}
	fmt.Fprintf(d.env.stdout, "%s:\n\n%s", d.planFile, indent(string(planText)))

	d.header("plexform plan: what apply would change (changes nothing)")
	d.command("plexform plan -f " + d.planFile)
	if code := run([]string{"plan", "-f", d.planFile}, d.env); code != exitOK {
		return code
	}

	d.header("plexform apply: back up, stop the server, remove the values, start, verify")
	d.command("plexform apply -f " + d.planFile + " -auto-approve")
	if code := run([]string{"apply", "-f", d.planFile, "-auto-approve"}, d.env); code != exitOK {
		return code
	}
	fmt.Fprintf(d.env.stdout, "(In this demo the server listens on %s, not on Plex's own 127.0.0.1:32400.)\n", d.listen)

	d.header("After the apply")
	if err := d.showSignIn(); err != nil {
		return fail(d.env, err)
	}
	if err := waitAddr(d.addrFile); err != nil {
		return fail(d.env, err)
	}
	if err := d.showIdentity("the server runs again, unclaimed, ready to be signed in"); err != nil {
		return fail(d.env, err)
	}

	d.header("The backups plexform kept")
	d.command("plexform backups -f " + d.planFile)
	if code := run([]string{"backups", "-f", d.planFile}, d.env); code != exitOK {
		return code
	}
	fmt.Fprintln(d.env.stdout, "\nEach backup is a copy of Preferences.xml as it was, mode 0600; `plexform restore ID` puts one back.")
	return exitOK
}

func (d *demo) header(title string) {
	d.step++
	fmt.Fprintf(d.env.stdout, "\n== Step %d of %d: %s ==\n\n", d.step, demoSteps, title)
}

func (d *demo) command(line string) { fmt.Fprintf(d.env.stdout, "$ %s\n\n", line) }

// makeHost writes the signed-in Preferences.xml and the plan that resets it.
func (d *demo) makeHost() error {
	for _, sub := range []string{filepath.Dir(d.prefs), filepath.Dir(d.pidFile)} {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return fmt.Errorf("make the demo host: %w", err)
		}
	}
	prefs := `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<Preferences OldestPreviousVersion="1.32.5.7349-8f4248874" MachineIdentifier="3f1c2e4a-demo-4d8e-9a1b-7c6d5e4f3a2b"` +
		` ProcessedMachineIdentifier="8b0f3e1d9c7a6b5e4d3c2b1a0f9e8d7c6b5a4f3e" AcceptedEULA="1" FriendlyName="demo-server"` +
		` PlexOnlineHome="1" PlexOnlineMail="` + demoMail + `" PlexOnlineToken="` + demoToken + `" PlexOnlineUsername="` + demoUsername + `"` +
		` LanguageInCloud="1"/>` + "\n"
	if err := os.WriteFile(d.prefs, []byte(prefs), 0o600); err != nil {
		return fmt.Errorf("write the demo's Preferences.xml: %w", err)
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	d.listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := os.WriteFile(d.planFile, []byte(d.planYAML()), 0o600); err != nil {
		return fmt.Errorf("write the demo's plan file: %w", err)
	}
	return nil
}

// planYAML is the demo's plan. Strings are JSON-quoted, which YAML reads as
// double-quoted scalars, so any temporary directory name is safe in it.
func (d *demo) planYAML() string {
	sim := []string{d.self, "__plexsim", "-prefs", d.prefs, "-listen", d.listen, "-addr-file", d.addrFile}
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
`, yamlQuote(filepath.Join(d.dir, "backups")), yamlQuote(d.prefs), strings.Join(signInNames, ", "),
		yamlList(append([]string{d.self, "__pidfile-start", d.pidFile}, sim...)),
		yamlList([]string{d.self, "__pidfile-stop", d.pidFile}),
		yamlList([]string{d.self, "__pidfile-status", d.pidFile}),
		yamlQuote("http://"+d.listen+"/identity"), yamlQuote(`claimed="0"`))
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

func (d *demo) startServer() error {
	sim := []string{d.self, "__plexsim", "-prefs", d.prefs, "-listen", d.listen, "-addr-file", d.addrFile}
	if err := pidfileStart(d.pidFile, sim); err != nil {
		return err
	}
	return waitAddr(d.addrFile)
}

// showSignIn lists which sign-in values Preferences.xml holds, by name only.
func (d *demo) showSignIn() error {
	st, err := xmlattrs.New(d.prefs, "").Read(context.Background())
	if err != nil {
		return err
	}
	var present []string
	for _, name := range signInNames {
		if _, ok := st.Values[name]; ok {
			present = append(present, name)
		}
	}
	if len(present) == 0 {
		fmt.Fprintf(d.env.stdout, "%s holds none of the sign-in values now; every other setting is as it was.\n", d.prefs)
		return nil
	}
	fmt.Fprintf(d.env.stdout, "%s holds a made-up sign-in: %s.\n", d.prefs, strings.Join(present, ", "))
	return nil
}

var claimedAttr = lazyre.New(`claimed="([01])"`)

func (d *demo) showIdentity(meaning string) error {
	addr, err := readAddr(d.addrFile)
	if err != nil {
		return err
	}
	url := "http://" + addr + "/identity"
	client := http.Client{Timeout: demoWait}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("ask the simulated server who it is: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	m := claimedAttr.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("%s answered without a claimed attribute (status %s)", url, resp.Status)
	}
	fmt.Fprintf(d.env.stdout, "GET %s says claimed=\"%s\": %s.\n", url, m[1], meaning)
	return nil
}

// cleanUp stops the simulator and, unless keep, removes the throw-away host.
func (d *demo) cleanUp(keep bool) error {
	err := stopAndWait(d.pidFile)
	if keep {
		fmt.Fprintf(d.env.stdout, "\nKept the demo host in %s (the simulated server is stopped).\n", d.dir)
		return err
	}
	fmt.Fprintf(d.env.stdout, "\nRemoved the demo host %s, its backups included (plexform demo -keep keeps it).\n", d.dir)
	return errors.Join(err, os.RemoveAll(d.dir))
}

func stopAndWait(pidFile string) error {
	if !pidfileAlive(pidFile) {
		return nil
	}
	if err := pidfileStop(pidFile); err != nil {
		return err
	}
	return waitUntil(func() bool { return !pidfileAlive(pidFile) }, "the simulated server to stop")
}

func readAddr(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the simulated server's address: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// waitAddr waits for the simulator to write its address file, which it does once it
// accepts connections.
func waitAddr(path string) error {
	return waitUntil(func() bool {
		data, err := os.ReadFile(path)
		return err == nil && strings.HasSuffix(string(data), "\n")
	}, "the simulated server to listen")
}

func waitUntil(done func() bool, what string) error {
	deadline := time.Now().Add(demoWait)
	for delay := 5 * time.Millisecond; !done(); delay = min(2*delay, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up waiting for %s after %s", what, demoWait)
		}
		time.Sleep(delay)
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

// runPidfileStart starts PROGRAM in the background and records its pid, the way an
// init script's start does; it returns as soon as the program runs.
func runPidfileStart(env *cliEnv, args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(env.stderr, "usage: plexform __pidfile-start PIDFILE PROGRAM [ARG...]")
		return 2
	}
	if err := pidfileStart(args[0], args[1:]); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// runPidfileStop sends SIGTERM to the recorded pid; a program that is not running
// counts as stopped.
func runPidfileStop(env *cliEnv, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(env.stderr, "usage: plexform __pidfile-stop PIDFILE")
		return 2
	}
	if err := pidfileStop(args[0]); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// runPidfileStatus exits 0 while the recorded pid runs and 1 when it does not, as the
// exec manager's status command must.
func runPidfileStatus(env *cliEnv, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(env.stderr, "usage: plexform __pidfile-status PIDFILE")
		return 2
	}
	if pidfileAlive(args[0]) {
		return exitOK
	}
	return exitError
}

func pidfileStart(pidFile string, argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	childenv.Apply(cmd)
	// No stdin/stdout/stderr: the program must hold no pipe of whoever started it, or
	// the caller would wait for it to exit.
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", argv[0], err)
	}
	if err := fileutil.WritePrivate(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n")); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	return cmd.Process.Release()
}

func pidfileStop(pidFile string) error {
	pid, err := readPid(pidFile)
	if err != nil || !alive(pid) {
		return nil
	}
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Signal(syscall.SIGTERM)
	}
	if err != nil && alive(pid) {
		return fmt.Errorf("stop pid %d from %s: %w", pid, pidFile, err)
	}
	return nil
}

func pidfileAlive(pidFile string) bool {
	pid, err := readPid(pidFile)
	return err == nil && alive(pid)
}

func readPid(pidFile string) (int, error) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a pid", pidFile)
	}
	return pid, nil
}

// alive reports whether pid runs. An exited program whose parent has not reaped it yet
// (a zombie; the pidfile-start process that was its parent is long gone, and not every
// init reaps at once) no longer runs.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	return !isZombie(pid)
}

// isZombie reads the process state from /proc where there is one (Linux).
func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state is the first field after the command name, which is in parentheses and
	// may itself contain spaces and parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(data[i+1:]))
	return len(fields) > 0 && slices.Contains([]string{"Z", "X"}, fields[0])
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
