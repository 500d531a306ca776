package main

// plexform as an Ansible binary module. Ansible copies a module that is not Python (a
// "binary module") to the target as AnsiballZ_<name> in a temp dir, writes the task's
// arguments as one JSON object to a file named args beside it, and runs
// `AnsiballZ_<name> <path of args>`; it reads one JSON object from stdout as the task's
// result and ignores the exit code once that parses (ansible-core's
// plugins/action/__init__.py, _execute_module and _parse_returned_data). The same
// binary therefore serves as the CLI and, copied into a playbook's library/ as
// plexform, as the module: run recognises how Ansible runs it (ansibleArgsPath).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/views"
)

// maxAnsibleArgs bounds the args file: a plan is a few kilobytes.
const maxAnsibleArgs = 1 << 20

// inlinePlanName is what errors in an inline plan name as their file.
const inlinePlanName = "plan (module argument)"

// ansibleArgsPath reports whether this process is a binary module run by Ansible, and
// the path of its args file. That is decided by how the process was started, never by
// what a file holds: a file in the working directory that happens to be named like a
// mistyped command must not turn `plexform aply` into an apply. ansible-core (2.14 to
// today) always starts a binary module as
//
//	<remote_tmp>/ansible-tmp-<time>-<pid>-<random>/AnsiballZ_<module> <same dir>/args
//
// plugins/action/__init__.py (_execute_module) names the copy 'AnsiballZ_%s' and the
// args file 'args', both joined to the task's tmpdir, and plugins/shell/__init__.py
// (_generate_temp_dir_name) names that dir 'ansible-tmp-%s-%s-%s'; build_module_command
// passes both paths whole, and modules/async_wrapper.py runs the same two for async
// tasks; on a Windows host plugins/shell/powershell.py runs AnsiballZ_<name>.exe the
// same way. Checked with ansible-playbook 2.14.18 (connection local, sync and async). A
// user at a shell types neither name.
//
// Under the Mitogen strategy a binary module is run differently: mitogen-hq/mitogen
// ansible_mitogen/runner.py, BinaryRunner (ArgsFileRunner with ProgramRunner), writes
// the program under its own file name into the target's temp dir
// (ProgramRunner._setup_program) and the args into the same dir as
// tempfile.NamedTemporaryFile(prefix='ansible_mitogen', suffix='-args')
// (ArgsFileRunner._setup_args), then runs "<program> <args file>"
// (ArgsFileRunner._get_program_args). So a program whose one argument is a file named
// ansible_mitogen*-args in the program's own dir is the module too.
func ansibleArgsPath(argv0 string, args []string) (string, bool) {
	if len(args) != 1 {
		return "", false
	}
	argsFile := args[0]
	dir, name := filepath.Dir(argsFile), filepath.Base(argsFile)
	switch {
	case strings.HasPrefix(filepath.Base(argv0), "AnsiballZ_"):
		if name != "args" || !strings.HasPrefix(filepath.Base(dir), "ansible-tmp-") {
			return "", false
		}
	case strings.HasPrefix(name, "ansible_mitogen") && strings.HasSuffix(name, "-args") && len(name) > len("ansible_mitogen-args"):
	default:
		return "", false
	}
	exeDir, err1 := filepath.Abs(filepath.Dir(argv0))
	argsDir, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil || exeDir != argsDir {
		return "", false
	}
	return argsFile, true
}

// readAnsibleArgs reads the args file Ansible wrote: a regular file (not a symlink: Ansible
// writes the file itself), read without blocking, of at most maxAnsibleArgs bytes,
// holding one JSON object nested at most parselimit.MaxDepth deep. Once run is known
// to be the module, every way this fails is the module's failed result.
func readAnsibleArgs(path string) (map[string]json.RawMessage, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("read the module's args file: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("the module's args file %s is a symlink; Ansible writes a regular file there, so something else put it in place", path)
	}
	if fi.Size() > maxAnsibleArgs {
		return nil, fmt.Errorf("the module's args file %s is %d bytes, more than the %d plexform reads; a task's arguments are a few kilobytes", path, fi.Size(), maxAnsibleArgs)
	}
	// Non-blocking and regular only: a FIFO swapped in after the Lstat cannot hang us.
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read the module's args file: %w", err)
	}
	defer f.Close()
	// What was opened must be what Lstat saw, not a symlink swapped in between.
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return nil, fmt.Errorf("the module's args file %s changed while plexform opened it; nothing was run", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxAnsibleArgs+1))
	if err != nil {
		return nil, fmt.Errorf("read the module's args file: %w", err)
	}
	if len(data) > maxAnsibleArgs {
		return nil, fmt.Errorf("the module's args file %s grew past the %d bytes plexform reads while it was read", path, maxAnsibleArgs)
	}
	return parseAnsibleArgs(path, data)
}

// parseAnsibleArgs decodes an args file: one JSON object.
func parseAnsibleArgs(path string, data []byte) (map[string]json.RawMessage, error) {
	if err := jsonDepth(data); err != nil {
		return nil, fmt.Errorf("the module's args file %s: %w", path, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		// json's messages quote the text they stop at; say where instead.
		at := "the file is not one JSON object"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at = jsonProblem(data, err)
		}
		return nil, fmt.Errorf("the module's args file %s: %s", path, at)
	}
	return m, nil
}

// jsonDepth refuses JSON that nests arrays and objects deeper than parselimit.MaxDepth;
// it checks nesting only and leaves syntax to json.Unmarshal.
func jsonDepth(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > parselimit.MaxDepth {
				// InputOffset is just past the bracket that went too deep.
				return parselimit.TooDeep(data, dec.InputOffset()-1)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// ansibleParams are the module's arguments.
type ansibleParams struct {
	plan       json.RawMessage // an inline plan: the mapping of a plan file
	planFile   string
	root       string
	backupsDir string
	check      bool
	diff       bool
}

// moduleArgs are the arguments the module takes; every other name that does not start
// with _ansible_ is an error.
var moduleArgs = []string{"backups_dir", "plan", "plan_file", "root"}

func decodeAnsibleParams(m map[string]json.RawMessage) (*ansibleParams, error) {
	// Check mode unless Ansible says otherwise: it always sends _ansible_check_mode as
	// true or false, and an args file without it (or with null) must not apply.
	p := &ansibleParams{check: true}
	var unknown []string
	var errs []error
	str := func(name string, into *string) {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			return
		}
		if err := json.Unmarshal(raw, into); err != nil {
			errs = append(errs, fmt.Errorf("argument %s must be a string", name))
		}
	}
	flag := func(name string, into *bool) {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			return
		}
		if err := json.Unmarshal(raw, into); err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false", name))
		}
	}
	for k := range m {
		if !strings.HasPrefix(k, "_ansible_") && !slices.Contains(moduleArgs, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		errs = append(errs, fmt.Errorf("unknown argument %s; plexform takes %s",
			strings.Join(quoteAll(unknown), ", "), strings.Join(moduleArgs, ", ")))
	}
	str("plan_file", &p.planFile)
	str("root", &p.root)
	str("backups_dir", &p.backupsDir)
	flag("_ansible_check_mode", &p.check)
	flag("_ansible_diff", &p.diff)
	if raw, ok := m["plan"]; ok && string(raw) != "null" {
		if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			errs = append(errs, errors.New("argument plan must be a mapping (what a plan file holds: version, resources, ...); to name a file on the target use plan_file"))
		} else {
			p.plan = raw
		}
	}
	switch {
	case p.plan != nil && p.planFile != "":
		errs = append(errs, errors.New("give either plan (an inline plan) or plan_file (a path on the target), not both"))
	case p.plan == nil && p.planFile == "" && len(errs) == 0:
		errs = append(errs, errors.New("missing argument: give plan (an inline plan) or plan_file (a path on the target)"))
	}
	if p.backupsDir != "" && !filepath.IsAbs(p.backupsDir) {
		errs = append(errs, fmt.Errorf("backups_dir %s must be an absolute path on the target", p.backupsDir))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// ansibleResult is the one JSON object the module prints. It is built only from the
// masked JSON view of the diff (views.PlanJSON) and from errors, which never quote a
// value, so it holds no secret: a binary module gets no per-field no_log.
type ansibleResult struct {
	Changed         bool                 `json:"changed"`
	Failed          bool                 `json:"failed"`
	Msg             string               `json:"msg"`
	ResourceChanges []views.ResourceJSON `json:"resource_changes"`
	DowntimeMs      int64                `json:"downtime_ms"`
	Backups         []string             `json:"backups"`
	// RolledBack and Left describe a failed apply: Left is what the rollback could not
	// put back.
	RolledBack *bool    `json:"rolled_back,omitempty"`
	Left       []string `json:"left,omitempty"`
	// Diff is Ansible's before/after per changed resource (--diff), values masked.
	Diff []ansibleDiff `json:"diff,omitempty"`
	// diffSeen is the last diff described, which last_change is looked up for.
	diffSeen *plan.Changes
	// Warnings are shown by Ansible as [WARNING] lines.
	Warnings []string `json:"warnings,omitempty"`
	// Signin is the plan's plex_signin verdict (working, broken or unknown; the worst
	// when it has several), with its reason and evidence as plan shows them (they name
	// values, never hold them); all three are left out when the plan has none.
	Signin         string   `json:"signin,omitempty"`
	SigninReason   string   `json:"signin_reason,omitempty"`
	SigninEvidence []string `json:"signin_evidence,omitempty"`
	// Fleet is host, platform and last_change, for a fleet table
	// (examples/ansible/fleet-status.yml).
	*views.Fleet
}

// ansibleDiff is one entry of Ansible's diff list.
type ansibleDiff struct {
	BeforeHeader string `json:"before_header"`
	AfterHeader  string `json:"after_header"`
	Before       string `json:"before"`
	After        string `json:"after"`
}

// runAnsible is the module: plan (check mode) or apply, one JSON object on stdout.
func runAnsible(env *cliEnv, argsFile string) (code int) {
	res := &ansibleResult{ResourceChanges: []views.ResourceJSON{}, Backups: []string{}}
	defer func() {
		// A panic must still end in the one JSON object Ansible reads; crashed (in run)
		// would only write stderr. Only a panic's type is named, as crashed does.
		if r := recover(); r != nil {
			res.Failed, res.Msg = true, fmt.Sprintf("plexform stopped on an internal error (a panic of type %T); this is a bug, please report it. If an apply was running, `plexform recover` puts the host back as it was before it.", r)
			code = exitError
		}
		if err := json.NewEncoder(env.stdout).Encode(res); err != nil {
			code = exitError
		}
	}()
	args, err := readAnsibleArgs(argsFile)
	if err != nil {
		return res.fail(err)
	}
	p, err := decodeAnsibleParams(args)
	if err != nil {
		return res.fail(err)
	}
	root, err := checkRoot(p.root)
	if err != nil {
		return res.fail(fmt.Errorf("root: %w", err))
	}
	h, err := p.openHost(env, root)
	if err != nil {
		return res.fail(err)
	}
	backups, err := state.Locate(h.Plan, h.Options.Root)
	if err != nil {
		return res.fail(err)
	}
	ctx, stop := interruptible(env)
	defer stop()
	if p.check {
		code := res.check(ctx, h, backups, p.diff)
		res.identify(backups, res.diffSeen)
		return code
	}
	obs := &warningObserver{}
	op := executor.Operation{Host: h, Options: executor.Options{
		Backups: backups, Keep: h.Plan.Backups.Keep, PlanFile: h.Plan.File, Root: h.Options.Root,
		Version: version, Observer: obs,
	}}
	// Show sees the diff read under the lock, the one apply acts on: it is the result's
	// resource_changes also when the apply then fails.
	op.Show = func(ch *plan.Changes) { res.describe(ch, p.diff) }
	out, err := executor.Run(ctx, op)
	res.Warnings = append(res.Warnings, obs.warnings()...)
	// After the apply, so its backups are the last change; also when it failed.
	defer func() { res.identify(backups, res.diffSeen) }()
	if err != nil {
		return res.failed(err)
	}
	res.Warnings = append(res.Warnings, out.Cleaned...)
	res.describe(out.Changes, p.diff)
	if !out.Applied {
		res.Msg = views.NoChanges
		return exitOK
	}
	add, change, remove := out.Changes.Summary()
	res.Changed = true
	res.DowntimeMs = out.Downtime.Milliseconds()
	res.Backups = views.BackupIDs(out.Backups)
	res.Msg = fmt.Sprintf("Apply complete: %d added, %d changed, %d removed.", add, change, remove)
	if out.Downtime > 0 {
		res.Msg += fmt.Sprintf(" Downtime caused by plexform: %s.", out.Downtime.Round(time.Millisecond))
	}
	return exitOK
}

// openHost decodes the plan (inline or from plan_file) with the plan file decoder, so
// its checks and errors are the CLI's, and binds it to this host.
func (p *ansibleParams) openHost(env *cliEnv, root string) (*host.Host, error) {
	name, data := inlinePlanName, []byte(nil)
	if p.plan != nil {
		// Indented, so an error's line and column point into a readable document.
		var buf bytes.Buffer
		if err := json.Indent(&buf, p.plan, "", "  "); err != nil {
			return nil, fmt.Errorf("argument plan: not a valid mapping")
		}
		data = buf.Bytes()
	} else {
		name = p.planFile
		var err error
		if data, err = plan.ReadFile(p.planFile); err != nil {
			return nil, fmt.Errorf("read plan_file: %w", err)
		}
		if plan.LooksSaved(data) {
			return nil, fmt.Errorf("plan_file %s is a saved plan; the module takes a plan file", p.planFile)
		}
	}
	pl, err := plan.Decode(name, data)
	if err != nil {
		return nil, err
	}
	if p.backupsDir != "" {
		pl.Backups.Dir = p.backupsDir
	}
	opts, err := hostOptions(env, pl, root)
	if err != nil {
		return nil, err
	}
	return host.Open(pl, opts)
}

// check is check mode: the plan only, nothing written.
func (r *ansibleResult) check(ctx context.Context, h *host.Host, backups *state.Dir, diff bool) int {
	// A run cut short may have left the host half changed: a plan of it would mislead.
	if err := backups.CheckUnfinished(); err != nil {
		return r.fail(err)
	}
	ch, err := h.Diff(ctx)
	if err != nil {
		return r.fail(err)
	}
	r.describe(ch, diff)
	r.Changed = ch.HasChanges()
	// What apply would refuse (a running Plex no service stops) fails check mode too,
	// as plan exits 1 for it.
	if refused := ch.Refused(); len(refused) > 0 {
		return r.fail(errors.New(strings.Join(refused, "\n")))
	}
	if !r.Changed {
		r.Msg = views.NoChanges
		return exitOK
	}
	add, change, remove := ch.Summary()
	r.Msg = fmt.Sprintf("Check mode: apply would make %d to add, %d to change, %d to remove; nothing was written.", add, change, remove)
	return exitOK
}

// describe fills the result's view of a diff: resource_changes as plan -json has them,
// their warnings, and (with --diff) Ansible's before/after.
func (r *ansibleResult) describe(ch *plan.Changes, withDiff bool) {
	r.diffSeen = ch
	doc := views.PlanJSON(ch, version)
	r.ResourceChanges = doc.ResourceChanges
	r.Diff = nil
	if verdict, reason, evidence, ok := views.SigninVerdict(ch.Signins); ok {
		r.Signin, r.SigninReason, r.SigninEvidence = verdict, reason, evidence
	}
	for _, rc := range doc.ResourceChanges {
		for _, w := range rc.Warnings {
			if !slices.Contains(r.Warnings, w) {
				r.Warnings = append(r.Warnings, w)
			}
		}
		if withDiff && rc.Actions[0] != "no-op" {
			r.Diff = append(r.Diff, diffOf(rc))
		}
	}
	// plan prints these as warnings too: a service whose state could not be read.
	for _, sc := range doc.ServiceChanges {
		if w := fmt.Sprintf("cannot read the state of %s (%s): %s", sc.Address, sc.Service, sc.StateError); sc.StateError != "" && !slices.Contains(r.Warnings, w) {
			r.Warnings = append(r.Warnings, w)
		}
	}
}

// identify fills host, platform and last_change. A backups dir that cannot be read
// costs only last_change, with a warning: the run itself is done.
func (r *ansibleResult) identify(backups *state.Dir, ch *plan.Changes) {
	if ch == nil {
		ch = &plan.Changes{}
	}
	fleet, err := thisHost(backups, ch)
	if err != nil {
		r.Warnings = append(r.Warnings, err.Error())
		f := views.ThisHost(nil)
		fleet = &f
	}
	r.Fleet = fleet
}

// diffOf is one resource's before and after, one `Name = value` line per value that
// changes. It is built from the JSON view, where a sensitive value is already only a
// name, so it cannot show one.
func diffOf(rc views.ResourceJSON) ansibleDiff {
	d := ansibleDiff{BeforeHeader: rc.Address + " (" + rc.Target + ")", AfterHeader: rc.Address + " (" + rc.Target + ")"}
	var before, after strings.Builder
	for _, v := range rc.Values {
		act := plan.Action(v.Action)
		if act == plan.NoOp {
			continue
		}
		if act == plan.Remove || act == plan.Change {
			fmt.Fprintf(&before, "%s = %s\n", v.StoreName, diffValue(v, v.Before))
		}
		if act == plan.Add || act == plan.Change {
			fmt.Fprintf(&after, "%s = %s\n", v.StoreName, diffValue(v, v.After))
		}
	}
	d.Before, d.After = before.String(), after.String()
	return d
}

func diffValue(v views.ValueJSON, text *string) string {
	switch {
	case v.Sensitive || v.Deferred || text == nil:
		return views.SensitiveText
	case v.Type != "":
		return strconv.Quote(*text) + " (" + v.Type + ")"
	}
	return strconv.Quote(*text)
}

// fail is a failure before anything changed.
func (r *ansibleResult) fail(err error) int {
	r.Failed, r.Msg = true, msgLine(err)
	return exitError
}

// msgLine puts an error, which may list several problems on lines of their own ("2
// problems:\n  - a\n  - b"), on the one line of an Ansible msg: "2 problems: a; b".
func msgLine(err error) string {
	var b strings.Builder
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "- ")
		switch {
		case line == "":
			continue
		case b.Len() == 0:
		case strings.HasSuffix(b.String(), ":"):
			b.WriteString(" ")
		default:
			b.WriteString("; ")
		}
		b.WriteString(line)
	}
	return b.String()
}

// failed reports a failed apply: rolled back, refused before any change, or left
// incomplete with what is left.
func (r *ansibleResult) failed(err error) int {
	f, ok := executor.IsFailure(err)
	if !ok {
		f = &executor.Failure{Err: err, RolledBack: true}
	}
	r.Failed = true
	r.Backups = views.BackupIDs(f.Backups)
	rolledBack := f.RolledBack
	r.RolledBack = &rolledBack
	why := msgLine(f.Err)
	switch {
	case !f.RolledBack:
		r.Changed = true
		r.Left = append([]string{}, f.Left...)
		r.Msg = fmt.Sprintf("The apply failed and the rollback is incomplete: %s. Left as it is: %s. Backups: %s.",
			why, strings.Join(f.Left, "; "), strings.Join(r.Backups, ", "))
		return exitIncomplete
	case f.Changed:
		r.Msg = "The apply failed and was rolled back: the host is as it was before. Cause: " + why
	default:
		r.Msg = "The apply failed before it changed anything: " + why
	}
	return exitError
}

// warningObserver keeps an apply's warnings for the result; progress lines have no
// reader under Ansible.
type warningObserver struct {
	mu   sync.Mutex
	list []string
}

func (o *warningObserver) Event(e executor.Event) {
	if e.Type != executor.EventWarning {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, e.Message)
}

func (o *warningObserver) Waiting(string, string, time.Duration) {}

func (o *warningObserver) warnings() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.list)
}
