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

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/plan"
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

// runAnsible is the module: plan (check mode) or apply, one JSON object on stdout.
func runAnsible(env *cliEnv, argsFile string) (code int) {
	view := views.NewAnsible(version, false) // --diff is known once the args are read
	defer func() {
		// A panic must still end in the one JSON object Ansible reads; crashed (in run)
		// would only write stderr. Only a panic's type is named, as crashed does.
		if r := recover(); r != nil {
			view.Fail(fmt.Errorf("plexform stopped on an internal error (a panic of type %T); this is a bug, please report it. If an apply was running, `plexform recover` puts the host back as it was before it.", r))
			code = exitError
		}
		if err := view.Write(env.stdout); err != nil {
			code = exitError
		}
	}()
	var p *ansibleParams
	args, err := readAnsibleArgs(argsFile)
	if err == nil {
		p, err = decodeAnsibleParams(args)
	}
	if err != nil {
		view.Fail(err)
		return exitError
	}
	view = views.NewAnsible(version, p.diff)
	root, err := checkRoot(p.root)
	if err != nil {
		view.Fail(fmt.Errorf("root: %w", err))
		return exitError
	}
	h, err := p.openHost(env, root)
	if err != nil {
		view.Fail(err)
		return exitError
	}
	backups, err := backupsFor(h.Plan, h.Options.Root)
	if err != nil {
		view.Fail(err)
		return exitError
	}
	ctx, stop := interruptible(env)
	defer stop()
	// After the run, so an apply's backups are the last change; also when it failed.
	defer view.Identify(backups)
	if p.check {
		return ansibleCheck(ctx, view, h, backups)
	}
	op := executor.Operation{Host: h, Options: executor.Options{
		Backups: backups, Keep: h.Plan.Backups.Keep, PlanFile: h.Plan.File, Root: h.Options.Root,
		Version: version, Observer: view,
	}}
	op.Show = view.Plan
	out, err := executor.Run(ctx, op)
	if err != nil {
		f := views.FailureOf(err)
		view.Failed(f, "apply", backups.Dir)
		return failureCode(f)
	}
	view.Cleaned(out.Cleaned)
	view.Applied(out, backups.Dir, "")
	return exitOK
}

// ansibleCheck is check mode: the plan only, nothing written.
func ansibleCheck(ctx context.Context, view *views.Ansible, h *host.Host, backups *executor.Backups) int {
	// A run cut short may have left the host half changed: a plan of it would mislead.
	if err := executor.CheckUnfinished(backups); err != nil {
		view.Fail(err)
		return exitError
	}
	ch, err := h.Diff(ctx)
	if err != nil {
		view.Fail(err)
		return exitError
	}
	_ = view.Changes(ch, nil)
	// What apply would refuse (a running Plex no service stops) fails check mode too,
	// as plan exits 1 for it.
	if refused := ch.Refused(); len(refused) > 0 {
		view.Refused(refused)
		return exitError
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
