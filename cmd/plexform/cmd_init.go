package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/kinds"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/plex/redact"
)

// initOptions are the flags of `plexform init`.
type initOptions struct {
	file     string
	rootFlag string
}

func (o *initOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "write the plan to `FILE` (- for stdout); an existing file is never replaced")
	fs.StringVar(&o.rootFlag, "root", "", "look for Plex inside `DIR` (a mounted disk, a container volume); the plan names paths as that host sees them")
}

// run writes the plan discovery finds for this host, or for the tree under -root.
func (o *initOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return fail(env, err)
	}
	found, err := discoverPlan(env, root)
	if err != nil {
		return fail(env, err)
	}
	text, settings, none, svcErr := found.text, found.settings, found.none, found.svcErr
	// What init writes must be a plan plexform reads; a discovery result it cannot
	// express is a bug to report, not a file to leave behind.
	if _, err := plan.Decode(o.file, text); err != nil {
		return fail(env, fmt.Errorf("the plan init made does not decode (please report this): %w", err))
	}
	if o.file == "-" {
		if _, err := env.stdout.Write(text); err != nil {
			return fail(env, err)
		}
		return exitOK
	}
	if err := writeNew(o.file, text); err != nil {
		return fail(env, err)
	}
	fmt.Fprintf(env.stdout, "Wrote %s for the Plex found at %s (%s).\n", redact.Printable(o.file), redact.Printable(settings.Target()), redact.Printable(settings.How))
	if none != nil && svcErr != nil && none.Container != "" {
		warnf(env, "the Docker engine did not confirm the container %s, so its service lines in %s are commented out: read the comment there before applying\n", redact.Printable(none.Container), o.file)
	} else if svcErr != nil {
		warnf(env, "how Plex is run here was not found, so the plan names no service; read the comment in %s before applying\n", o.file)
	}
	next := "plexform plan"
	if o.file != defaultPlanFile {
		next += " -f " + shellquote.Quote(o.file)
	}
	if root != "" {
		next += " -root " + shellquote.Quote(root)
	}
	fmt.Fprintf(env.stdout, "Read it, then run `%s` to see what apply would change.\n", next)
	return exitOK
}

// foundPlan is the plan init writes for this host, with what discovery found for it.
type foundPlan struct {
	text     []byte
	settings discover.Settings
	svc      discover.Service
	// svcErr says why no service was found (nil when one was); none is its
	// NoServiceError, when it is one.
	svcErr error
	none   *discover.NoServiceError
	// noOwner: reset's default link code was dropped because the settings name no
	// plex.tv account that could be checked to be the one entering it.
	noOwner bool
}

// discoverPlan finds Plex's settings and the service that runs it (under root when
// given), as plex_preferences and plex_service do, and writes init's plan for them:
// init saves it, reset applies it.
func discoverPlan(env *cliEnv, root string) (*foundPlan, error) {
	o := discover.Options{Root: root, GOOS: runtime.GOOS, Getenv: env.getenv}
	settings, _, err := discover.FindSettings(o)
	if err != nil {
		return nil, fmt.Errorf("%w\nplexform writes a plan only for a Plex it found; `plexform doctor` shows the same search, and the README's examples are plans to start from by hand", err)
	}
	svc, _, svcErr := discover.FindService(o)
	// A layout that names its container (unRAID's appdata, also as a tree under -root)
	// gets the docker service when the engine confirms that container uses these
	// settings; otherwise the lines are written commented out, with the engine's answer.
	var none *discover.NoServiceError
	if errors.As(svcErr, &none) && none.Container != "" {
		if c, err := discover.ContainerService(o, none.Container, settings.Path); err == nil {
			svc, svcErr = c, nil
		} else {
			none.Asked = oneLine(firstLine(err.Error()))
		}
	}
	text, err := initPlan(root, settings, svc, svcErr, nil)
	if err != nil {
		return nil, err
	}
	return &foundPlan{text: text, settings: settings, svc: svc, svcErr: svcErr, none: none}, nil
}

// writeNew writes a file that must not exist yet, all or nothing: a temp file in the
// same directory, then a hard link to the name (which fails if anything, even a dangling
// symlink, holds it), then the temp file goes.
func writeNew(path string, data []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists; plexform init never replaces a file: move it away or name another with -f", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plexform-init-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; plexform init never replaces a file: move it away or name another with -f", path)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// hostPath is a path found under root as the host itself sees it: what a plan names
// (plan and apply put it back under -root).
func hostPath(root, p string) string {
	if root == "" || p == "" {
		return p
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return "/" + filepath.ToSlash(rel)
}

// q is s as a YAML scalar, quoted when it needs it (spaces, backslashes, colons).
func q(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s) // a JSON string is YAML too
	}
	return strings.TrimSuffix(string(out), "\n")
}

func qList(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = q(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// initPlan writes the plan: the concrete store and service found, then the portable
// plex_* resources as a comment.
func initPlan(root string, s discover.Settings, svc discover.Service, svcErr error, relink *relinkSpec) ([]byte, error) {
	absentList := "[" + strings.Join(plan.SignInValues, ", ") + "]"
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	// Editors with yaml-language-server check the file against this version's schema.
	w("# yaml-language-server: $schema=%s\n", plan.SchemaURL(version))
	w("# A plan for this host, written by `plexform init` (plexform %s) from what it found:\n", version)
	// Under -root, say where things are as the host sees them.
	hostText := func(t string) string {
		if root == "" {
			return t
		}
		return strings.ReplaceAll(t, root+string(filepath.Separator), "/")
	}
	w("#   settings: %s %s\n#     found by: %s\n", s.Kind, hostPath(root, s.Target()), hostText(s.How))
	if svcErr == nil {
		w("#   service:  %s", svc.Config.Manager)
		if svc.User != "" {
			w(", runs as %s", svc.User)
		}
		w("\n#     found by: %s\n", hostText(svc.How))
	}
	if root != "" {
		w("# Found under -root %s; paths are written as that host sees them:\n# run plexform there, or here with the same -root.\n", root)
	}
	w(`#
# plexform plan   shows what apply would change (nothing is changed);
# plexform apply  resets the sign-in: stops Plex, backs up, removes the four values,
#                 starts Plex, verifies, and rolls back on any failure.
# Then sign in again at http://127.0.0.1:32400/web from this machine. Every field is
# described in plexform's README.
version: 1
description: Reset Plex sign-in
# backups:
#   dir: /var/backups/plexform   # default: /var/lib/plexform/backups as root
#   keep: 10                     # newest backups kept per store
resources:
  - name: prefs
    kind: %s
`, s.Kind)
	// The kind says what it writes for the store found, and whether what it names (a
	// defaults domain, the registry) exists on one OS only, which the plan then says.
	found := s
	found.Path = hostPath(root, s.Path)
	spec, err := kinds.FromSettings(found)
	if err != nil {
		return nil, err
	}
	k := plan.KindOf(s.Kind)
	lines := k.Init(spec)
	when := ""
	if goos := k.OnlyOn(initFields(lines)); goos != "" {
		when = "    when: {os: [" + goos + "]}\n"
	}
	writeInitLines(&b, lines)
	if relink == nil {
		w("    absent: %s\n", absentList)
	} else {
		w("    # the sign-in values are reset by plex_signin signin below (force: true)\n")
	}
	w("%s", when)
	var none *discover.NoServiceError
	if errors.As(svcErr, &none) && none.Container != "" {
		w(`    # service: plex            # uncomment with the plex resource below
    # Plex runs in the Docker container %s, as this layout names it, but the Docker
    # engine did not confirm it (%s).
    # Plex rewrites its settings when it stops, so an edit made while it runs is lost:
    # check the name (docker ps -a, with DOCKER_HOST set to the engine that runs it),
    # then uncomment these lines and service: plex above.
  # - name: plex
  #   kind: service
  #   manager: docker
  #   container: %s
  #   state: running
  #   timeout: 60s
`, none.Container, none.Asked, q(none.Container))
	} else if svcErr != nil {
		w(`    # No service manager running Plex was found here (%s).
    # Plex rewrites its settings when it stops, so an edit made while it runs is lost:
    # add a kind: service resource (manager: systemd, snap, s6, exec, ...; see the
    # README) and name it here with service: plex before applying.
`, oneLine(firstLine(svcErr.Error())))
	} else {
		w("    service: plex              # stopped while prefs changes\n")
		w("  - name: plex\n    kind: service\n")
		c := svc.Config
		c.Dir = hostPath(root, c.Dir)
		writeInitLines(&b, plan.KindOf(plan.KindService).Init(kinds.FromService(c)))
		w("    state: running\n    timeout: 60s\n%s", when)
		if relink != nil {
			w("%s", relink.resource(when))
		}
	}
	verify := "verify:                        # after apply; a failure rolls the apply back\n  - http: {url: 'http://127.0.0.1:32400/identity', status: 200, contains: MediaContainer, timeout: 60s}\n"
	switch {
	case root != "":
		// Under -root the URL would ask this machine's server, not the tree's.
		verify = "# verify URLs are used as written, also under -root; on that host:\n" + commentOut(verify)
	case svcErr != nil:
		// Nothing starts Plex after the write, and apply edits the file only while no
		// Plex uses it: a verify of the server would always fail and roll it back.
		verify = "# no service starts Plex after the write, so there is no server to verify; with a service, add:\n" + commentOut(verify)
	}
	w("%s", verify)
	w(`
# The portable alternative: the same plan on any host, Linux, NAS, Docker, macOS or
# Windows. Instead of the resources above, these find Plex's settings and the service
# that runs it each time plexform runs (plexform doctor shows what they find):
#
# resources:
#   - name: prefs
#     kind: plex_preferences
#     absent: %s
#     service: plex
#   - name: plex
#     kind: plex_service
#     state: running
#     timeout: 60s
`, absentList)
	return []byte(b.String()), nil
}

// writeInitLines writes a resource's lines as its kind gives them (plan.Kind.Init).
func writeInitLines(b *strings.Builder, lines []plan.InitLine) {
	for _, l := range lines {
		switch {
		case l.Field == "":
			fmt.Fprintf(b, "    # %s\n", l.Comment)
			continue
		case l.Comment != "":
			fmt.Fprintf(b, "    %s: %s   # %s\n", l.Field, initValue(l.Value), l.Comment)
		default:
			fmt.Fprintf(b, "    %s: %s\n", l.Field, initValue(l.Value))
		}
	}
}

func initValue(v any) string {
	if list, ok := v.([]string); ok {
		return qList(list)
	}
	return q(fmt.Sprint(v))
}

func initFields(lines []plan.InitLine) []string {
	var fields []string
	for _, l := range lines {
		fields = append(fields, l.Field)
	}
	return fields
}

func commentOut(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "# " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
