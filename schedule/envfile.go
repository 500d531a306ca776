package schedule

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/fileutil"
)

// A scheduled run gets the {env:} values of its plan from its own environment file,
// NAME.env in the schedule directory (EnvDir): written 0600 by `schedule install` from
// the installer's environment, named by its absolute path in the scheduled command
// (`apply -schedule NAME -schedule-env FILE`: the run's environment may not lead to the
// directory install used, as a systemd user manager sets no XDG_CONFIG_HOME
// (systemd.exec(5), "Environment Variables in Spawned Processes") and cron sets only
// HOME, LOGNAME, SHELL and PATH (crontab(5))), and read by the run only when it
// is a regular file of the running user that no one else can read or write. No unit,
// plist, task or cron line holds a value, on any platform: a systemd unit and a launchd
// daemon's plist are world-readable, `launchctl print` and `systemctl show` print a
// job's environment, and a task's XML is readable by the administrators.

// EnvNames lists the environment variables a plan reads ({env: NAME}), sorted.
func EnvNames(p *plan.Plan) []string {
	var names []string
	add := func(s *plan.Source) {
		if s != nil && s.Env != "" && !slices.Contains(names, s.Env) {
			names = append(names, s.Env)
		}
	}
	for _, r := range p.Resources {
		for _, s := range r.Set {
			add(&s.Source)
		}
		if r.Claim != nil {
			add(&r.Claim.Token)
		}
		if r.Signin != nil {
			add(r.Signin.Relink.ClaimToken)
		}
	}
	slices.Sort(names)
	return names
}

// EnvDir is where schedules keep their environment files: /etc/plexform/schedule for the
// system's scheduler, and the user's configuration directory otherwise.
func EnvDir(goos string, system bool, home string, getenv func(string) (string, bool)) string {
	switch {
	case goos == "windows":
		if d, ok := getenv("LOCALAPPDATA"); ok && d != "" {
			return filepath.Join(d, "plexform", "schedule")
		}
		return filepath.Join(home, "AppData", "Local", "plexform", "schedule")
	case system && goos == "darwin":
		return "/Library/Application Support/plexform/schedule"
	case system:
		return "/etc/plexform/schedule"
	case goos == "darwin":
		return path.Join(home, "Library/Application Support/plexform/schedule")
	}
	if d, ok := getenv("XDG_CONFIG_HOME"); ok && path.IsAbs(d) {
		return path.Join(d, "plexform/schedule")
	}
	return path.Join(home, ".config/plexform/schedule")
}

// EnvFile is a schedule's environment file in dir.
func EnvFile(dir, name string) string { return filepath.Join(dir, name+".env") }

// maxEnvFile bounds an environment file.
const maxEnvFile = 64 << 10

// WriteEnvFile copies the plan's {env:} values from the installer's environment into
// the schedule's 0600 environment file, or removes a stale one when the plan reads
// none. A variable that is not set, or holds a newline or NUL, is refused with what to
// do instead.
func WriteEnvFile(root fileutil.Root, file string, names []string, getenv func(string) (string, bool)) (bool, error) {
	if len(names) == 0 {
		if err := os.Remove(root.Path(file)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("remove %s: %w", file, err)
		}
		return false, nil
	}
	var b strings.Builder
	for _, n := range names {
		v, ok := getenv(n)
		if !ok {
			return false, fmt.Errorf("the plan reads {env: %s}, and %s is not set: set it when you run schedule install (its value is kept in %s, readable by you only, never in the scheduler's files), or give the value as {file: PATH}", n, n, file)
		}
		if strings.ContainsAny(v, "\n\x00") {
			return false, fmt.Errorf("%s holds a line break or NUL, which an environment file cannot keep; give the value as {file: PATH}", n)
		}
		fmt.Fprintf(&b, "%s=%s\n", n, v)
	}
	dir := filepath.Dir(file)
	d, err := root.MkdirAll(root.Path(dir), 0o700)
	if err != nil {
		return false, fmt.Errorf("make %s: %w", dir, err)
	}
	d.Close()
	if err := root.WriteAtomic(root.Path(file), []byte(b.String()), fileMeta0600); err != nil {
		return false, fmt.Errorf("write %s: %w", file, err)
	}
	return true, nil
}

// ReadEnvFile reads a schedule's environment file, named in its command line
// (-schedule-env): only a regular file (no link, no FIFO) of at most 64 KiB, of the
// running user, that nobody else can read or write. One that is not there is an error
// naming it: the plan's {env:} values are in it. Its values are never quoted in an
// error.
func ReadEnvFile(file string) (map[string]string, error) {
	// Its own link is refused too: install writes a regular file, and nothing else is
	// the schedule's.
	if fi, err := os.Lstat(file); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not there: it holds the {env:} values of the schedule's plan; run `plexform schedule install` again, with those variables set, to write it", file)
	} else if err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); `plexform schedule install` writes it, so remove it and run install again", file, fi.Mode().Type())
	}
	data, meta, err := fileutil.ReadFile(file, maxEnvFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if err := checkPrivate(meta); err != nil {
		return nil, fmt.Errorf("%s: %w; `plexform schedule install` writes it 0600, so run it again", file, err)
	}
	env, err := parseEnv(data)
	if err != nil {
		return nil, fmt.Errorf("%s %w; run `plexform schedule install` again to rewrite it", file, err)
	}
	return env, nil
}

// parseEnv reads NAME=VALUE lines, as WriteEnvFile writes them; an error names the line,
// never its text.
func parseEnv(data []byte) (map[string]string, error) {
	env := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsRune(k, 0) {
			return nil, fmt.Errorf("line %d is not NAME=VALUE", i+1)
		}
		env[k] = v
	}
	return env, nil
}
