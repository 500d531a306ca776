package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

func init() {
	commands = append(commands, command{"reset", "reset Plex's sign-in on this host in one step: discover, show, ask, apply (no plan file)", runReset})
}

// runReset is init and apply in one: the plan it applies is exactly the plan `init`
// writes for this host (discoverPlan), bound and applied as `apply -f` applies it
// (runOperation), so it has apply's backups, rollback and running-Plex guard.
func runReset(env *cliEnv, args []string) int {
	fs := newFlags(env, "reset", "[-auto-approve] [-json] [-relink link-code|claim-token|none] [-root DIR] [-plan-out FILE] [-server URL] [-plex-tv URL] [-lock-timeout D]")
	autoApprove := fs.Bool("auto-approve", false, "reset without asking")
	asJSON := fs.Bool("json", false, "print events and the result as JSON lines")
	rootFlag := fs.String("root", "", "look for Plex inside `DIR` and resolve every absolute host path there")
	planOut := fs.String("plan-out", "", "also write the plan reset applies to `FILE` (as plexform init writes it), for plexform apply -f later; an existing file is never replaced")
	lockWait := fs.Duration("lock-timeout", 0, "wait this long for another apply to finish")
	serverURL := fs.String("server", "", "the server asked whether its sign-in works, as plex_signin's url: (default "+plan.DefaultServerURL+"; under -root it is asked only when named)")
	plexTV := fs.String("plex-tv", plan.DefaultPlexTV, "plex.tv's base URL, as plex_signin's plex_tv: (for a proxy or a test stand-in)")
	relinkFlag := fs.String("relink", "", "how the server is signed in again after the reset: link-code (a code to enter at plex.tv/link, by the account the server was signed in to), claim-token (from $"+relinkClaimEnv+"), or none (default: link-code on a terminal, none off one)")
	if !parseNoArgs(env, fs, args) {
		return exitError
	}
	root, err := checkRoot(*rootFlag)
	if err != nil {
		return failUnchanged(env, err)
	}
	method, chosen, err := relinkMethod(*relinkFlag, isTerminal(env.stdin) && isTerminal(env.stdout))
	if err != nil {
		errorf(env, "%v\n", err)
		return exitError
	}
	found, err := discoverPlan(env, root)
	if err != nil {
		return failUnchanged(env, err)
	}
	if method != relinkNone {
		if found.svcErr != nil {
			if chosen {
				return failUnchanged(env, fmt.Errorf("-relink %s needs Plex running again after the reset, and no service that starts it was found (%s); use -relink none and sign in by hand",
					method, oneLine(firstLine(found.svcErr.Error()))))
			}
			method = relinkNone
		} else {
			url := *serverURL
			if url == "" {
				url = plan.DefaultServerURL
			}
			// The plan is init's with the sign-in values reset by a plex_signin that
			// forces the reset and re-links: apply -f of it (-plan-out) runs the same.
			if found.text, err = initPlan(root, found.settings, found.svc, found.svcErr, &relinkSpec{method: method, url: url, plexTV: *plexTV}); err != nil {
				return failUnchanged(env, err)
			}
		}
	}
	file := resetPlanName
	if *planOut != "" {
		file = *planOut
	}
	p, err := plan.Decode(file, found.text)
	if err != nil {
		return failUnchanged(env, fmt.Errorf("the plan reset made does not decode (please report this): %w", err))
	}
	if *planOut != "" {
		// Written before anything runs, so it is kept even when the reset is declined
		// or refused: it is the plan to read, fix and apply by hand then.
		if err := writeNew(*planOut, found.text); err != nil {
			return failUnchanged(env, err)
		}
		if !*asJSON {
			fmt.Fprintf(env.stdout, "Wrote the plan to %s: `plexform apply -f %s` applies it again.\n", redact.Printable(*planOut), shellQuote(*planOut))
		}
	}
	opts, err := hostOptions(env, p, root)
	if err != nil {
		return failUnchanged(env, err)
	}
	// Its user has no plan file: advice to change the plan says how to write it out.
	rootArg := ""
	if root != "" {
		rootArg = " -root " + shellQuote(root)
	}
	opts.MadeBy = &host.MadeBy{Command: "reset", Write: "plexform reset" + rootArg + " -plan-out FILE", Apply: "plexform apply" + rootArg + " -f FILE"}
	h, err := host.Open(p, opts)
	if err != nil {
		return failUnchanged(env, err)
	}
	backups, err := state.Locate(p, root)
	if err != nil {
		return failUnchanged(env, err)
	}
	if !*asJSON {
		fmt.Fprintf(env.stdout, "Found Plex's settings: %s %s (%s)\n", found.settings.Kind, redact.Printable(found.settings.Target()), redact.Printable(found.settings.How))
		if found.svcErr == nil {
			fmt.Fprintf(env.stdout, "Found how it runs: %s (%s)\n", found.svc.Config.Manager, redact.Printable(found.svc.How))
		} else {
			fmt.Fprintf(env.stdout, "Found no service that runs it: %s\n", redact.Printable(oneLine(firstLine(found.svcErr.Error()))))
		}
		fmt.Fprintf(env.stdout, "Each file or key it changes is backed up to %s first.\n\n", redact.Printable(backups.Path))
	}
	ctx, settle, stop := interruptibleRun(env)
	defer stop()
	// A sign-in that works is not reset on a whim: the verdict is plex_signin's, asked
	// as plan asks it. Under -root this machine's server is not the tree's, so it is
	// asked only when -server names it.
	if found.svcErr == nil && (root == "" || *serverURL != "") {
		url := *serverURL
		if url == "" {
			url = plan.DefaultServerURL
		}
		if code, ok := confirmHealthyReset(ctx, env, p, opts, url, *plexTV, method != relinkNone, *autoApprove, *asJSON); !ok {
			return code
		}
	}
	res, code, ok := runOperation(ctx, settle, env, operation{h: h, backups: backups, ask: !*autoApprove, asJSON: *asJSON, lockWait: *lockWait,
		verb: "reset", howElse: "pass -auto-approve to reset without asking"})
	if !ok {
		return code
	}
	for _, line := range res.Cleaned {
		fmt.Fprintln(env.stderr, redact.PrintableLines(line))
	}
	undo := ""
	if len(res.Backups) > 0 {
		undo = resetUndo(h.Plan.File, *planOut != "", root, found, res.Backups[0].ID)
	}
	// Re-linked, the server needs nothing more; otherwise the advice says how to sign in.
	relinked := method != relinkNone && res.Applied && res.Changes.HasChanges()
	advice := signInAdvice(root)
	if relinked {
		advice = ""
	}
	if *asJSON {
		out := resetJSON{ApplyJSON: views.ApplyJSON{Type: "reset_complete", Changes: views.PlanJSON(res.Changes, version), Backups: []string{}}, BackupsDir: backups.Path, Undo: undo, SignIn: advice}
		if relinked {
			out.Relinked = strings.ReplaceAll(method, "-", "_")
		}
		if res.Applied {
			out.DowntimeMs, out.DowntimeUs, out.Backups, out.Rechecked = res.Downtime.Milliseconds(), res.Downtime.Microseconds(), views.BackupIDs(res.Backups), res.Rechecked
		}
		if err := views.WriteJSONLine(env.stdout, out); err != nil {
			return fail(env, err)
		}
		return exitOK
	}
	fmt.Fprintln(env.stdout)
	signIn := ""
	switch {
	case relinked:
	case !chosen && method == relinkNone && found.svcErr == nil:
		signIn = "The server was not re-linked: there is no terminal to show a link code on (-relink none). To sign in again, " + advice
	default:
		signIn = "To sign in again, " + advice
	}
	fmt.Fprint(env.stdout, redact.PrintableLines(resetSummary(res, found, backups.Path, undo, signIn)))
	return exitOK
}

// confirmHealthyReset asks plex_signin's question of the store reset will change: is
// its sign-in working (the server takes its token and plex.tv accepts it, asked under
// the server's own identity)? When it is, reset says so and asks again before signing
// the server out; -auto-approve approves that too, with a warning. Any other verdict
// goes on as asked.
func confirmHealthyReset(ctx context.Context, env *cliEnv, p *plan.Plan, opts host.Options, serverURL, plexTV string, relinking, autoApprove, asJSON bool) (int, bool) {
	sc, err := signinVerdict(ctx, p, opts, serverURL, plexTV)
	if err != nil {
		return failUnchanged(env, fmt.Errorf("check the sign-in before the reset: %w", err)), false
	}
	if sc.Verdict != plan.SigninWorking {
		if !asJSON {
			fmt.Fprintf(env.stdout, "Sign-in: %s — %s\n", sc.Verdict, redact.Printable(sc.Reason))
		}
		return exitOK, true
	}
	if autoApprove && relinking {
		warnf(env, "the sign-in works (%s); -auto-approve resets it anyway and re-links it\n", sc.Reason)
		return exitOK, true
	}
	if autoApprove {
		warnf(env, "the sign-in works (%s); -auto-approve resets it anyway, and the server is signed out of plex.tv\n", sc.Reason)
		return exitOK, true
	}
	fmt.Fprintf(env.stdout, "The sign-in works: %s. A reset signs this server out of plex.tv until someone signs it in again.\n", redact.Printable(sc.Reason))
	return askYes(ctx, env, !asJSON, "reset", "The sign-in works. Do you still want to sign this server out?",
		"pass -auto-approve to reset a working sign-in")
}

// signinVerdict is what `plan` says of a plex_signin (online: true) keeping the store
// of p: the plan reset applies, its store's absent: dropped (a plex_signin resets only
// on its own verdict), bound to this host and diffed, which changes nothing. No token
// is in the result.
func signinVerdict(ctx context.Context, p *plan.Plan, opts host.Options, serverURL, plexTV string) (*plan.SigninChange, error) {
	probe := &plan.Plan{File: p.File, Version: p.Version, Backups: p.Backups}
	var store *plan.Resource
	for _, r := range p.Resources {
		if r.Kind == plan.KindPlexSignin {
			continue // the probe's own plex_signin below asks, once per store
		}
		r := *r
		if r.IsStore() {
			r.Absent = nil
			store = &r
		}
		probe.Resources = append(probe.Resources, &r)
	}
	if store == nil {
		return nil, fmt.Errorf("the plan names no store (please report this)")
	}
	probe.Resources = append(probe.Resources, &plan.Resource{Name: "signin", Kind: plan.KindPlexSignin, When: store.When, Service: store.Service, URL: serverURL,
		Signin: &plan.Signin{State: plan.SigninWorking, Store: store.Name, Online: true, PlexTV: plexTV}})
	h, err := host.Open(probe, opts)
	if err != nil {
		return nil, err
	}
	ch, err := h.Diff(ctx)
	if err != nil {
		return nil, err
	}
	if len(ch.Signins) > 0 {
		return ch.Signins[0], nil
	}
	return &plan.SigninChange{Verdict: plan.SigninUnknown, Reason: "no sign-in was checked"}, nil
}

// resetPlanName is the file name the plan reset applies is known by when -plan-out
// does not name one: errors and the journal name it.
const resetPlanName = "(plexform reset)"

// resetJSON is the last line of `reset -json`: apply's, with where the backup is, how
// to undo and how to sign in again.
type resetJSON struct {
	views.ApplyJSON
	BackupsDir string `json:"backups_dir"`
	Undo       string `json:"undo,omitempty"`
	SignIn     string `json:"sign_in,omitempty"`
	// Relinked is the method the server was signed in again with ("link_code",
	// "claim_token"); then there is no sign_in.
	Relinked string `json:"relinked,omitempty"`
}

// resetUndo is the command that puts the backup back. With -plan-out it is restore with
// that plan, which also stops and starts Plex; without a plan file, restore needs the
// store named with -target.
func resetUndo(planFile string, planWritten bool, root string, found *foundPlan, id string) string {
	if planWritten {
		return restoreCommand(planFile, root, id)
	}
	cmd := "plexform restore"
	if root != "" {
		cmd += " -root " + shellQuote(root)
	}
	return cmd + " -target " + shellQuote(hostPath(root, found.settings.Target())) + " " + id
}

// signInAdvice says how to sign the server in again: on its own machine, or through an
// SSH tunnel from another, since Plex lets a server be claimed only from its own
// network (Plex support, "Claiming a headless server": tunnel port 32400).
func signInAdvice(root string) string {
	target := "USER@HOST"
	if name, err := os.Hostname(); err == nil && name != "" && root == "" {
		target = "USER@" + name
	}
	again := "plexform reset"
	if root != "" {
		again += " -root " + shellQuote(root)
	}
	return "run `" + relinkClaimEnv + "=<claim token from https://plex.tv/claim> " + again + " -relink claim-token` within 4 minutes of getting the token, " +
		"or open http://127.0.0.1:32400/web on the server's own machine and sign in; on a headless server, run `ssh -L 32400:localhost:32400 " +
		target + "` from your computer, then open http://localhost:32400/web there"
}

// Re-link methods of reset's -relink.
const (
	relinkLinkCode   = "link-code"
	relinkClaimToken = "claim-token"
	relinkNone       = "none"
)

// relinkClaimEnv is where -relink claim-token reads the claim token: the variable
// Plex's Docker images read it from (plexinc/pms-docker, linuxserver/docker-plex).
const relinkClaimEnv = "PLEX_CLAIM"

// relinkMethod is -relink's method, and whether it was chosen (given) rather than the
// default: a link code where a person sees it and can enter it (a terminal), none
// elsewhere, where the summary says how to sign in.
func relinkMethod(flag string, terminal bool) (string, bool, error) {
	switch flag {
	case relinkLinkCode, relinkClaimToken, relinkNone:
		return flag, true, nil
	case "":
		if terminal {
			return relinkLinkCode, false, nil
		}
		return relinkNone, false, nil
	}
	return "", false, fmt.Errorf("-relink %q: want link-code, claim-token or none", flag)
}

// relinkSpec is the plex_signin reset's plan re-links with.
type relinkSpec struct {
	method, url, plexTV string
}

// resource is the plex_signin resource, in init's layout; when is the store's when:.
func (r *relinkSpec) resource(when string) string {
	relink := "{link_code: true}   # a code to enter at plex.tv/link; only the account the server was signed in to may"
	if r.method == relinkClaimToken {
		relink = "{claim_token: {env: " + relinkClaimEnv + "}}   # from https://plex.tv/claim, it lives 4 minutes"
	}
	return "  - name: signin\n    kind: plex_signin\n    store: prefs\n    service: plex\n" +
		"    force: true                # reset the sign-in whatever its verdict, then re-link\n" +
		"    relink: " + relink + "\n" +
		"    url: " + q(r.url) + "\n    plex_tv: " + q(r.plexTV) + "\n    online: true\n" + when
}

// resetSummary is reset's last paragraph: what changed, where the backup is, how to
// undo it and how to sign in again.
func resetSummary(res *executor.Result, found *foundPlan, backupsDir, undo, signIn string) string {
	if !res.Applied || !res.Changes.HasChanges() {
		return fmt.Sprintf("Nothing to reset: %s holds none of the sign-in values, so nothing was changed and Plex was not restarted. %s.\n",
			found.settings.Target(), signIn)
	}
	var removed []string
	for _, rc := range res.Changes.Resources {
		for _, v := range rc.Values {
			if v.Action == plan.Remove {
				removed = append(removed, v.StoreName)
			}
		}
	}
	if len(removed) == 0 {
		// Only the re-link ran (reset -relink on a server reset before): Plex kept running.
		return fmt.Sprintf("Nothing to reset: %s holds none of the sign-in values, so it was not changed and Plex was not restarted. The server is signed in again and its new sign-in works.\n",
			found.settings.Target())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reset complete: removed %s from %s", strings.Join(removed, ", "), found.settings.Target())
	if found.svcErr == nil {
		fmt.Fprintf(&b, ", with Plex stopped (%s) for %s and started again", found.svc.Config.Manager, res.Downtime.Round(1e6))
	}
	b.WriteString(". ")
	if len(res.Backups) > 0 {
		fmt.Fprintf(&b, "The backup is %s in %s; to undo the reset, run `%s`. ", res.Backups[0].ID, backupsDir, undo)
	}
	if signIn == "" {
		b.WriteString("The server is signed in again and its new sign-in works.\n")
	} else {
		fmt.Fprintf(&b, "%s.\n", signIn)
	}
	return b.String()
}
