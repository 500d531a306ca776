//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	runCLI := func(argv0 string) {
		os.Exit(run(os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv, argv0: argv0}))
	}
	testscript.Main(m, map[string]func(){
		"plexform": func() { runCLI(os.Args[0]) },
		// AnsiballZ_plexform is the module's copy Ansible makes (cmdAnsibleModule).
		// testscript cuts os.Args[0] to its base name; the copy's path is the
		// executable's own, as it is when Ansible starts it.
		"AnsiballZ_plexform": func() {
			exe, err := os.Executable()
			if err != nil {
				exe = os.Args[0]
			}
			runCLI(exe)
		},
	})
}

// TestScripts runs the CLI's behaviours, one per testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			// [!tool:NAME] skip ... : a missing peer skips the script here and fails it
			// in CI, as testtool.Require does for Go tests.
			if tool, ok := strings.CutPrefix(cond, "tool:"); ok {
				if _, err := exec.LookPath(tool); err != nil {
					if testtool.InCI() {
						return false, fmt.Errorf("%s is not installed; CI must provide it (.ci/run)", tool)
					}
					return false, nil
				}
				return true, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			env.Setenv("CI", os.Getenv("CI"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"chown":          cmdChown,
			"owner":          cmdOwner,
			"mode":           cmdMode,
			"mtime":          cmdMtime,
			"xmllint":        cmdXmllint,
			"nfiles":         cmdNfiles,
			"asuser":         cmdAsUser,
			"ansible-module": cmdAnsibleModule,
			"pms":            cmdPMS,
			"docker-engine":  cmdDockerEngine,
		},
	})
}

// ansible-module ARGS runs plexform as Ansible runs a binary module: ARGS placed as a file
// named args in a fresh ansible-tmp-* dir under .ansible/tmp, beside the module named
// AnsiballZ_plexform, and the module started with both absolute paths
// (ansible-core's plugins/action/__init__.py _execute_module; see ansibleArgsPath). Its
// output is what stdout and stderr then check, as after exec.
func cmdAnsibleModule(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: ansible-module ARGS")
	}
	// testscript.Main put its plexform first in this process's PATH.
	bin, err := exec.LookPath("plexform")
	ts.Check(err)
	base := ts.MkAbs(filepath.Join(".ansible", "tmp"))
	ts.Check(os.MkdirAll(base, 0o700))
	tmp, err := os.MkdirTemp(base, "ansible-tmp-")
	ts.Check(err)
	placeArgs(ts, ts.MkAbs(args[0]), filepath.Join(tmp, "args"))
	// A copy, as Ansible makes (a hard link where it can: the same bytes, no 20 MB
	// written per run); not a symlink, whose target would be the executable.
	module := filepath.Join(tmp, "AnsiballZ_plexform")
	if os.Link(bin, module) != nil {
		data, err := os.ReadFile(bin)
		ts.Check(err)
		ts.Check(os.WriteFile(module, data, 0o700))
	}
	err = ts.Exec(module, filepath.Join(tmp, "args"))
	switch {
	case err != nil && !neg:
		ts.Fatalf("the module failed: %v", err)
	case err == nil && neg:
		ts.Fatalf("the module succeeded unexpectedly")
	}
}

// placeArgs puts the same kind of file at to as is at from: a copy of a regular file, a
// symlink to what from points at, a new FIFO; the hostile cases are the args file itself.
func placeArgs(ts *testscript.TestScript, from, to string) {
	fi, err := os.Lstat(from)
	ts.Check(err)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := filepath.EvalSymlinks(from)
		ts.Check(err)
		ts.Check(os.Symlink(target, to))
	case fi.Mode()&os.ModeNamedPipe != 0:
		ts.Check(syscall.Mkfifo(to, 0o600))
	default:
		data, err := os.ReadFile(from)
		ts.Check(err)
		ts.Check(os.WriteFile(to, data, 0o600))
	}
}

// chown UID:GID FILE gives a fixture another owner (needs root; skips otherwise).
func cmdChown(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: chown UID:GID FILE")
	}
	uid, gid := parseOwner(ts, args[0])
	ts.Check(os.Chown(ts.MkAbs(args[1]), uid, gid))
}

func parseOwner(ts *testscript.TestScript, s string) (int, int) {
	u, g, ok := strings.Cut(s, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil {
		ts.Fatalf("bad owner %q, want UID:GID", s)
	}
	return uid, gid
}

// owner UID:GID FILE asserts a file's owner.
func cmdOwner(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: owner UID:GID FILE")
	}
	uid, gid := parseOwner(ts, args[0])
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	st := fi.Sys().(*syscall.Stat_t)
	if (int(st.Uid) == uid && int(st.Gid) == gid) == neg {
		ts.Fatalf("%s is owned by %d:%d (want %s%s)", args[1], st.Uid, st.Gid, map[bool]string{true: "not "}[neg], args[0])
	}
}

// mode 0640 FILE asserts permission bits.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PERM FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if (uint64(fi.Mode().Perm()) == want) == neg {
		ts.Fatalf("%s has mode %04o (want %s%s)", args[1], fi.Mode().Perm(), map[bool]string{true: "not "}[neg], args[0])
	}
}

// mtime save FILE remembers a file's modification time; mtime same FILE asserts it is unchanged.
func cmdMtime(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mtime save|same FILE")
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	key := "MTIME_" + strings.NewReplacer("/", "_", ".", "_", " ", "_", "-", "_").Replace(args[1])
	stamp := strconv.FormatInt(fi.ModTime().UnixNano(), 10)
	switch args[0] {
	case "save":
		ts.Setenv(key, stamp)
	case "same":
		if (ts.Getenv(key) == stamp) == neg {
			ts.Fatalf("%s modification time: saved %s, now %s", args[1], ts.Getenv(key), stamp)
		}
	default:
		ts.Fatalf("usage: mtime save|same FILE")
	}
}

// xmllint FILE checks well-formedness with libxml2, an independent parser.
func cmdXmllint(ts *testscript.TestScript, neg bool, args []string) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		ts.Fatalf("xmllint missing (Debian libxml2-utils); guard the script with [exec:xmllint]")
	}
	out, err := exec.Command("xmllint", "--noout", ts.MkAbs(args[0])).CombinedOutput()
	if (err == nil) == neg {
		ts.Fatalf("xmllint %s: %v\n%s", args[0], err, out)
	}
}

// nfiles N DIR GLOB asserts how many files in DIR match GLOB.
func cmdNfiles(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: nfiles N DIR GLOB")
	}
	matches, err := filepath.Glob(filepath.Join(ts.MkAbs(args[1]), args[2]))
	ts.Check(err)
	if (strconv.Itoa(len(matches)) == args[0]) == neg {
		ts.Fatalf("%d files match %s in %s, want %s", len(matches), args[2], args[1], args[0])
	}
}

// asuser UID plexform ARGS... runs plexform as another user, to see what a user who
// is neither root nor the file's owner is told. Output goes to stdout/stderr as exec's.
func cmdAsUser(ts *testscript.TestScript, neg bool, args []string) {
	uid, err := strconv.Atoi(args[0])
	ts.Check(err)
	// The test binary stands in for plexform; copy it where that user may run it.
	self, err := os.Executable()
	ts.Check(err)
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("plexform-asuser-%d", time.Now().UnixNano()))
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Defer(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "plexform")
	data, err := os.ReadFile(self)
	ts.Check(err)
	ts.Check(os.WriteFile(bin, data, 0o755))
	// testscript's work dirs are 0700; the other user must be able to reach $WORK.
	for d := ts.Getenv("WORK"); strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil {
			ts.Check(os.Chmod(d, fi.Mode().Perm()|0o011))
		}
	}
	var stdout, stderr strings.Builder
	err = retryTextBusy(func() error {
		cmd := exec.Command(bin, args[2:]...)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "HOME="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		stdout.Reset()
		stderr.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd.Run()
	})
	ts.Logf("asuser: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	if (err == nil) == neg {
		ts.Fatalf("asuser %v: unexpected result %v", args, err)
	}
	// Let later `stdout`/`stderr` assertions see this run's output.
	ts.Check(os.WriteFile(ts.MkAbs("asuser.stdout"), []byte(stdout.String()), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("asuser.stderr"), []byte(stderr.String()), 0o644))
}

// retryTextBusy runs start, a fresh exec of a copy of the binary each time, again while
// it fails with ETXTBSY. The copy was just written, and a script running in parallel may
// fork while the write's descriptor is open: the forked child holds it until its own
// exec, and an exec of the copy in that window fails with ETXTBSY (golang/go#22315).
// That error alone is tried again, as Go's own tests do.
func retryTextBusy(start func() error) error {
	for attempt := 0; ; attempt++ {
		err := start()
		if !errors.Is(err, syscall.ETXTBSY) || attempt == 20 {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
