package dockertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
)

// Label marks every container the tests create, so a shared engine can be cleaned.
const Label = "plexform-test"

// Image is one of Plex's images as the tests fake it: the plexform binary alone, which
// runs its Plex simulator, tagged with the real image's repository (under a registry
// prefix and a tag of its own, so a real image on a shared engine is never replaced).
type Image struct {
	Tag string
	// PMSDir is the "Plex Media Server" directory inside the container, as the real
	// image lays it out (see plex/discover/docker.go for the sources).
	PMSDir string
	// Env is what the real image sets in its own config (linuxserver's
	// PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR).
	Env []string
}

// Images are the four images plexform finds by name.
var Images = []Image{
	{Tag: "localhost/plexinc/pms-docker:plexform-test", PMSDir: "/config/Library/Application Support/Plex Media Server"},
	{Tag: "lscr.io/linuxserver/plex:plexform-test", PMSDir: "/config/Library/Application Support/Plex Media Server",
		Env: []string{"PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/config/Library/Application Support"}},
	{Tag: "ghcr.io/hotio/plex:plexform-test", PMSDir: "/config"},
	{Tag: "localhost/binhex/arch-plex:plexform-test", PMSDir: "/config/Plex Media Server"},
}

// Env is a real engine for a test package, set up once by Main.
type Env struct {
	// Host is the engine's DOCKER_HOST.
	Host string
	// Plexform is a static plexform binary (the one inside the images).
	Plexform string
	// Repo is the repository's root directory.
	Repo string
	dir  string // temp dir of the binary and the tar
	own  string // the dockerd.sh dir of an engine started here, "" for a shared one
}

var (
	env     *Env
	missing string // why there is no engine
)

// Main sets up the engine and the images, runs the tests, and takes it all down again.
// Call it from TestMain: os.Exit(dockertest.Main(m)).
func Main(m *testing.M) int { return runMain(m, true) }

// MainEngine is Main without Plex's images, for tests that bring an image of their own
// (internal/systemdtest): the engine and the static plexform only.
func MainEngine(m *testing.M) int { return runMain(m, false) }

func runMain(m *testing.M, images bool) int {
	var err error
	env, err = setUp(images)
	if err != nil {
		missing = err.Error()
		env = nil
	}
	code := m.Run()
	if env != nil {
		if err := env.tearDown(); err != nil {
			fmt.Fprintln(os.Stderr, "dockertest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Need returns the engine, or skips the test (fails it in CI) when there is none.
func Need(t *testing.T) *Env {
	t.Helper()
	if env == nil {
		testtool.Unavailable(t, "no Docker engine for the container tests: "+missing)
	}
	return env
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func setUp(images bool) (*Env, error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return nil, fmt.Errorf("the docker command is not installed (Debian package docker.io)")
	}
	dir, err := os.MkdirTemp("", "plexform-dockertest-")
	if err != nil {
		return nil, err
	}
	e := &Env{dir: dir, Repo: repoRoot()}
	if e.Host, err = usableEngine(); err != nil {
		e.own = filepath.Join(dir, "engine")
		out, serr := exec.Command("bash", filepath.Join(e.Repo, "scripts", "dockerd.sh"), "start", e.own).Output()
		if serr != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%v, and no dockerd could be started (scripts/dockerd.sh start: %v)", err, serr)
		}
		e.Host = strings.TrimSpace(string(out))
	}
	if err := e.buildPlexform(); err != nil {
		_ = e.tearDown()
		return nil, err
	}
	if images {
		if err := e.buildImages(); err != nil {
			_ = e.tearDown()
			return nil, err
		}
	}
	return e, nil
}

// usableEngine returns an engine that answers and runs no Plex container of its own
// (whose presence would change what discovery finds): DOCKER_HOST, else the default socket.
func usableEngine() (string, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "ps", "-a", "--format", "{{.Image}} {{.Names}}")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("no engine answers at %s (%s)", host, strings.TrimSpace(string(out)))
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		image, name, _ := strings.Cut(line, " ")
		if strings.Contains(strings.ToLower(image), "plex") && !strings.HasSuffix(image, ":plexform-test") {
			return "", fmt.Errorf("the engine at %s runs a Plex container of its own (%s)", host, name)
		}
	}
	return host, nil
}

// buildPlexform builds a static plexform, which runs in any container.
func (e *Env) buildPlexform() error {
	e.Plexform = filepath.Join(e.dir, "plexform")
	build := exec.Command("go", "build", "-o", e.Plexform, "./cmd/plexform")
	build.Dir = e.Repo
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build a static plexform: %v\n%s", err, out)
	}
	return nil
}

// buildImages imports a tar holding only the static plexform, once per image, with the
// image's own environment.
func (e *Env) buildImages() error {
	bin, err := os.ReadFile(e.Plexform)
	if err != nil {
		return err
	}
	files := []File{{Name: "plexform", Mode: 0o755, Data: bin}}
	for _, img := range Images {
		changes := []string{`ENTRYPOINT ["/plexform", "__plexsim"]`}
		for _, kv := range img.Env {
			k, v, _ := strings.Cut(kv, "=")
			changes = append(changes, fmt.Sprintf("ENV %s=%q", k, v))
		}
		if err := e.importImage(img.Tag, files, changes...); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) tearDown() error {
	var errs []string
	if e.own == "" && e.Host != "" {
		// A shared engine keeps only what was there before.
		if out, err := e.command("ps", "-aq", "--filter", "label="+Label).Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				_ = e.command(append([]string{"rm", "-f"}, ids...)...).Run()
			}
		}
		for _, img := range Images {
			_ = e.command("rmi", img.Tag).Run()
		}
	}
	if e.own != "" {
		if out, err := exec.Command("bash", filepath.Join(e.Repo, "scripts", "dockerd.sh"), "stop", e.own).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Sprintf("stop the test dockerd: %v: %s", err, out))
		}
	}
	if err := os.RemoveAll(e.dir); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// Command is the docker command against the engine, to run with stdin or output of
// the caller's choosing.
func (e *Env) Command(args ...string) *exec.Cmd { return e.command(args...) }

func (e *Env) command(args ...string) *exec.Cmd {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.Host)
	return cmd
}

// Docker runs the docker command against the engine and returns its trimmed output.
func (e *Env) Docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.command(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Container is a test container of one of the Images.
type Plex struct {
	Name string
	Port int
	// Prefs is Preferences.xml on the host; ConfigDir the directory mounted at /config.
	Prefs, ConfigDir string
}

// URL is the simulator's base URL.
func (p *Plex) URL() string { return "http://127.0.0.1:" + strconv.Itoa(p.Port) }

// RunPlex creates a container of img named name, its config dir a temp dir mounted at
// /config holding prefs (when not ""), serving on port (0 picks a free one) of the
// host's network; it starts it and waits for /identity unless start is false. The
// container is removed when the test ends.
func (e *Env) RunPlex(t *testing.T, img Image, name, prefs string, port int, start bool, simArgs ...string) *Plex {
	t.Helper()
	if port == 0 {
		port = FreePort(t)
	}
	cfg := t.TempDir()
	p := &Plex{Name: name, Port: port, ConfigDir: cfg}
	inside := img.PMSDir + "/Preferences.xml"
	p.Prefs = filepath.Join(cfg, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(img.PMSDir, "/config"), "/")), "Preferences.xml")
	if prefs != "" {
		if err := os.MkdirAll(filepath.Dir(p.Prefs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p.Prefs, []byte(prefs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"create", "--name", name, "--label", Label + "=1", "--network", "host",
		"--stop-timeout", "20", "-v", cfg + ":/config", img.Tag, "-prefs", inside, "-listen", "127.0.0.1:" + strconv.Itoa(port)}
	e.Docker(t, append(args, simArgs...)...)
	t.Cleanup(func() { _ = e.command("rm", "-f", name).Run() })
	if start {
		e.Docker(t, "start", name)
		WaitHTTP(t, p.URL()+"/identity")
	}
	return p
}

// StartedAt is the container's start time as the engine records it: unchanged means
// not restarted.
func (e *Env) StartedAt(t *testing.T, name string) string {
	return e.Docker(t, "inspect", "-f", "{{.State.StartedAt}} {{.State.Running}}", name)
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// WaitHTTP waits until url answers 200, for at most 30 seconds.
func WaitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within 30s (last error: %v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
