package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/plexform/plexform/internal/plexsim"
)

// demo is one run of `plexform demo`: the story told about a throw-away host that the
// simulator's package makes and supervises (plexsim.DemoHost).
type demo struct {
	env  *cliEnv
	host *plexsim.DemoHost
	step int
}

const demoSteps = 6

// demoOptions are the flags of `plexform demo`.
type demoOptions struct {
	keep bool
}

func (o *demoOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.keep, "keep", false, "keep the throw-away host's directory (plan, Preferences.xml, backups) and print where it is")
}

func (o *demoOptions) run(env *cliEnv, fs *cmdFlags, args []string) int {
	if len(args) > 0 {
		fs.Usage()
		return exitError
	}
	if runtime.GOOS == "windows" {
		return fail(env, errors.New("the demo runs its simulated server with Unix signals; run it on Linux or macOS"))
	}
	self, err := os.Executable()
	if err != nil {
		return fail(env, fmt.Errorf("find plexform's own executable to run the simulator: %w", err))
	}
	h, err := plexsim.NewDemoHost(self)
	if err != nil {
		return fail(env, err)
	}
	d := &demo{env: env, host: h}
	// Ctrl-C, a closed terminal or a closed pipe (demo | head) must not leave the
	// simulated server running and the temp dir behind.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	finished := make(chan struct{})
	go func() {
		select {
		case <-signals:
			_ = d.cleanUp(o.keep)
			os.Exit(130)
		case <-finished:
		}
	}()
	code := d.run()
	signal.Stop(signals)
	close(finished)
	if err := d.cleanUp(o.keep); err != nil {
		errorf(env, "clean up the demo: %s\n", err)
		if code == exitOK {
			code = exitError
		}
	}
	return code
}

func (d *demo) run() int {
	h, out := d.host, d.env.stdout
	fmt.Fprintf(out, "plexform demo: a throw-away Plex host in %s\n", h.Dir)
	fmt.Fprintln(out, "No real Plex is touched: the server is plexform's own simulator, which behaves like Plex")
	fmt.Fprintln(out, "Media Server where it matters (reads its settings at start, rewrites them on shutdown).")

	d.header("A signed-in Plex server")
	if err := h.Make(); err != nil {
		return fail(d.env, err)
	}
	if err := h.Start(); err != nil {
		return fail(d.env, err)
	}
	if err := d.showSignIn(); err != nil {
		return fail(d.env, err)
	}
	if err := d.showIdentity("the server is signed in to a Plex account"); err != nil {
		return fail(d.env, err)
	}

	d.header("The plan file: the sign-in values absent, the server running")
	planText, err := os.ReadFile(h.PlanFile)
	if err != nil {
		return fail(d.env, err)
	}
	fmt.Fprintf(out, "%s:\n\n%s", h.PlanFile, indent(string(planText)))

	d.header("plexform plan: what apply would change (changes nothing)")
	if code := d.plexform("plan", "-f", h.PlanFile); code != exitOK {
		return code
	}

	d.header("plexform apply: back up, stop the server, remove the values, start, verify")
	if code := d.plexform("apply", "-f", h.PlanFile, "-auto-approve"); code != exitOK {
		return code
	}
	fmt.Fprintf(out, "(In this demo the server listens on %s, not on Plex's own 127.0.0.1:32400.)\n", h.Listen)

	d.header("After the apply")
	if err := d.showSignIn(); err != nil {
		return fail(d.env, err)
	}
	if err := h.WaitListening(); err != nil {
		return fail(d.env, err)
	}
	if err := d.showIdentity("the server runs again, unclaimed, ready to be signed in"); err != nil {
		return fail(d.env, err)
	}

	d.header("The backups plexform kept")
	if code := d.plexform("backups", "-f", h.PlanFile); code != exitOK {
		return code
	}
	fmt.Fprintln(out, "\nEach backup is a copy of Preferences.xml as it was, mode 0600; `plexform restore ID` puts one back.")
	return exitOK
}

func (d *demo) header(title string) {
	d.step++
	fmt.Fprintf(d.env.stdout, "\n== Step %d of %d: %s ==\n\n", d.step, demoSteps, title)
}

// plexform shows a plexform command line and runs it in this process.
func (d *demo) plexform(args ...string) int {
	fmt.Fprintf(d.env.stdout, "$ plexform %s\n\n", strings.Join(args, " "))
	return run(args, d.env)
}

// showSignIn lists which sign-in values Preferences.xml holds, by name only.
func (d *demo) showSignIn() error {
	present, err := d.host.SignIn()
	if err != nil {
		return err
	}
	if len(present) == 0 {
		fmt.Fprintf(d.env.stdout, "%s holds none of the sign-in values now; every other setting is as it was.\n", d.host.Prefs)
		return nil
	}
	fmt.Fprintf(d.env.stdout, "%s holds a made-up sign-in: %s.\n", d.host.Prefs, strings.Join(present, ", "))
	return nil
}

func (d *demo) showIdentity(meaning string) error {
	url, claimed, err := d.host.Claimed()
	if err != nil {
		return err
	}
	fmt.Fprintf(d.env.stdout, "GET %s says claimed=\"%s\": %s.\n", url, claimed, meaning)
	return nil
}

// cleanUp stops the simulator and, unless keep, removes the throw-away host.
func (d *demo) cleanUp(keep bool) error {
	if keep {
		err := d.host.Stop()
		fmt.Fprintf(d.env.stdout, "\nKept the demo host in %s (the simulated server is stopped).\n", d.host.Dir)
		return err
	}
	err := d.host.Remove()
	fmt.Fprintf(d.env.stdout, "\nRemoved the demo host %s, its backups included (plexform demo -keep keeps it).\n", d.host.Dir)
	return err
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

// runPidfile is one of the pidfile supervisor's hidden commands, which the demo's plan
// runs as its service's start, stop and status (plexsim.DemoHost).
func runPidfile(verb string) func(env *cliEnv, args []string) int {
	return func(env *cliEnv, args []string) int {
		usage := "PIDFILE"
		if verb == plexsim.PidfileStartCommand {
			usage = "PIDFILE PROGRAM [ARG...]"
		}
		if len(args) < 1 || (verb == plexsim.PidfileStartCommand) != (len(args) > 1) {
			fmt.Fprintf(env.stderr, "usage: plexform %s %s\n", verb, usage)
			return 2
		}
		var err error
		switch verb {
		case plexsim.PidfileStartCommand:
			err = plexsim.StartPidfile(args[0], args[1:])
		case plexsim.PidfileStopCommand:
			err = plexsim.StopPidfile(args[0])
		case plexsim.PidfileStatusCommand:
			// 0 while the recorded pid runs and 1 when it does not, as the exec
			// manager's status command must.
			if !plexsim.PidfileAlive(args[0]) {
				return exitError
			}
		}
		if err != nil {
			return fail(env, err)
		}
		return exitOK
	}
}
