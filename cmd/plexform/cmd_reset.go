package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// resetOptions are the flags of `plexform reset`.
type resetOptions struct {
	autoApprove bool
	asJSON      bool
	rootFlag    string
	planOut     string
	lockWait    time.Duration
	serverURL   string
	plexTV      string
	relinkFlag  string
}

func (o *resetOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "reset without asking")
	fs.BoolVar(&o.asJSON, "json", false, "print events and the result as JSON lines")
	fs.StringVar(&o.rootFlag, "root", "", "look for Plex inside `DIR` and resolve every absolute host path there")
	fs.StringVar(&o.planOut, "plan-out", "", "also write the plan reset applies to `FILE` (as plexform init writes it), for plexform apply -f later; an existing file is never replaced")
	fs.DurationVar(&o.lockWait, "lock-timeout", 0, "wait this long for another apply to finish")
	fs.StringVar(&o.serverURL, "server", "", "the server asked whether its sign-in works, as plex_signin's url: (default "+plan.DefaultServerURL+"; under -root it is asked only when named)")
	fs.StringVar(&o.plexTV, "plex-tv", plan.DefaultPlexTV, "plex.tv's base URL, as plex_signin's plex_tv: (for a proxy or a test stand-in)")
	fs.StringVar(&o.relinkFlag, "relink", "", "how the server is signed in again after the reset: link-code (a code to enter at plex.tv/link, by the account the server was signed in to), claim-token (from $"+relinkClaimEnv+"), or none (default: link-code on a terminal, none off one)")
}

// run is init and apply in one: the plan it applies is exactly the plan `init`
// writes for this host (discoverPlan), bound and applied as `apply -f` applies it
// (runOperation), so it has apply's backups, rollback and running-Plex guard.
func (o *resetOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	view := views.NewReset(views.KindFor(o.asJSON), streams(env))
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return failUnchanged(env, err)
	}
	method, chosen, err := relinkMethod(o.relinkFlag, isTerminal(env.stdin) && isTerminal(env.stdout))
	if err != nil {
		errorf(env, "%v\n", err)
		return exitError
	}
	found, p, method, err := o.makePlan(env, view, root, method, chosen)
	if err != nil {
		return failUnchanged(env, err)
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
	noteFound(view, found, backups.Path)
	ctx, settle, stop := interruptibleRun(env)
	defer stop()
	// A sign-in that works is not reset on a whim: the verdict is plex_signin's, asked
	// as plan asks it. Under -root this machine's server is not the tree's, so it is
	// asked only when -server names it.
	if found.svcErr == nil && (root == "" || o.serverURL != "") {
		if code, ok := confirmHealthyReset(ctx, env, view, p, opts, o.server(), o.plexTV, method != relinkNone, o.autoApprove); !ok {
			return code
		}
	}
	res, code, ok := runOperation(ctx, settle, env, view, operation{h: h, backups: backups, ask: !o.autoApprove, lockWait: o.lockWait,
		verb: "reset", howElse: "pass -auto-approve to reset without asking"})
	if !ok {
		return code
	}
	view.Cleaned(res.Cleaned)
	if err := view.Reset(res, o.end(res, found, root, method, chosen, backups.Path, h.Plan.File)); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// server is -server, or the default server URL.
func (o *resetOptions) server() string {
	if o.serverURL == "" {
		return plan.DefaultServerURL
	}
	return o.serverURL
}

// makePlan finds Plex as init does and makes the plan reset applies: init's, with a
// plex_signin that re-links the server when method says so. It writes the plan to
// -plan-out when given. method comes back as none when no service could start Plex
// again and the method was not chosen.
func (o *resetOptions) makePlan(env *cliEnv, view views.Reset, root, method string, chosen bool) (*foundPlan, *plan.Plan, string, error) {
	found, err := discoverPlan(env, root)
	if err != nil {
		return nil, nil, "", err
	}
	if method != relinkNone {
		if found.svcErr != nil {
			if chosen {
				return nil, nil, "", fmt.Errorf("-relink %s needs Plex running again after the reset, and no service that starts it was found (%s); use -relink none and sign in by hand",
					method, oneLine(firstLine(found.svcErr.Error())))
			}
			method = relinkNone
		} else if method == relinkLinkCode && !chosen && !settingsNameAnOwner(found.settings) {
			// apply refuses a link code nobody can be shown to own (plex_signin's
			// Check); a default should not lead into that refusal, so it becomes none.
			method, found.noOwner = relinkNone, true
		} else {
			// The plan is init's with the sign-in values reset by a plex_signin that
			// forces the reset and re-links: apply -f of it (-plan-out) runs the same.
			if found.text, err = initPlan(root, found.settings, found.svc, found.svcErr, &relinkSpec{method: method, url: o.server(), plexTV: o.plexTV}); err != nil {
				return nil, nil, "", err
			}
		}
	}
	file := resetPlanName
	if o.planOut != "" {
		file = o.planOut
	}
	p, err := plan.Decode(file, found.text)
	if err != nil {
		return nil, nil, "", fmt.Errorf("the plan reset made does not decode (please report this): %w", err)
	}
	if o.planOut != "" {
		// Written before anything runs, so it is kept even when the reset is declined
		// or refused: it is the plan to read, fix and apply by hand then.
		if err := writeNew(o.planOut, found.text); err != nil {
			return nil, nil, "", err
		}
		view.Note(fmt.Sprintf("Wrote the plan to %s: `plexform apply -f %s` applies it again.\n", redact.Printable(o.planOut), shellQuote(o.planOut)))
	}
	return found, p, method, nil
}

// noteFound tells a person what reset found and where its backup goes.
func noteFound(view views.Reset, found *foundPlan, backupsDir string) {
	view.Note(fmt.Sprintf("Found Plex's settings: %s %s (%s)\n", found.settings.Kind, redact.Printable(found.settings.Target()), redact.Printable(found.settings.How)))
	if found.svcErr == nil {
		view.Note(fmt.Sprintf("Found how it runs: %s (%s)\n", found.svc.Config.Manager, redact.Printable(found.svc.How)))
	} else {
		view.Note(fmt.Sprintf("Found no service that runs it: %s\n", redact.Printable(oneLine(firstLine(found.svcErr.Error())))))
	}
	view.Note(fmt.Sprintf("Each file or key it changes is backed up to %s first.\n\n", redact.Printable(backupsDir)))
}

// end is what reset says at its end: where the backup is, how to undo it, and whether
// the server was re-linked or how to sign it in again.
func (o *resetOptions) end(res *executor.Result, found *foundPlan, root, method string, chosen bool, backupsDir, planFile string) views.ResetEnd {
	end := views.ResetEnd{BackupsDir: backupsDir, Target: found.settings.Target()}
	if found.svcErr == nil {
		end.Manager = string(found.svc.Config.Manager)
	}
	if len(res.Backups) > 0 {
		end.Undo = resetUndo(planFile, o.planOut != "", root, found, res.Backups[0].ID)
	}
	// Re-linked, the server needs nothing more; otherwise the advice says how to sign in.
	switch {
	case method != relinkNone && res.Applied && res.Changes.HasChanges():
		end.Relinked = strings.ReplaceAll(method, "-", "_")
	case !chosen && method == relinkNone && found.noOwner:
		end.Advice = signInAdvice(root)
		end.SignIn = "The server was not re-linked: its settings name no plex.tv account (no PlexOnlineUsername or PlexOnlineMail), so nobody could be shown to be the owner who may complete a link code. To sign in again, " + end.Advice
	case !chosen && method == relinkNone && found.svcErr == nil:
		end.Advice = signInAdvice(root)
		end.SignIn = "The server was not re-linked: there is no terminal to show a link code on (-relink none). To sign in again, " + end.Advice
	default:
		end.Advice = signInAdvice(root)
		end.SignIn = "To sign in again, " + end.Advice
	}
	return end
}

// confirmHealthyReset asks plex_signin's question of the store reset will change: is
// its sign-in working (the server takes its token and plex.tv accepts it, asked under
// the server's own identity)? When it is, reset says so and asks again before signing
// the server out; -auto-approve approves that too, with a warning. Any other verdict
// goes on as asked.
func confirmHealthyReset(ctx context.Context, env *cliEnv, view views.Reset, p *plan.Plan, opts host.Options, serverURL, plexTV string, relinking, autoApprove bool) (int, bool) {
	sc, err := signinVerdict(ctx, p, opts, serverURL, plexTV)
	if err != nil {
		return failUnchanged(env, fmt.Errorf("check the sign-in before the reset: %w", err)), false
	}
	if sc.Verdict != plan.SigninWorking {
		view.Note(fmt.Sprintf("Sign-in: %s — %s\n", sc.Verdict, redact.Printable(sc.Reason)))
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
	return askYes(ctx, env, view.Asks(), "reset", "The sign-in works. Do you still want to sign this server out?",
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

// settingsNameAnOwner reports whether the settings reset will clear name the plex.tv
// account they were signed in to (PlexOnlineUsername or PlexOnlineMail), the account a
// link code must come from. Settings that cannot be read count as naming one: the
// apply then says what is wrong with them.
func settingsNameAnOwner(s discover.Settings) bool {
	st, err := host.StoreAt(s.Kind, s.Target())
	if err != nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	values, err := st.Read(ctx)
	if err != nil {
		return true
	}
	return signin.OwnerIn(values.Values).Known()
}
