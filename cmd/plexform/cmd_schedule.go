package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/kinds"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/schedule"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores/fileutil"
)

// scheduleUsage and helpSchedule are schedule's usage line and help (commands.go).
const scheduleUsage = "install -f PLAN -every DURATION [-name NAME] [-force] | status [-json] | remove [NAME]"

const helpSchedule = `  install puts a periodic "plexform apply -auto-approve -f PLAN" into this
  host's own scheduler: a systemd service and timer (plexform-NAME), a launchd
  plist, a Task Scheduler task, or a cron line where none of these runs. The
  plan is validated first; a reset plan is refused without -force, because it
  would sign the owner out at every run: schedule a plex_signin plan. The
  plan's {env:} values go to a 0600 file only the run reads. status lists
  every plexform schedule with its next and last run and last result (-json);
  remove [NAME] takes out what install made, and nothing else. A scheduled
  run that finds the sign-in broken and cannot repair it unattended exits 5.

Example:
  sudo plexform schedule install -f /etc/plexform/plex-signin.yaml -every 1h
`

// exitSigninNeedsPerson: a scheduled run found the sign-in broken and could not repair
// it unattended (nobody entered the link code, or the plan does not re-link).
const exitSigninNeedsPerson = 5

// scheduleSubcommands are schedule's subcommands, each an options struct and its run as
// the table's commands are (command.subcommands).
var scheduleSubcommands = []command{
	{name: "schedule install", usage: "-f PLAN -every DURATION [-name NAME] [-force]", noArgs: true, options: func() options { return &scheduleInstallOptions{} }},
	{name: "schedule status", usage: "[-json]", noArgs: true, options: func() options { return &scheduleStatusOptions{} }},
	{name: "schedule remove", usage: "[NAME]", options: func() options { return &scheduleRemoveOptions{} }},
}

// scheduleTarget is the scheduler and host the schedule subcommands work on: this
// machine's own, or -scheduler and -root for a tree (tests, an image being prepared),
// where no scheduler command runs.
type scheduleTarget struct {
	sched schedule.Scheduler
	host  *schedule.Host
	goos  string // the OS the schedule's plan runs on
	root  string
}

// scheduleTargetFlags are the flags every schedule subcommand has: which scheduler,
// and a tree to write into instead of this host.
type scheduleTargetFlags struct{ scheduler, root string }

func (o *scheduleTargetFlags) flags(fs *cmdFlags) {
	fs.StringVar(&o.scheduler, "scheduler", "", "use this scheduler: "+strings.Join(schedule.Names, ", ")+" (default: this host's)")
	fs.StringVar(&o.root, "root", "", "write into the tree at `DIR` instead of this host, and run no scheduler command")
}

func newScheduleTarget(env *cliEnv, schedFlag, rootFlag string) (*scheduleTarget, error) {
	root, err := checkRoot(rootFlag)
	if err != nil {
		return nil, err
	}
	t := &scheduleTarget{goos: runtime.GOOS, root: root}
	t.host = &schedule.Host{Root: fileutil.RootAt(root), System: runtime.GOOS != "windows" && os.Geteuid() == 0}
	if home, err := os.UserHomeDir(); err == nil {
		t.host.Home = filepath.ToSlash(home)
	}
	if root == "" {
		t.host.Run = schedule.Exec
	}
	if schedFlag == "" {
		t.sched = schedule.Detect(runtime.GOOS, t.host.Root)
	} else if s, ok := schedule.ByName(schedFlag); ok {
		t.sched = s
	} else {
		return nil, fmt.Errorf("-scheduler %s: not one of %s", schedFlag, strings.Join(schedule.Names, ", "))
	}
	switch t.sched.Name() {
	case "launchd":
		t.goos = "darwin"
	case "taskscheduler":
		t.goos = "windows"
	}
	return t, nil
}

// envDir is where this target's schedules keep their environment files.
func (t *scheduleTarget) envDir(env *cliEnv) string {
	return schedule.EnvDir(t.goos, t.host.System, t.host.Home, env.getenv)
}

// scheduleInstallOptions are schedule install's flags.
type scheduleInstallOptions struct {
	scheduleTargetFlags
	file, name string
	every      time.Duration
	force      bool
}

func (o *scheduleInstallOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "plan file to apply on the schedule")
	fs.DurationVar(&o.every, "every", time.Hour, "how often: a divisor of an hour (5m, 15m, 30m) or of a day (1h, 6h, 24h)")
	fs.StringVar(&o.name, "name", "", "the schedule's name (default: the plan file's name)")
	fs.BoolVar(&o.force, "force", false, "schedule a reset plan anyway (it signs the owner out at every run)")
	o.scheduleTargetFlags.flags(fs)
}

func (o *scheduleInstallOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	file, every, name, force := &o.file, &o.every, &o.name, &o.force
	t, err := newScheduleTarget(env, o.scheduler, o.root)
	if err != nil {
		return fail(env, err)
	}
	abs, err := filepath.Abs(*file)
	if err != nil {
		return fail(env, err)
	}
	// The plan is checked as validate checks it, and stored absolute: the scheduler runs
	// it from another directory.
	p, err := loadPlan(abs)
	if err != nil {
		return fail(env, err)
	}
	// A plan whose every resource is for another OS (when:) would run and report "no
	// changes" forever, as plan -detailed-exitcode exits 4 for it.
	if len(p.Selected(t.goos)) == 0 {
		errorf(env, "%s has nothing for %s: every resource's when: leaves this OS out, so each scheduled run would check nothing and report no changes. Schedule a plan written for this OS; nothing was installed\n", *file, t.goos)
		return exitNothingApplies
	}
	reasons := schedule.ResetReasons(p, t.goos)
	if len(reasons) > 0 && !*force {
		return fail(env, schedule.ResetRefusal(*file, reasons))
	}
	if *name == "" {
		*name = schedule.NameFor(abs)
	}
	if err := schedule.CheckName(*name); err != nil {
		return fail(env, err)
	}
	if _, err := schedule.CalendarOf(*every); err != nil {
		return fail(env, err)
	}
	exe, err := scheduledExe(os.Executable, exec.LookPath)
	if err != nil {
		return fail(env, fmt.Errorf("find plexform's own path for the schedule: %w", err))
	}
	job := schedule.Job{Name: *name, Plan: abs, Exe: exe, Every: *every, User: taskUser(p)}
	if err := checkTaskUser(t.goos, job.User, p, *file); err != nil {
		return fail(env, err)
	}
	job.Reset = len(reasons) > 0
	envFile := schedule.EnvFile(t.envDir(env), *name)
	wroteEnv, err := schedule.WriteEnvFile(t.host.Root, envFile, schedule.EnvNames(p), env.getenv)
	if err != nil {
		return fail(env, err)
	}
	if wroteEnv {
		job.EnvFile = envFile
	}
	files, err := t.sched.Install(t.host, job)
	if err != nil {
		if len(files) > 0 {
			return fail(env, fmt.Errorf("%w\nWritten so far: %s; `plexform schedule remove %s` removes them", err, strings.Join(files, ", "), *name))
		}
		return fail(env, err)
	}
	fmt.Fprintf(env.stdout, "Installed schedule %s (%s): plexform apply -auto-approve -f %s, %s.\n", *name, t.sched.Name(), shellQuote(abs), schedule.DescribeEvery(*every))
	for _, f := range files {
		fmt.Fprintf(env.stdout, "  wrote %s\n", f)
	}
	if wroteEnv {
		fmt.Fprintf(env.stdout, "  wrote %s (0600): the plan's {env:} values, read by each run\n", envFile)
	}
	if t.root != "" {
		fmt.Fprintf(env.stdout, "Under -root nothing was enabled: no scheduler command ran.\n")
	}
	if job.Reset {
		warnf(env, "schedule %s applies a reset plan (-force): every run signs the owner out (%s). schedule status marks it; remove it with: plexform schedule remove %s\n", *name, strings.Join(reasons, "; "), *name)
	}
	fmt.Fprintf(env.stdout, "Each run logs to %s. See it with: plexform schedule status\n", logPlace(t, *name))
	if t.sched.Name() == "systemd" && !t.host.System {
		fmt.Fprintf(env.stdout, "User timers run only while you are logged in, unless you run: loginctl enable-linger\n")
	}
	return exitOK
}

// checkTaskUser refuses a Windows task that runs as another account (the plan's
// registry store names another user's hive) when the run would look for its files in
// its own %LOCALAPPDATA%, not the installer's: the environment file install writes
// (EnvDir) and, with no backups: dir, the backups dir where status reads its result
// (state.DefaultPath). A task runs with its principal's profile (Task Scheduler,
// "Principal": https://learn.microsoft.com/windows/win32/taskschd/principal), so its
// %LOCALAPPDATA% is that user's.
func checkTaskUser(goos, taskAccount string, p *plan.Plan, file string) error {
	if goos != "windows" || taskAccount == "" {
		return nil
	}
	me, err := user.Current()
	if err != nil || sameAccount(taskAccount, me) {
		return nil
	}
	var needs []string
	if names := schedule.EnvNames(p); len(names) > 0 {
		needs = append(needs, "its {env:} values ("+strings.Join(names, ", ")+"), which install keeps in your %LOCALAPPDATA%")
	}
	if p.Backups.Dir == "" {
		needs = append(needs, "its result, which it writes to its own %LOCALAPPDATA%\\plexform\\backups where schedule status, run by you, does not look")
	}
	if len(needs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: the task would run as %s (the registry store's user:), not as you (%s), and would not find %s. "+
		"Run schedule install as %s, or give the values as {file: PATH} and set backups: {dir: ...} in the plan", file, taskAccount, me.Username, strings.Join(needs, ", nor "), taskAccount)
}

// sameAccount says whether account (a name, DOMAIN\name, or a SID) is u.
func sameAccount(account string, u *user.User) bool {
	base := func(s string) string { return s[strings.LastIndex(s, `\`)+1:] }
	return strings.EqualFold(account, u.Uid) || strings.EqualFold(base(account), base(u.Username))
}

// scheduledExe is the plexform the schedule runs: the one `plexform` finds on PATH when
// it is this very program, else this program's own path, never resolved through links.
// A package manager's stable name links to a versioned file that an upgrade deletes:
// Homebrew's /opt/homebrew/bin/plexform (or /usr/local/bin) to
// Cellar/plexform/VERSION/bin/plexform, which `brew cleanup` deletes after an upgrade
// (brew(1), https://docs.brew.sh/Manpage, "cleanup": "remove ... old versions of
// installed formulae"); Scoop's shims and apps\plexform\current, a junction to the
// version's directory, whose old versions `scoop cleanup` deletes
// (https://github.com/ScoopInstaller/Scoop, libexec/scoop-cleanup.ps1). On Linux
// os.Executable is already resolved (/proc/self/exe, proc(5)), so the name PATH finds is
// what keeps the link.
func scheduledExe(executable func() (string, error), lookPath func(string) (string, error)) (string, error) {
	self, err := executable()
	if err != nil {
		return "", err
	}
	onPath, err := lookPath("plexform")
	if err == nil {
		onPath, err = filepath.Abs(onPath)
	}
	if err == nil {
		a, errA := os.Stat(onPath)
		b, errB := os.Stat(self)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return onPath, nil
		}
	}
	return self, nil
}

// taskUser is the account a Windows task runs as: the user whose hive the plan's
// registry store names, or the one installing it (whose HKEY_CURRENT_USER it reads).
func taskUser(p *plan.Plan) string {
	for _, r := range p.Resources {
		if s, ok := r.Spec.(*kinds.RegistryValues); ok && s.User != "" {
			return s.User
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// logPlace says where a schedule's runs log, for the install message.
func logPlace(t *scheduleTarget, name string) string {
	switch t.sched.Name() {
	case "systemd":
		if t.host.System {
			return "the journal (journalctl -u plexform-" + name + ")"
		}
		return "the journal (journalctl --user -u plexform-" + name + ")"
	case "launchd":
		dir := "/Library/Logs/plexform"
		if !t.host.System {
			dir = t.host.Home + dir
		}
		return dir + "/plexform-" + name + ".log, and its result line to the unified log (log show --predicate 'process == \"logger\"')"
	case "taskscheduler":
		return "the Application event log (source plexform)"
	}
	return "syslog (tag plexform-" + name + ")"
}

// scheduleStatusOptions are schedule status's flags.
type scheduleStatusOptions struct {
	scheduleTargetFlags
	asJSON bool
}

func (o *scheduleStatusOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON document")
	o.scheduleTargetFlags.flags(fs)
}

func (o *scheduleStatusOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	view := schedule.NewStatusView(o.asJSON, env.stdout)
	t, err := newScheduleTarget(env, o.scheduler, o.root)
	if err != nil {
		return fail(env, err)
	}
	entries, err := t.sched.List(t.host)
	if err != nil {
		return fail(env, fmt.Errorf("list %s schedules: %w", t.sched.Name(), err))
	}
	rows := make([]schedule.Row, 0, len(entries))
	for _, e := range entries {
		r := schedule.Row{Entry: e, Every: e.Every.String()}
		r.Last, err = lastStatus(e, t.root)
		if err != nil {
			r.Problem = err.Error()
		}
		rows = append(rows, r)
	}
	if err := view.List(t.sched.Name(), rows); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// lastStatus reads a schedule's status file from its plan's backups dir; nil and no
// error when no run has finished yet.
func lastStatus(e schedule.Entry, root string) (*schedule.Status, error) {
	p, perr := loadPlan(e.Plan)
	if perr != nil {
		p = nil // the run writes to the default dir when its plan does not decode
	}
	backups, err := state.Locate(p, root)
	if err != nil {
		return nil, err
	}
	st, err := schedule.ReadStatus(backups, e.Name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return st, err
}

// scheduleRemoveOptions are schedule remove's flags.
type scheduleRemoveOptions struct{ scheduleTargetFlags }

func (o *scheduleRemoveOptions) run(env *cliEnv, fs *cmdFlags, positional []string) int {
	if len(positional) > 1 {
		fs.Usage()
		return exitError
	}
	t, err := newScheduleTarget(env, o.scheduler, o.root)
	if err != nil {
		return fail(env, err)
	}
	entries, err := t.sched.List(t.host)
	if err != nil {
		return fail(env, fmt.Errorf("list %s schedules: %w", t.sched.Name(), err))
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if len(positional) == 1 {
		if !slices.Contains(names, positional[0]) {
			msg := fmt.Sprintf("there is no plexform schedule named %q (%s)", positional[0], t.sched.Name())
			if len(names) > 0 {
				msg += "; the schedules are: " + strings.Join(names, ", ")
			} else {
				msg += "; there are none"
			}
			return fail(env, errors.New(msg))
		}
		names = positional
	}
	if len(names) == 0 {
		fmt.Fprintf(env.stdout, "No plexform schedules to remove (%s).\n", t.sched.Name())
		return exitOK
	}
	for _, name := range names {
		removed, err := t.sched.Remove(t.host, name)
		for _, f := range removed {
			fmt.Fprintf(env.stdout, "Removed %s\n", f)
		}
		// The environment file goes with the units even when the scheduler failed: a
		// schedule that is not there keeps no secret.
		envFile := schedule.EnvFile(t.envDir(env), name)
		if e := entries[slices.IndexFunc(entries, func(e schedule.Entry) bool { return e.Name == name })]; e.EnvFile != "" {
			envFile = e.EnvFile // where install wrote it, named in the schedule's files
		}
		if rmErr := os.Remove(t.host.Root.Path(envFile)); rmErr == nil {
			fmt.Fprintf(env.stdout, "Removed %s\n", envFile)
		}
		if err != nil {
			return fail(env, fmt.Errorf("remove schedule %s: %w", name, err))
		}
		fmt.Fprintf(env.stdout, "Schedule %s removed.\n", name)
	}
	return exitOK
}

// scheduledRun is an apply started by a schedule (apply -schedule NAME): it reads the
// schedule's environment file, and when it ends it writes the status file and its
// one-line result.
type scheduledRun struct {
	name, planFile, root string
	started              time.Time
	changes              *plan.Changes
	// err is why the apply failed, when it did: the status file's message.
	err error
}

// failed records why the run's apply failed; a nil run records nothing.
func (s *scheduledRun) failed(err error) {
	if s != nil {
		s.err = err
	}
}

// waitedForPerson says whether a failed apply failed for want of a person: the link code
// expired before anyone entered it at plex.tv/link, or plex.tv refused the claim token
// (a claim token lives 4 minutes: a new one is needed). Anything else (plex.tv or the
// server not answering, a store that cannot be written) is an ordinary failure whose
// cause is the message, and the next run tries again.
func waitedForPerson(err error) bool {
	return errors.Is(err, signin.ErrPinExpired) || errors.Is(err, signin.ErrRejected)
}

// saw records the changes the run read (runOperation's Show); a nil run records nothing.
func (s *scheduledRun) saw(ch *plan.Changes) {
	if s != nil {
		s.changes = ch
	}
}

// startScheduledRun is the hook of apply -schedule NAME: it returns the environment the
// run works in (with the schedule's {env:} values) and the function that ends the run
// with its exit code; ready is false when the run must not start (done then records
// why).
func startScheduledRun(env *cliEnv, name, envFile, planFile, root string) (*cliEnv, func(code int) int, bool) {
	run := &scheduledRun{name: name, planFile: planFile, root: root, started: time.Now().UTC()}
	scoped := *env
	scoped.scheduled = run
	if err := schedule.CheckName(name); err != nil {
		errorf(env, "-schedule: %s\n", err)
		return &scoped, func(int) int { return exitError }, false
	}
	// No -schedule-env: the plan reads no {env:} value, so there is no file to read.
	var values map[string]string
	if envFile != "" {
		var err error
		if !filepath.IsAbs(envFile) {
			err = fmt.Errorf("-schedule-env %s: give the absolute path schedule install wrote", envFile)
		} else {
			values, err = schedule.ReadEnvFile(fileutil.RootAt(root).Path(envFile))
		}
		if err != nil {
			errorf(env, "%s\n", err)
			return &scoped, func(int) int { return run.finish(env, exitError, err.Error()) }, false
		}
	}
	scoped.getenv = func(k string) (string, bool) {
		if v, ok := values[k]; ok {
			return v, true
		}
		return env.getenv(k)
	}
	return &scoped, func(code int) int { return run.finish(env, code, "") }, true
}

// finish turns the run's exit code into the schedule's (5 for a broken sign-in left
// broken), prints and logs its one-line result, and writes the status file.
func (s *scheduledRun) finish(env *cliEnv, code int, failure string) int {
	st := schedule.Status{Name: s.name, Plan: s.planFile, Started: s.started, Finished: time.Now().UTC()}
	worst := map[string]int{plan.SigninWorking: 1, plan.SigninUnknown: 2, plan.SigninBroken: 3}
	needsPerson := false
	if s.changes != nil {
		st.Changed = code == exitOK && s.changes.HasChanges()
		for _, sc := range s.changes.Signins {
			if worst[sc.Verdict] > worst[st.Signin] {
				st.Signin, st.SigninReason = sc.Verdict, sc.Reason
			}
			// Broken and not repairable unattended: the plan does not re-link, or its
			// re-link waited for a person who did not come.
			if sc.Verdict == plan.SigninBroken && (sc.Relink == "" || (code != exitOK && waitedForPerson(s.err))) {
				needsPerson = true
			}
		}
	}
	switch {
	case needsPerson:
		code = exitSigninNeedsPerson
		st.Message = fmt.Sprintf("sign-in broken (%s) and not repaired unattended: sign the server in again (plexform reset -relink link-code on the server, or its web app)", st.SigninReason)
	case failure != "":
		st.Message = failure
	case s.err != nil && code == exitIncomplete:
		st.Message = "apply failed and its rollback is incomplete (see the log for what is left): " + s.err.Error()
	case s.err != nil:
		st.Message = "failed, nothing changed or rolled back: " + s.err.Error()
	case code == exitOK && st.Changed:
		st.Message = "applied"
	case code == exitOK:
		st.Message = "no changes"
	case code == exitIncomplete:
		st.Message = "apply failed and its rollback is incomplete; see the log for what is left"
	default:
		st.Message = "failed, nothing changed or rolled back; see the log"
	}
	st.ExitCode = code
	line := fmt.Sprintf("plexform schedule %s: exit %d: %s", s.name, code, oneLine(st.Message))
	fmt.Fprintln(env.stderr, redact.PrintableLines(line))
	p, err := loadPlan(s.planFile)
	if err != nil {
		p = nil
	}
	if backups, err := state.Locate(p, s.root); err != nil {
		warnf(env, "schedule %s: no status file written: %s\n", s.name, err)
	} else if err := schedule.WriteStatus(backups, st); err != nil {
		warnf(env, "schedule %s: no status file written: %s\n", s.name, err)
	}
	if err := schedule.LogResult(runtime.GOOS, s.name, line, code, schedule.Exec); err != nil {
		warnf(env, "schedule %s: the result was not logged: %s\n", s.name, err)
	}
	return code
}
