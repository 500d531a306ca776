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
	"fmt"
	"path/filepath"
	"strings"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

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

// runAnsible is the module: plan (check mode) or apply, one JSON object on stdout.
func runAnsible(env *cliEnv, argsFile string) (code int) {
	view := views.NewAnsible(version, false) // --diff is known once the args are read
	defer func() {
		// A panic must still end in the one JSON object Ansible reads; crashed (in run)
		// would only write stderr. Only a panic's type is named, as crashed does.
		if r := recover(); r != nil {
			view.Crashed(r)
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
	backups, err := state.Locate(h.Plan, h.Options.Root)
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
		view.Failed(f, "apply", backups.Path)
		return failureCode(f)
	}
	view.Cleaned(out.Cleaned)
	view.Applied(out, backups.Path, "")
	return exitOK
}

// ansibleCheck is check mode: the plan only, nothing written.
func ansibleCheck(ctx context.Context, view *views.Ansible, h *host.Host, backups *state.Dir) int {
	// A run cut short may have left the host half changed: a plan of it would mislead.
	if err := backups.CheckUnfinished(); err != nil {
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
