package main

import (
	"github.com/plexform/plexform/internal/plexsim"
	"github.com/plexform/plexform/internal/plextv"
)

// commands is plexform's one table of commands, in the order `plexform help` lists
// them: main runs them, help, completion and the man page (scripts/release, from the
// help) read them. A command is an options struct, whose fields its flags set, and its
// run; adding one is one entry here, its help (help.go) and its cmd_<name>.go. The
// hidden commands at the end, with no summary, are for plexform's own use.
//
// It is filled by init, not a variable's initializer: __complete reads the table (its
// command names), which Go refuses as an initialization cycle.
var commands []command

func init() {
	commands = []command{
		{name: "plan", summary: "show what apply would change on this host; change nothing",
			usage: "[-f FILE] [-out PLANFILE] [-json] [-detailed-exitcode] [-root DIR]", noArgs: true, options: func() options { return &planOptions{} }, help: helpPlan},
		{name: "apply", summary: "make the host match the plan (backups, rollback on failure)",
			usage: "[-f FILE | PLANFILE] [-auto-approve] [-json] [-root DIR] [-lock-timeout D]", options: func() options { return &applyOptions{} }, help: helpApply},
		{name: "show", summary: "print a saved plan",
			usage: "[-json] PLANFILE", options: func() options { return &showOptions{} }, help: helpShow},
		{name: "validate", summary: "check the plan file only",
			usage: "[-f FILE] [-json]", noArgs: true, options: func() options { return &validateOptions{} }, help: helpValidate},
		{name: "schema", summary: "print the JSON Schema of plan files",
			noArgs: true, options: func() options { return &schemaOptions{} }, help: helpSchema},
		{name: "backups", summary: "list the backups kept",
			usage: "[-f FILE] [-root DIR] [-dir BACKUPSDIR] [-json]", noArgs: true, options: func() options { return &backupsOptions{} }, help: helpBackups},
		{name: "restore", summary: "put a backup back",
			usage: "[-f FILE] [-root DIR] [-dir BACKUPSDIR] [-target PATH] [-auto-approve] [-lock-timeout D] ID", options: func() options { return &restoreOptions{} }, help: helpRestore},
		{name: "recover", summary: "undo an apply that was cut short (killed, a power cut)",
			usage: "[-f FILE] [-root DIR] [-auto-approve] [-lock-timeout D]", noArgs: true, options: func() options { return &recoverOptions{} }, help: helpRecover},
		{name: "completion", summary: "print a shell completion script (bash, zsh, fish, powershell)",
			usage: "bash|zsh|fish|powershell", options: func() options { return &completionOptions{} }, help: helpCompletion},
		{name: "demo", summary: "reset a throw-away simulated Plex server, to see plan and apply at work",
			usage: "[-keep]", options: func() options { return &demoOptions{} }, help: helpDemo},
		{name: "doctor", summary: "tell what stands between you and your server, without leaking a token",
			usage: "[-json] [-root DIR] [-url URL] [-online]", options: func() options { return &doctorOptions{} }, help: helpDoctor},
		{name: "init", summary: "write a commented plexform.yaml for this host from what discovery finds",
			usage: "[-f FILE] [-root DIR]", noArgs: true, options: func() options { return &initOptions{} }, help: helpInit},
		{name: "redact", summary: "copy a settings file with its secrets replaced, to post on a forum",
			usage: "FILE [-o OUT] [-force]", options: func() options { return &redactOptions{} }, help: helpRedact},
		{name: "report", summary: "merge plan -json outputs of many hosts into one sign-in table",
			usage: "[-json] FILE...", options: func() options { return &reportOptions{} }, help: helpReport},
		{name: "reset", summary: "reset Plex's sign-in on this host in one step: discover, show, ask, apply (no plan file)",
			usage: "[-auto-approve] [-json] [-relink link-code|claim-token|none] [-root DIR] [-plan-out FILE] [-server URL] [-plex-tv URL] [-lock-timeout D]", noArgs: true, options: func() options { return &resetOptions{} }, help: helpReset},
		{name: "schedule", summary: "install, list or remove a periodic apply with the platform's scheduler (no CI needed)",
			usage: scheduleUsage, subcommands: scheduleSubcommands, help: helpSchedule},
		{name: "version", summary: "print plexform's version, commit, build date and platform",
			usage: "[-json]", noArgs: true, options: func() options { return &versionOptions{} }, help: helpVersion},

		// The demo's plan drives the simulator with the exec manager; these give it a
		// start/stop/status that work without a shell or an init system.
		{name: plexsim.PidfileStartCommand, raw: runPidfile(plexsim.PidfileStartCommand)},
		{name: plexsim.PidfileStopCommand, raw: runPidfile(plexsim.PidfileStopCommand)},
		{name: plexsim.PidfileStatusCommand, raw: runPidfile(plexsim.PidfileStatusCommand)},
		// The demo needs a Plex Media Server to reset on hosts that have none; plexform
		// carries its simulator and runs it by re-executing itself, so the demo needs no
		// second binary.
		{name: plexsim.SimulatorCommand, raw: func(env *cliEnv, args []string) int { return plexsim.Main(args, env.stdout, env.stderr) }},
		// A stand-in for plex.tv, so a sign-in plan can be tried end to end (and tested)
		// without an account or the network: `plexform __plextv -accounts FILE`.
		{name: "__plextv", raw: func(env *cliEnv, args []string) int { return plextv.Main(args, env.stdout, env.stderr) }},
		// What the completion scripts ask for their candidates (cmd_completion.go).
		{name: "__complete", raw: runComplete},
	}
}
