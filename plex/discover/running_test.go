//go:build linux

package discover

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// machineID is the ProcessedMachineIdentifier of discovertest.PrefsXML.
const machineID = "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b"

var (
	simOnce sync.Once
	simBin  string
	simDir  string // removed when the tests end
)

func TestMain(m *testing.M) {
	code := m.Run()
	if simDir != "" {
		os.RemoveAll(simDir)
	}
	os.Exit(code)
}

// pmsBinary is the PMS simulator built once and named as PMS's binary is, so the kernel
// calls its processes "Plex Media Serv" as it does PMS's.
func pmsBinary(t *testing.T) string {
	t.Helper()
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "plexform-pms-")
		if err != nil {
			t.Fatal(err)
		}
		simDir = dir
		src := plexsimtest.Build(t)
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		simBin = filepath.Join(dir, PMSDir)
		if err := os.WriteFile(simBin, data, 0o755); err != nil {
			t.Fatal(err)
		}
	})
	if simBin == "" {
		t.Fatal("the simulator was not built")
	}
	return simBin
}

// startPMS runs the simulator as a process named Plex Media Server on prefs, with env
// added to its environment (run as cwd), and returns the address it listens on.
func startPMS(t *testing.T, prefs, cwd string, env ...string) string {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(pmsBinary(t), "-prefs", prefs, "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-log", filepath.Join(t.TempDir(), "pms.log"))
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	cmd.Dir = cwd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return plexsimtest.WaitAddr(t, addrFile)
}

// quiet are options whose engine and /identity answer nothing, so a test sees one sign.
func quiet(t *testing.T, root string) Options {
	none := "unix://" + filepath.Join(t.TempDir(), "no.sock")
	return Options{Root: root, GOOS: "linux", IdentityURL: "http://" + plexsimtest.FreeAddr(t),
		Getenv: func(k string) (string, bool) { return none, k == "DOCKER_HOST" }}
}

// A process named Plex Media Server whose PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR
// leads to the file's directory is found, for each layout of discovery's host trees,
// with and without -root (processes are this machine's, so its environment names the
// tree's directory by its path here); one pointed elsewhere is not.
func TestRunningProcessEachLayout(t *testing.T) {
	for _, name := range []string{"debian", "docker-linuxserver", "docker-hotio", "docker-binhex", "synology-dsm7", "unraid-linuxserver", "unraid-binhex"} {
		p := platform(t, name)
		t.Run(name, func(t *testing.T) {
			root := discovertest.Tree(t, p.Files)
			prefs := filepath.Join(root, p.Want.Path)
			appSupport := filepath.Join(root, p.Want.AppSupport)
			if p.Want.AppSupport == "" {
				// hotio: the volume is the "Plex Media Server" directory itself, linked
				// into the directory the image's variable names.
				appSupport = filepath.Join(t.TempDir(), "app", "config")
				if err := os.MkdirAll(appSupport, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Dir(prefs), filepath.Join(appSupport, PMSDir)); err != nil {
					t.Fatal(err)
				}
			}
			startPMS(t, prefs, "/", EnvAppSupport+"="+appSupport)
			other := discovertest.Tree(t, map[string]string{"/Plex Media Server/Preferences.xml": discovertest.PrefsXML})
			startPMS(t, filepath.Join(other, PMSDir, PrefsFile), "/", EnvAppSupport+"="+other)

			for _, r := range []string{"", root} {
				found, looked, unreadable := Running(context.Background(), quiet(t, r), prefs, machineID)
				if len(found) != 1 || !strings.Contains(found[0].What, "Plex Media Server") || !strings.Contains(found[0].What, EnvAppSupport+" is "+appSupport) {
					t.Fatalf("root %q: found %+v, want the one process; looked %v", r, found, looked)
				}
				if len(unreadable) != 0 {
					t.Errorf("root %q: as root every process is readable, got %v", r, unreadable)
				}
				if !lookedHas(looked, "uses other settings than") {
					t.Errorf("root %q: the other server is not in the looked lines: %v", r, looked)
				}
			}
		})
	}
}

// A server with no variable is found by its HOME (PMS's default data directory), by its
// working directory, or by the log it holds open; none of them for another install.
func TestRunningProcessHomeCwdAndOpenFiles(t *testing.T) {
	home := t.TempDir()
	prefs := filepath.Join(home, "Library", "Application Support", PMSDir, PrefsFile)
	if err := os.MkdirAll(filepath.Dir(prefs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	cases := []struct {
		name, cwd string
		env       []string
		want      string
	}{
		{"HOME", "/", []string{"HOME=" + home}, "its HOME is " + home},
		{"cwd", filepath.Dir(prefs), []string{"HOME=" + elsewhere}, "working directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			startPMS(t, prefs, c.cwd, c.env...)
			found, looked, _ := Running(context.Background(), quiet(t, ""), prefs, "")
			if len(found) != 1 || !strings.Contains(found[0].What, c.want) {
				t.Fatalf("found %+v, want %q; looked %v", found, c.want, looked)
			}
		})
	}
	t.Run("open log", func(t *testing.T) {
		// The simulator keeps its log open; its variable names another directory.
		addrFile := filepath.Join(t.TempDir(), "addr")
		cmd := exec.Command(pmsBinary(t), "-prefs", prefs, "-listen", "127.0.0.1:0", "-addr-file", addrFile)
		cmd.Env = []string{EnvAppSupport + "=" + elsewhere}
		cmd.Dir = "/"
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		plexsimtest.WaitAddr(t, addrFile)
		found, looked, _ := Running(context.Background(), quiet(t, ""), prefs, "")
		if len(found) != 1 || !strings.Contains(found[0].What, "Logs/Plex Media Server.log open") {
			t.Fatalf("found %+v; looked %v", found, looked)
		}
	})
	t.Run("none", func(t *testing.T) {
		found, _, _ := Running(context.Background(), quiet(t, ""), filepath.Join(elsewhere, PMSDir, PrefsFile), "")
		if len(found) != 0 {
			t.Fatalf("found %+v for a directory no process uses", found)
		}
	})
}

// The server answering /identity with the file's ProcessedMachineIdentifier is found;
// one with another identifier is not, and under -root the question is not asked (the
// tree's file may be a copy of this machine's server's).
func TestRunningIdentity(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, PrefsFile)
	if err := os.WriteFile(prefs, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not named Plex Media Server: only /identity can tell.
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(plexsimtest.Build(t), "-prefs", prefs, "-listen", "127.0.0.1:0", "-addr-file", addrFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := plexsimtest.WaitAddr(t, addrFile)
	target := filepath.Join(t.TempDir(), PMSDir, PrefsFile)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	o := quiet(t, "")
	o.IdentityURL = "http://" + addr
	found, _, _ := Running(context.Background(), o, target, machineID)
	if len(found) != 1 || !strings.Contains(found[0].What, "ProcessedMachineIdentifier") {
		t.Fatalf("found %+v, want the server at %s", found, addr)
	}
	if found, looked, _ := Running(context.Background(), o, target, "0123456789abcdef"); len(found) != 0 || !lookedHas(looked, "another machineIdentifier") {
		t.Fatalf("another identifier: found %+v; looked %v", found, looked)
	}
	o.Root = t.TempDir()
	if found, looked, _ := Running(context.Background(), o, target, machineID); len(found) != 0 || lookedHas(looked, "/identity") {
		t.Fatalf("under -root: found %+v; looked %v", found, looked)
	}
}

// A running container whose mount holds the file is found and named with the lines to
// add; a stopped one is not. Under -root the engine may be the tree's host's (DOCKER_HOST
// naming the NAS's engine): its mount sources are the tree's own paths.
func TestRunningContainerEachLayout(t *testing.T) {
	for _, c := range []struct{ platform, mount, container string }{
		{"unraid-linuxserver", "/mnt/user/appdata/plex", "plex"},
		{"unraid-binhex", "/mnt/user/appdata/binhex-plexpass", "binhex-plexpass"},
		{"synology-dsm7", "/volume1/PlexMediaServer/AppData", "plex"},
		{"debian", "/var/lib/plexmediaserver", "pms"},
		{"docker-hotio", "/config", "hotio-plex"},
		{"docker-binhex", "/config", "binhex-plex"},
	} {
		p := platform(t, c.platform)
		t.Run(c.platform, func(t *testing.T) {
			root := discovertest.Tree(t, p.Files)
			prefs := filepath.Join(root, p.Want.Path)
			for _, under := range []struct{ root, source string }{{"", root + c.mount}, {root, root + c.mount}, {root, c.mount}} {
				eng := dockertest.NewFakeEngine(t,
					&dockertest.Container{ID: "a1", Name: c.container, Image: "lscr.io/linuxserver/plex", Running: true,
						Mounts: []dockertest.Mount{{Type: "bind", Source: under.source, Destination: "/config"}}},
					&dockertest.Container{ID: "b2", Name: "old-plex", Image: "plexinc/pms-docker",
						Mounts: []dockertest.Mount{{Type: "bind", Source: under.source, Destination: "/config"}}},
					&dockertest.Container{ID: "c3", Name: "sonarr", Image: "lscr.io/linuxserver/sonarr", Running: true,
						Mounts: []dockertest.Mount{{Type: "bind", Source: root + "/mnt/user/appdata/sonarr", Destination: "/config"}}},
					// Not Plex: it reads the whole disk.
					&dockertest.Container{ID: "d4", Name: "node-exporter", Image: "quay.io/prometheus/node-exporter", Running: true,
						Mounts: []dockertest.Mount{{Type: "bind", Source: "/", Destination: "/host"}, {Type: "bind", Source: root, Destination: "/tree"}}})
				o := quiet(t, under.root)
				o.Getenv = func(k string) (string, bool) { return eng.Host, k == "DOCKER_HOST" }
				found, looked, _ := Running(context.Background(), o, prefs, machineID)
				if len(found) != 1 || !strings.Contains(found[0].What, "Docker container "+c.container+" ") || !strings.Contains(found[0].Lines, "container: "+c.container) {
					t.Fatalf("root %q, source %s: found %+v; looked %v", under.root, under.source, found, looked)
				}
			}
			if found, _, _ := Running(context.Background(), quiet(t, ""), prefs, machineID); len(found) != 0 {
				t.Fatalf("no engine: found %+v", found)
			}
		})
	}
}

func platform(t *testing.T, name string) discovertest.Platform {
	t.Helper()
	for _, p := range discovertest.Platforms {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no host tree %s", name)
	return discovertest.Platform{}
}

func lookedHas(looked []Looked, s string) bool {
	for _, l := range looked {
		if strings.Contains(l.Where+" "+l.What, s) {
			return true
		}
	}
	return false
}

// A server in a container (here a chroot) names its directory by its own paths, through
// its own symlinks: hotio's /app/config/Plex Media Server -> /config is followed inside
// the process's root, to the tree's /config, not to this machine's.
func TestRunningProcessInItsOwnRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot the server")
	}
	root := discovertest.Tree(t, map[string]string{"/config/Preferences.xml": discovertest.PrefsXML, "/app/config/": "", "/tmp/": ""})
	if err := os.Symlink("/config", filepath.Join(root, "app", "config", PMSDir)); err != nil {
		t.Fatal(err)
	}
	// A static build, alone in the tree, named as PMS's binary is.
	bin := filepath.Join(root, PMSDir)
	build := exec.Command("go", "build", "-o", bin, "github.com/plexform/plexform/cmd/plexsim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build a static simulator: %v\n%s", err, out)
	}
	cmd := exec.Command("/"+PMSDir, "-prefs", "/config/Preferences.xml", "-listen", "127.0.0.1:0", "-addr-file", "/tmp/addr")
	cmd.Env = []string{EnvAppSupport + "=/app/config"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	plexsimtest.WaitAddr(t, filepath.Join(root, "tmp", "addr"))
	found, looked, _ := Running(context.Background(), quiet(t, ""), filepath.Join(root, "config", PrefsFile), "")
	if len(found) != 1 || !strings.Contains(found[0].What, EnvAppSupport+" is /app/config") {
		t.Fatalf("found %+v; looked %v", found, looked)
	}

	// Its open log tells too, with its variable pointing elsewhere.
	cmd2 := exec.Command("/"+PMSDir, "-prefs", "/config/Preferences.xml", "-listen", "127.0.0.1:0", "-addr-file", "/tmp/addr2")
	cmd2.Env = []string{EnvAppSupport + "=/elsewhere"}
	cmd2.Dir = "/"
	cmd2.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Process.Kill()
	cmd.Wait()
	if err := cmd2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd2.Process.Kill(); cmd2.Wait() })
	plexsimtest.WaitAddr(t, filepath.Join(root, "tmp", "addr2"))
	found, looked, _ = Running(context.Background(), quiet(t, ""), filepath.Join(root, "config", PrefsFile), "")
	if len(found) != 1 || !strings.Contains(found[0].What, "Plex Media Server.log open") {
		t.Fatalf("by its open log: found %+v; looked %v", found, looked)
	}
}

// BenchmarkRunning is what the check adds to a plan of a store no service guards, with
// nothing running: one look through /proc, a refused /identity, no engine.
func BenchmarkRunning(b *testing.B) {
	dir := filepath.Join(b.TempDir(), PMSDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	prefs := filepath.Join(dir, PrefsFile)
	none := "unix://" + filepath.Join(b.TempDir(), "no.sock")
	o := Options{GOOS: "linux", IdentityURL: "http://" + plexsimtest.FreeAddr(b), Getenv: func(k string) (string, bool) { return none, k == "DOCKER_HOST" }}
	for b.Loop() {
		if found, _, _ := Running(context.Background(), o, prefs, machineID); len(found) != 0 {
			b.Fatalf("found %+v", found)
		}
	}
}

// A store with no file (a registry key, a defaults domain) is looked for by its
// identifier only: no process or mount is compared with a path it does not have, not
// even the working directory's.
func TestRunningNoFile(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	startPMS(t, filepath.Join(t.TempDir(), PrefsFile), cwd)
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "a1", Name: "plex", Image: "plexinc/pms-docker", Running: true,
		Mounts: []dockertest.Mount{{Type: "bind", Source: "/", Destination: "/host"}}})
	o := quiet(t, "")
	o.Getenv = func(k string) (string, bool) { return eng.Host, k == "DOCKER_HOST" }
	if found, looked, _ := Running(context.Background(), o, "", machineID); len(found) != 0 {
		t.Fatalf("found %+v for a store with no file; looked %v", found, looked)
	}
}

// A Probe reads what runs once and shares it between the stores of one plan: a process
// that appears after the first store was looked at is not looked for again (a fresh
// Probe sees it), so a plan of many files lists /proc once, not once per file.
func TestProbeReadsTheMachineOnce(t *testing.T) {
	proc := t.TempDir()
	dir := t.TempDir()
	prefs := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte("<Preferences/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	// No engine and no /identity: only the process list counts here.
	o := Options{GOOS: "linux", Proc: proc, Getenv: func(k string) (string, bool) {
		if k == "DOCKER_HOST" {
			return "unix://" + filepath.Join(dir, "no-engine.sock"), true
		}
		return "", false
	}}
	says := func(looked []Looked, what string) bool {
		for _, l := range looked {
			if strings.Contains(l.Where+" "+l.What, what) {
				return true
			}
		}
		return false
	}
	probe := new(Probe)
	if _, looked, _ := probe.Running(context.Background(), o, prefs, ""); !says(looked, "no process named Plex Media Server") {
		t.Fatalf("an empty process list: looked %+v", looked)
	}
	if err := os.MkdirAll(filepath.Join(proc, "4242"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "4242", "comm"), []byte(pmsComm+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, looked, _ := probe.Running(context.Background(), o, prefs, ""); !says(looked, "no process named Plex Media Server") {
		t.Errorf("the same probe listed the processes again: looked %+v", looked)
	}
	if _, looked, _ := new(Probe).Running(context.Background(), o, prefs, ""); !says(looked, "process 4242") {
		t.Errorf("a new probe does not see process 4242: looked %+v", looked)
	}
}
