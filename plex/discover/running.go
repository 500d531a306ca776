package discover

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/service"
)

// Runner is a running Plex Media Server that uses a settings file, and how it was seen.
type Runner struct {
	// What says what runs and why it counts: "process 1234 (...): its
	// PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR is ...".
	What string
	// Lines is the kind: service resource that would stop it, when known.
	Lines string
}

// Running looks for a Plex Media Server running on this machine that uses the settings
// file prefs (its path on this machine, under Options.Root when set; "" for a store with
// no file, known by machineID alone):
//
//   - a process named "Plex Media Server" (the kernel keeps 15 bytes of a process's name:
//     /proc/PID/comm reads "Plex Media Serv") whose PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR
//     (else $HOME/Library/Application Support, PMS's default), working directory or open
//     files lead to the file's "Plex Media Server" directory. Paths are looked up through
//     /proc/PID/root and compared by device and inode, so a server in a container or
//     behind a symlink is matched for the directory it really uses. Reading another
//     user's environ, cwd, root and fd needs root (ptrace access): without it such a
//     process is listed in the looked lines, and Unreadable says so;
//   - when not under -root, the server answering http://127.0.0.1:32400/identity, whose
//     machineIdentifier is the ProcessedMachineIdentifier of the file (machineID; PMS
//     reports that value there, not MachineIdentifier). Under -root the tree's file may
//     be a copy of this machine's server's, so an equal identifier proves nothing;
//   - a running container of the Docker engine (DOCKER_HOST, else the default socket)
//     with a mount whose source holds the file: its path on this machine, and under
//     -root also the path the tree's own host gives it, since DOCKER_HOST may name that
//     host's engine (a NAS's tree mounted here).
//
// Under -root the processes and the engine are this machine's: a Plex the tree's own
// host runs (the NAS itself) is seen only through that host's engine.
func Running(ctx context.Context, o Options, prefs, machineID string) (found []Runner, looked []Looked, unreadable []string) {
	return new(Probe).Running(ctx, o, prefs, machineID)
}

// Probe is one look at what runs on this machine (the processes named Plex Media
// Server, the answer of /identity, the engine's containers), read the first time a store
// needs it and then shared by every store of one plan: a plan of 1,000 files read /proc,
// /identity and the engine once per file before, which made plan three times slower.
// A Probe serves one Options; it is safe for concurrent use.
type Probe struct {
	procOnce sync.Once
	pms      []string // /proc/PID directories of processes named Plex Media Server
	procErr  error

	identityOnce sync.Once
	identity     signin.Identity
	identityErr  error

	engineOnce sync.Once
	containers []service.Summary
	engineErr  error
}

// Running is the package's Running, with what it reads of the machine read once.
func (pr *Probe) Running(ctx context.Context, o Options, prefs, machineID string) (found []Runner, looked []Looked, unreadable []string) {
	// A store with no file (a registry key, a defaults domain) is known by its
	// identifier alone.
	onDisk := prefs != "" && o.GOOS == "linux"
	if abs, err := filepath.Abs(prefs); err == nil && prefs != "" {
		prefs = abs // a plan's path may be relative; mount sources never are
	}
	if onDisk {
		f, l, u := pr.plexProcesses(o, prefs)
		found, looked, unreadable = append(found, f...), append(looked, l...), u
	}
	if o.Root == "" && machineID != "" {
		f, l := pr.identityAnswers(ctx, o, machineID)
		found, looked = append(found, f...), append(looked, l...)
	}
	if onDisk {
		f, l := pr.mountingContainers(ctx, o, prefs)
		found, looked = append(found, f...), append(looked, l...)
	}
	return found, looked, unreadable
}

// pmsComm is "Plex Media Server" as /proc/PID/comm holds it: TASK_COMM_LEN is 16 with
// the NUL (proc(5)).
const pmsComm = "Plex Media Serv"

// maxEnviron bounds the read of one process's environment (the kernel allows several
// MB; PMS's is a few KB); maxFDs the open files looked at per process.
const (
	maxEnviron = 1 << 20
	maxFDs     = 4096
	// maxDepth is how far above an open file the settings directory is looked for.
	maxDepth = 4
)

func procDir(o Options) string {
	if o.Proc != "" {
		return o.Proc
	}
	return "/proc"
}

// plexProcesses finds the processes named Plex Media Server that use prefs's directory.
func (pr *Probe) plexProcesses(o Options, prefs string) ([]Runner, []Looked, []string) {
	proc := procDir(o)
	dir := filepath.Dir(prefs)
	want, err := os.Stat(dir)
	if err != nil {
		return nil, []Looked{{dir, "cannot stat it to compare with running processes: " + err.Error()}}, nil
	}
	pr.procOnce.Do(func() { pr.pms, pr.procErr = pmsProcesses(proc) })
	if pr.procErr != nil {
		return nil, []Looked{{proc, "cannot list processes: " + pr.procErr.Error()}}, nil
	}
	var found []Runner
	var looked []Looked
	var unreadable []string
	for _, p := range pr.pms {
		who := fmt.Sprintf("process %s (Plex Media Server, %s)", filepath.Base(p), owner(p))
		how, err := usesDir(p, want)
		switch {
		case how != "":
			found = append(found, Runner{What: who + ": " + how, Lines: unitOf(p)})
		case err != nil:
			unreadable = append(unreadable, who)
			looked = append(looked, Looked{who, "cannot tell which settings it uses as this user (" + err.Error() + "); run plexform as root (sudo) to look"})
		default:
			looked = append(looked, Looked{who, "uses other settings than " + prefs})
		}
	}
	if len(pr.pms) == 0 {
		looked = append(looked, Looked{proc, "no process named Plex Media Server"})
	}
	return found, looked, unreadable
}

// pmsProcesses lists the /proc/PID directories of the processes named Plex Media Server.
func pmsProcesses(proc string) ([]string, error) {
	entries, err := os.ReadDir(proc)
	if err != nil {
		return nil, err
	}
	var pms []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		p := filepath.Join(proc, e.Name())
		comm, err := os.ReadFile(filepath.Join(p, "comm"))
		if err != nil || strings.TrimSuffix(string(comm), "\n") != pmsComm {
			continue
		}
		pms = append(pms, p)
	}
	return pms, nil
}

// usesDir says how the process at p (a /proc/PID dir) uses the directory want, or ""
// with the error that kept every way of telling from working (nil when all worked).
func usesDir(p string, want os.FileInfo) (string, error) {
	// The process's paths are its own root's: a symlink in them (hotio's /app/config/Plex
	// Media Server -> /config) is followed inside that root, never out to this machine's.
	root := fileutil.RootAt(filepath.Join(p, "root"))
	same := func(inside string) bool {
		if !filepath.IsAbs(inside) {
			return false
		}
		real, err := root.Resolve(root.Path(inside))
		if err != nil {
			return false
		}
		fi, err := os.Stat(real)
		return err == nil && os.SameFile(fi, want)
	}
	var errs []error
	env, err := readEnviron(filepath.Join(p, "environ"))
	if err != nil {
		errs = append(errs, err)
	} else {
		if v, ok := env[EnvAppSupport]; ok && v != "" {
			if same(filepath.Join(v, PMSDir)) {
				return "its " + EnvAppSupport + " is " + v, nil
			}
		} else if home := env["HOME"]; home != "" && same(filepath.Join(home, "Library", "Application Support", PMSDir)) {
			return "its HOME is " + home + " (Plex's default data directory is in it)", nil
		}
	}
	if fi, err := os.Stat(filepath.Join(p, "cwd")); err != nil {
		errs = append(errs, err)
	} else if os.SameFile(fi, want) {
		return "its working directory is that directory", nil
	}
	fds, err := os.ReadDir(filepath.Join(p, "fd"))
	if err != nil {
		errs = append(errs, err)
	}
	for i, fd := range fds {
		if i >= maxFDs {
			break
		}
		target, err := os.Readlink(filepath.Join(p, "fd", fd.Name()))
		if err != nil {
			continue
		}
		// An open log or database lies in the settings directory, a few levels down
		// (Logs/, Plug-in Support/Databases/). The kernel spells the link from this
		// process's root when it can (a chroot's files), else from the mounts the process
		// sees (a container's): try both.
		if !filepath.IsAbs(target) {
			continue // socket:[...], pipe:[...], anon_inode:...
		}
		for d, depth := filepath.Dir(target), 0; depth < maxDepth && d != "/"; d, depth = filepath.Dir(d), depth+1 {
			if fi, err := os.Stat(d); (err == nil && os.SameFile(fi, want)) || same(d) {
				return "it has " + target + " open", nil
			}
		}
	}
	if len(errs) == 3 {
		return "", errors.Join(errs...)
	}
	return "", nil
}

// readEnviron reads a /proc/PID/environ, bounded.
func readEnviron(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnviron))
	if err != nil {
		return nil, err
	}
	return parseEnviron(data), nil
}

// parseEnviron splits NUL-separated NAME=value entries; the first of a name wins, as
// getenv(3) finds it.
func parseEnviron(data []byte) map[string]string {
	env := map[string]string{}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k != "" {
			if _, dup := env[k]; !dup {
				env[k] = v
			}
		}
	}
	return env
}

// owner names the process's user by uid: the owner of its /proc dir.
func owner(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return "user unknown"
	}
	if uid, ok := fileUID(fi); ok {
		return "user " + fileutil.DescribeUser(uid)
	}
	return "user unknown"
}

// unitOf gives the systemd service lines for a process whose cgroup (readable by
// anyone) is a system service.
func unitOf(p string) string {
	f, err := os.Open(filepath.Join(p, "cgroup"))
	if err != nil {
		return ""
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return ""
	}
	if unit := systemUnit(data); unit != "" {
		return unitLines(unit)("").lines
	}
	return ""
}

// systemUnit reads the system service a /proc/PID/cgroup places the process in, as
// "0::/system.slice/plexmediaserver.service" (cgroup v2) or
// "1:name=systemd:/system.slice/plexmediaserver.service" (v1) read: "plexmediaserver".
func systemUnit(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), ":", 3)
		if len(fields) != 3 || (fields[1] != "" && fields[1] != "name=systemd") {
			continue
		}
		unit, ok := strings.CutPrefix(fields[2], "/system.slice/")
		if ok && strings.HasSuffix(unit, ".service") && len(unit) > len(".service") && !strings.ContainsAny(unit, "/ \\") {
			return strings.TrimSuffix(unit, ".service")
		}
	}
	return ""
}

// identityTimeout bounds the look at the local server: PMS answers /identity from memory.
const identityTimeout = 3 * time.Second

func (pr *Probe) identityAnswers(ctx context.Context, o Options, machineID string) ([]Runner, []Looked) {
	url := o.IdentityURL
	if url == "" {
		url = signin.DefaultURL
	}
	pr.identityOnce.Do(func() {
		srv := signin.Server{URL: url, Timeout: identityTimeout}
		pr.identity, pr.identityErr = srv.Identity(ctx)
	})
	id, err := pr.identity, pr.identityErr
	if err != nil {
		return nil, []Looked{{url + "/identity", "no Plex Media Server answers: " + firstLine(err.Error())}}
	}
	if id.MachineIdentifier != machineID {
		return nil, []Looked{{url + "/identity", "a Plex Media Server answers, with another machineIdentifier than the file's ProcessedMachineIdentifier"}}
	}
	return []Runner{{What: "the Plex Media Server answering at " + url + "/identity reports this file's ProcessedMachineIdentifier as its machineIdentifier"}}, nil
}

// mountingContainers asks the engine for the running containers with a mount that holds
// prefs. An engine that is not there is a looked line.
func (pr *Probe) mountingContainers(ctx context.Context, o Options, prefs string) ([]Runner, []Looked) {
	host := service.DockerHost(o.Getenv)
	pr.engineOnce.Do(func() {
		eng, err := service.NewEngine(host)
		if err != nil {
			pr.engineErr = err
			return
		}
		ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
		defer cancel()
		list, err := eng.List(ctx)
		pr.containers, pr.engineErr = withoutSelf(o, list), err
	})
	if pr.engineErr != nil {
		return nil, []Looked{{"Docker engine " + host, firstLine(pr.engineErr.Error())}}
	}
	list := pr.containers
	paths := []string{filepath.Clean(prefs)}
	if real, err := filepath.EvalSymlinks(prefs); err == nil && real != paths[0] {
		paths = append(paths, real)
	}
	if o.Root != "" {
		if rel, err := filepath.Rel(o.Root, prefs); err == nil && !strings.HasPrefix(rel, "..") {
			paths = append(paths, "/"+filepath.ToSlash(rel))
		}
	}
	var found []Runner
	for _, s := range list {
		if s.State != "running" && s.State != "restarting" && s.State != "paused" {
			continue
		}
		_, plexImage := layoutOf(s.Image)
		for _, m := range s.Mounts {
			if m.Source == "" || !mountsPlexDir(m.Source, paths, plexImage) {
				continue
			}
			found = append(found, Runner{
				What:  fmt.Sprintf("the Docker container %s (image %s, %s) mounts %s at %s", s.Name(), s.Image, s.State, m.Source, m.Destination),
				Lines: ServiceLines(s.Name()),
			})
			break
		}
	}
	if len(found) == 0 {
		return nil, []Looked{{"Docker engine " + host, fmt.Sprintf("%d container%s, none running with a mount that holds %s", len(list), plural(len(list), "", "s"), prefs)}}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].What < found[j].What })
	return found, nil
}

// mountsPlexDir reports whether a mount source gives a container the settings file at
// one of paths. A Plex image may mount any directory above it; any other container only
// a directory where one of the layouts puts the settings (the file's directory, the one
// holding its "Plex Media Server" directory, or the one holding Library/Application
// Support/Plex Media Server: see pmsDirIn), so a container
// that mounts the whole disk (node-exporter's /:/host, a backup agent's) is no Plex.
func mountsPlexDir(src string, paths []string, plexImage bool) bool {
	if plexImage {
		return holds(src, paths)
	}
	src = filepath.Clean(src)
	for _, p := range paths {
		dir := filepath.Dir(p)
		up := []string{dir} // hotio's /config is the settings directory itself
		if filepath.Base(dir) == PMSDir {
			up = append(up, filepath.Dir(dir)) // binhex's /config holds it
		}
		if suffix := filepath.Join("Library", "Application Support", PMSDir); strings.HasSuffix(dir, string(filepath.Separator)+suffix) {
			up = append(up, strings.TrimSuffix(dir, string(filepath.Separator)+suffix))
		}
		for _, u := range up {
			if src == u {
				return true
			}
		}
	}
	return false
}

// holds reports whether the directory src is one of paths or an ancestor of one.
func holds(src string, paths []string) bool {
	src = filepath.Clean(src)
	for _, p := range paths {
		if p == src || strings.HasPrefix(p, strings.TrimSuffix(src, "/")+"/") {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
