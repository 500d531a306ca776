package main

// What `plexform help CMD` (or `CMD -h`) says between the usage line and the flags: a
// paragraph on what the command does, then an example, as Terraform's `apply -help`
// does. Each is its command's help in the table (commands.go); a test checks every
// command has one (TestEveryCommandHasHelp).
const (
	helpPlan = `  Shows what apply would change on this host to make it match the plan file,
  reading the stores and services it names and changing nothing. With
  -detailed-exitcode it exits 2 when there are changes, 0 when there are none
  and 4 when nothing in the plan applies to this OS (a drift check on the wrong
  runner); -out saves the plan for "plexform apply PLANFILE".

Example:
  plexform plan -detailed-exitcode -out reset.plan
`
	helpApply = `  Makes the host match the plan: stops the service a store needs stopped, backs
  up each file or key it changes, writes it atomically with its owner and mode,
  starts the service again and rolls everything back if a step fails. It asks
  for "yes" on a terminal; a saved plan (from plan -out) is applied exactly,
  or not at all if the host changed since.

Example:
  plexform apply -f plexform.yaml
`
	helpShow = `  Prints a saved plan (from "plexform plan -out PLANFILE") as plan showed it,
  or as JSON with -json. It reads only the saved plan, not the host.

Example:
  plexform show -json reset.plan
`
	helpValidate = `  Checks the plan file alone: its YAML, fields, kinds, names and references.
  It reads nothing on the host, so it runs anywhere, such as in a repository's
  CI; -json prints the result as one JSON document for editors and CI (see
  README, "validate -json").

Example:
  plexform validate -json -f plexform.yaml
`
	helpSchema = `  Prints the JSON Schema (draft 2020-12) of plan files, for editors
  (yaml-language-server) and linters. docs/plexform.schema.json is its output,
  published with each release.

Example:
  plexform schema > plexform.schema.json
`
	helpBackups = `  Lists the backups kept in the plan's backups directory (or -dir): id,
  resource, path, time and size. A backup that fails its checks is named as
  such, never listed.

Example:
  plexform backups -json
`
	helpRestore = `  Puts a backup back, atomically and with its owner and mode, into the store the
  plan's resource of that name resolves to (or -target). It asks for "yes" like
  apply, and keeps what the store held before as a new backup.

Example:
  plexform restore 20260101T120000Z-prefs
`
	helpRecover = `  Undoes an apply that was cut short (killed, a power cut) from the journal it
  left in the backups directory: each store goes back to its backup and each
  service to the state it had.

Example:
  plexform recover -auto-approve
`
	helpCompletion = `  Prints a completion script for the shell named: commands, flags, plan files
  and the backup ids restore can put back.

Example:
  source <(plexform completion bash)
`
	helpDemo = `  Runs plan and apply against a simulated Plex server in a temporary directory,
  to see the whole job without touching a real one. -keep leaves the directory.

Example:
  plexform demo
`
	helpDoctor = `  Tells what stands between you and your server: where Plex is installed, its
  service and state, which sign-in values are present (names only), the
  settings file's owner and mode, recent sign-in errors in the log (masked).
  It contacts nothing outside the host unless given -online.

Example:
  plexform doctor -json
`
	helpInit = `  Writes a commented plan file for the Plex found on this host (the same search
  as doctor), never over an existing file. Its first line names the schema for
  editors. "-f -" prints it instead.

Example:
  plexform init && plexform plan
`
	helpRedact = `  Copies a Preferences.xml, plist or .reg file with its tokens, e-mail
  addresses, user names and identifiers replaced, to post on a forum. It never
  writes over its input.

Example:
  plexform redact Preferences.xml -o Preferences.redacted.xml
`
	helpReport = `  Merges the "plan -json" outputs of many hosts (collected from CI or a timer)
  into one table: host, platform, sign-in verdict, last change and reason,
  or one JSON document with -json, which adds each verdict's evidence. A file
  that is not plan -json output is named; the others still report, and
  report exits 1.

Example:
  plexform report fleet/*.json
`
	helpReset = `  Resets Plex's sign-in on this host in one step, with no plan file: it finds
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
`
	helpVersion = `  Prints plexform's version, commit, build date, Go version and platform.

Example:
  plexform version -json
`
)
