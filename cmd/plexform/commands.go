package main

import (
	"github.com/plexform/plexform/internal/plexsim"
	"github.com/plexform/plexform/internal/plextv"
)

// commands is plexform's one table of commands, in the order `plexform help` lists
// them: main runs them, help, completion and the man page (scripts/release, from the
// help) read them. A command is an options struct, whose fields its flags set, and its
// run; adding one is one entry here and its cmd_<name>.go. Each help is what `plexform
// help CMD` (or `CMD -h`) says between the usage line and the flags: a paragraph on what
// the command does, then an example, as Terraform's `apply -help` does
// (TestEveryCommandHasHelp). The hidden commands at the end are for plexform's own use.
//
// It is filled by init, not a variable's initializer: demo and help run commands
// through run, which reads the table.
var commands []command

func init() {
	commands = []command{
		{
			name:    "plan",
			summary: "show what apply would change on this host; change nothing",
			usage:   "[-f FILE] [-out PLANFILE] [-json] [-detailed-exitcode] [-root DIR]",
			noArgs:  true,
			options: func() options { return &planOptions{} },
			help: `  Shows what apply would change on this host to make it match the plan file,
  reading the stores and services it names and changing nothing. With
  -detailed-exitcode it exits 2 when there are changes, 0 when there are none
  and 4 when nothing in the plan applies to this OS (a drift check on the wrong
  runner); -out saves the plan for "plexform apply PLANFILE".

Example:
  plexform plan -detailed-exitcode -out reset.plan
`,
		},
		{
			name:    "apply",
			summary: "make the host match the plan (backups, rollback on failure)",
			usage:   "[-f FILE | PLANFILE] [-auto-approve] [-json] [-root DIR] [-lock-timeout D]",
			options: func() options { return &applyOptions{} },
			help: `  Makes the host match the plan: stops the service a store needs stopped, backs
  up each file or key it changes, writes it atomically with its owner and mode,
  starts the service again and rolls everything back if a step fails. It asks
  for "yes" on a terminal; a saved plan (from plan -out) is applied exactly,
  or not at all if the host changed since.

Example:
  plexform apply -f plexform.yaml
`,
		},
		{
			name:    "show",
			summary: "print a saved plan",
			usage:   "[-json] PLANFILE",
			options: func() options { return &showOptions{} },
			help: `  Prints a saved plan (from "plexform plan -out PLANFILE") as plan showed it,
  or as JSON with -json. It reads only the saved plan, not the host.

Example:
  plexform show -json reset.plan
`,
		},
		{
			name:    "validate",
			summary: "check the plan file only",
			usage:   "[-f FILE] [-json]",
			noArgs:  true,
			options: func() options { return &validateOptions{} },
			help: `  Checks the plan file alone: its YAML, fields, kinds, names and references.
  It reads nothing on the host, so it runs anywhere, such as in a repository's
  CI; -json prints the result as one JSON document for editors and CI (see
  README, "validate -json").

Example:
  plexform validate -json -f plexform.yaml
`,
		},
		{
			name:    "schema",
			summary: "print the JSON Schema of plan files",
			usage:   "",
			noArgs:  true,
			options: func() options { return &schemaOptions{} },
			help: `  Prints the JSON Schema (draft 2020-12) of plan files, for editors
  (yaml-language-server) and linters. docs/plexform.schema.json is its output,
  published with each release.

Example:
  plexform schema > plexform.schema.json
`,
		},
		{
			name:    "backups",
			summary: "list the backups kept",
			usage:   "[-f FILE] [-root DIR] [-dir BACKUPSDIR] [-json]",
			noArgs:  true,
			options: func() options { return &backupsOptions{} },
			help: `  Lists the backups kept in the plan's backups directory (or -dir): id,
  resource, path, time and size. A backup that fails its checks is named as
  such, never listed.

Example:
  plexform backups -json
`,
		},
		{
			name:    "restore",
			summary: "put a backup back",
			usage:   "[-f FILE] [-root DIR] [-dir BACKUPSDIR] [-target PATH] [-auto-approve] [-lock-timeout D] ID",
			options: func() options { return &restoreOptions{} },
			help: `  Puts a backup back, atomically and with its owner and mode, into the store the
  plan's resource of that name resolves to (or -target). It asks for "yes" like
  apply, and keeps what the store held before as a new backup.

Example:
  plexform restore 20260101T120000Z-prefs
`,
		},
		{
			name:    "recover",
			summary: "undo an apply that was cut short (killed, a power cut)",
			usage:   "[-f FILE] [-root DIR] [-auto-approve] [-lock-timeout D]",
			noArgs:  true,
			options: func() options { return &recoverOptions{} },
			help: `  Undoes an apply that was cut short (killed, a power cut) from the journal it
  left in the backups directory: each store goes back to its backup and each
  service to the state it had.

Example:
  plexform recover -auto-approve
`,
		},
		{
			name:    "completion",
			summary: "print a shell completion script (bash, zsh, fish, powershell)",
			usage:   "bash|zsh|fish|powershell",
			options: func() options { return &completionOptions{} },
			help: `  Prints a completion script for the shell named: commands, flags, plan files
  and the backup ids restore can put back.

Example:
  source <(plexform completion bash)
`,
		},
		{
			name:    "demo",
			summary: "reset a throw-away simulated Plex server, to see plan and apply at work",
			usage:   "[-keep]",
			options: func() options { return &demoOptions{} },
			help: `  Runs plan and apply against a simulated Plex server in a temporary directory,
  to see the whole job without touching a real one. -keep leaves the directory.

Example:
  plexform demo
`,
		},
		{
			name:    "doctor",
			summary: "tell what stands between you and your server, without leaking a token",
			usage:   "[-json] [-root DIR] [-url URL] [-online]",
			options: func() options { return &doctorOptions{} },
			help: `  Tells what stands between you and your server: where Plex is installed, its
  service and state, which sign-in values are present (names only), the
  settings file's owner and mode, recent sign-in errors in the log (masked).
  It contacts nothing outside the host unless given -online.

Example:
  plexform doctor -json
`,
		},
		// init parses its own flags (runInit).
		{
			name:    "init",
			summary: "write a commented plexform.yaml for this host from what discovery finds",
			raw:     runInit,
			help: `  Writes a commented plan file for the Plex found on this host (the same search
  as doctor), never over an existing file. Its first line names the schema for
  editors. "-f -" prints it instead.

Example:
  plexform init && plexform plan
`,
		},
		{
			name:    "redact",
			summary: "copy a settings file with its secrets replaced, to post on a forum",
			usage:   "FILE [-o OUT] [-force]",
			options: func() options { return &redactOptions{} },
			help: `  Copies a Preferences.xml, plist or .reg file with its tokens, e-mail
  addresses, user names and identifiers replaced, to post on a forum. It never
  writes over its input.

Example:
  plexform redact Preferences.xml -o Preferences.redacted.xml
`,
		},
		{
			name:    "report",
			summary: "merge plan -json outputs of many hosts into one sign-in table",
			usage:   "[-json] FILE...",
			options: func() options { return &reportOptions{} },
			help: `  Merges the "plan -json" outputs of many hosts (collected from CI or a timer)
  into one table: host, platform, sign-in verdict, last change and reason,
  or one JSON document with -json, which adds each verdict's evidence. A file
  that is not plan -json output is named; the others still report, and
  report exits 1.

Example:
  plexform report fleet/*.json
`,
		},
		{
			name:    "reset",
			summary: "reset Plex's sign-in on this host in one step: discover, show, ask, apply (no plan file)",
			usage:   "[-auto-approve] [-json] [-relink link-code|claim-token|none] [-root DIR] [-plan-out FILE] [-server URL] [-plex-tv URL] [-lock-timeout D]",
			noArgs:  true,
			options: func() options { return &resetOptions{} },
			help: `  Resets Plex's sign-in on this host in one step, with no plan file: it finds
  the install as init does, shows the plan (the four sign-in values to remove,
  the stop and start, the backup), asks for "yes" (-auto-approve for scripts)
  and applies it as apply does, with backups and rollback. It ends saying what
  changed, where the backup is, how to undo it and how to sign in again.
  Then it re-links the server: -relink link-code (the default on a terminal)
  shows a code for plex.tv/link that only the server's previous account may
  enter; -relink claim-token claims it with $PLEX_CLAIM; -relink none (the
  default off a terminal) prints the next step instead. A failed re-link rolls
  the reset back. With -plan-out FILE it also writes that plan, for apply -f.

Example:
  plexform reset -plan-out plexform.yaml
`,
		},
		{
			name:    "version",
			summary: "print plexform's version, commit, build date and platform",
			usage:   "[-json]",
			noArgs:  true,
			options: func() options { return &versionOptions{} },
			help: `  Prints plexform's version, commit, build date, Go version and platform.

Example:
  plexform version -json
`,
		},

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
