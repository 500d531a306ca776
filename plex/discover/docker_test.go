package discover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/stores/service"
)

func TestImageRepo(t *testing.T) {
	for ref, want := range map[string]string{
		"plexinc/pms-docker":                   "plexinc/pms-docker",
		"plexinc/pms-docker:latest":            "plexinc/pms-docker",
		"docker.io/plexinc/pms-docker:1.41.0":  "plexinc/pms-docker",
		"lscr.io/linuxserver/plex:latest":      "linuxserver/plex",
		"ghcr.io/linuxserver/plex":             "linuxserver/plex",
		"ghcr.io/hotio/plex:release":           "hotio/plex",
		"Binhex/Arch-Plex":                     "binhex/arch-plex",
		"registry.local:5000/hotio/plex:x@sha": "hotio/plex",
		"localhost/linuxserver/plex":           "linuxserver/plex",
		"linuxserver/plex@sha256:0123abcd":     "linuxserver/plex",
		"docker.io/library/debian:bookworm":    "debian",
	} {
		if got := imageRepo(ref); got != want {
			t.Errorf("imageRepo(%q) = %q, want %q", ref, got, want)
		}
	}
}

// prefsAt writes a Preferences.xml at dir/rel and returns its path.
func prefsAt(t *testing.T, dir, rel string) string {
	t.Helper()
	p := filepath.Join(dir, rel, PrefsFile)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func engineEnv(host string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if name == "DOCKER_HOST" {
			return host, true
		}
		return "", false
	}
}

func TestDockerImages(t *testing.T) {
	for _, tc := range []struct {
		image, rel string
		env        []string
	}{
		{"plexinc/pms-docker:latest", "Library/Application Support/Plex Media Server", nil},
		{"lscr.io/linuxserver/plex:latest", "Library/Application Support/Plex Media Server", []string{"PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/config/Library/Application Support"}},
		{"ghcr.io/hotio/plex:release", "", nil},
		{"binhex/arch-plex", "Plex Media Server", nil},
	} {
		t.Run(imageRepo(tc.image), func(t *testing.T) {
			cfg := t.TempDir()
			prefs := prefsAt(t, cfg, tc.rel)
			eng := dockertest.NewFakeEngine(t,
				&dockertest.Container{ID: "1111aaaa2222", Name: "web", Image: "nginx", Running: true},
				&dockertest.Container{ID: "3333bbbb4444", Name: "plex", Image: tc.image, Running: false, Env: tc.env,
					Mounts: []dockertest.Mount{{Type: "bind", Source: cfg, Destination: "/config"}, {Type: "bind", Source: t.TempDir(), Destination: "/transcode"}}})
			o := Options{GOOS: "linux", Getenv: engineEnv(eng.Host)}
			s, _, err := FindSettings(o)
			if err != nil {
				t.Fatal(err)
			}
			if s.Path != prefs {
				t.Errorf("settings at %s, want %s", s.Path, prefs)
			}
			if !strings.Contains(s.How, "Docker container plex") {
				t.Errorf("How = %q", s.How)
			}
			svc, _, err := FindService(o)
			if err != nil {
				t.Fatal(err)
			}
			if svc.Config.Manager != "docker" || svc.Config.Container != "plex" || svc.Config.DockerHost != eng.Host {
				t.Errorf("service = %+v", svc.Config)
			}
			if !strings.Contains(svc.How, "stopped") {
				t.Errorf("a stopped container is found too, and says so: %q", svc.How)
			}
		})
	}
}

// The container's own PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR wins over the image's
// layout; an image plexform does not know is found by a mount holding Plex's directory.
func TestDockerEnvAndUnknownImage(t *testing.T) {
	data := t.TempDir()
	prefs := prefsAt(t, data, "Plex Media Server")
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "5555cccc6666", Name: "pms", Image: "plexinc/pms-docker", Running: true,
		Env:    []string{"PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/data"},
		Mounts: []dockertest.Mount{{Type: "bind", Source: t.TempDir(), Destination: "/config"}, {Type: "bind", Source: data, Destination: "/data"}}})
	s, _, err := FindSettings(Options{GOOS: "linux", Getenv: engineEnv(eng.Host)})
	if err != nil || s.Path != prefs {
		t.Fatalf("FindSettings = %v, %v; want %s", s.Path, err, prefs)
	}

	own := t.TempDir()
	prefs = prefsAt(t, own, "Library/Application Support/Plex Media Server")
	eng = dockertest.NewFakeEngine(t, &dockertest.Container{ID: "7777dddd8888", Name: "myplex", Image: "me/homemade-plex:3", Running: true,
		Mounts: []dockertest.Mount{{Type: "volume", Source: own, Destination: "/srv/plex"}}})
	s, _, err = FindSettings(Options{GOOS: "linux", Getenv: engineEnv(eng.Host)})
	if err != nil || s.Path != prefs {
		t.Fatalf("FindSettings = %v, %v; want %s", s.Path, err, prefs)
	}
}

func TestDockerSeveralContainers(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	prefsAt(t, a, "Library/Application Support/Plex Media Server")
	prefsAt(t, b, "")
	eng := dockertest.NewFakeEngine(t,
		&dockertest.Container{ID: "aaaa00000001", Name: "plex-old", Image: "plexinc/pms-docker", Mounts: []dockertest.Mount{{Type: "bind", Source: a, Destination: "/config"}}},
		&dockertest.Container{ID: "bbbb00000002", Name: "plex-new", Image: "ghcr.io/hotio/plex", Running: true, Mounts: []dockertest.Mount{{Type: "bind", Source: b, Destination: "/config"}}})
	o := Options{GOOS: "linux", Getenv: engineEnv(eng.Host)}
	for _, find := range []func() error{
		func() error { _, _, err := FindSettings(o); return err },
		func() error { _, _, err := FindService(o); return err },
	} {
		err := find()
		if err == nil {
			t.Fatal("two Plex containers gave no error")
		}
		for _, want := range []string{"2 Plex containers found", "plex-old: image plexinc/pms-docker, config dir " + a, "plex-new: image ghcr.io/hotio/plex, config dir " + b, "path:", "manager: docker", "container: plex-new"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	}
	// path: chooses, and the engine is not asked.
	before := len(eng.Requests())
	s, _, err := FindSettings(Options{GOOS: "linux", Getenv: engineEnv(eng.Host), Path: filepath.Join(a, "Library/Application Support/Plex Media Server/Preferences.xml")})
	if err != nil || !strings.HasPrefix(s.Path, a) {
		t.Errorf("path: did not choose: %v, %v", s.Path, err)
	}
	if len(eng.Requests()) != before {
		t.Errorf("path: still asked the engine: %q", eng.Requests()[before:])
	}
}

func TestDockerNotUnderRoot(t *testing.T) {
	cfg := t.TempDir()
	prefsAt(t, cfg, "")
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "aaaa00000001", Name: "plex", Image: "hotio/plex", Running: true, Mounts: []dockertest.Mount{{Type: "bind", Source: cfg, Destination: "/config"}}})
	root := t.TempDir()
	o := Options{Root: root, GOOS: "linux", Getenv: engineEnv(eng.Host)}
	if _, _, err := FindService(o); err == nil {
		t.Error("under -root a container was found")
	}
	if _, _, err := FindSettings(o); err == nil {
		t.Error("under -root a container's settings were found")
	}
	if got := eng.Requests(); len(got) > 0 {
		t.Errorf("under -root the engine was asked: %q", got)
	}
}

func TestDockerContainerWithoutVolume(t *testing.T) {
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "aaaa00000001", Name: "plex", Image: "linuxserver/plex", Running: true})
	_, looked, err := FindService(Options{GOOS: "linux", Getenv: engineEnv(eng.Host)})
	if err == nil {
		t.Fatal("a container whose settings are in its own layer was taken")
	}
	if !strings.Contains(listLooked(looked), "no volume or bind mount holds /config/Library/Application Support/Plex Media Server") {
		t.Errorf("looked does not say why:\n%s", listLooked(looked))
	}
}

func TestDockerNoEngineIsNoError(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	_, looked, _ := FindService(Options{GOOS: "linux", Getenv: engineEnv("unix://" + sock)})
	if !strings.Contains(listLooked(looked), "Docker engine unix://"+sock+": no Docker engine (no socket)") {
		t.Errorf("looked does not name the missing engine:\n%s", listLooked(looked))
	}
}

func TestToHost(t *testing.T) {
	ms := []service.Mount{{Source: "/srv/cfg", Destination: "/config"}, {Source: "/srv/logs", Destination: "/config/Library/Application Support/Plex Media Server/Logs"}, {Source: "", Destination: "/tmp"}}
	for in, want := range map[string]string{
		"/config/Library/Application Support/Plex Media Server": "/srv/cfg/Library/Application Support/Plex Media Server",
		"/config": "/srv/cfg",
		"/config/Library/Application Support/Plex Media Server/Logs": "/srv/logs",
		"/configs/x": "",
		"/tmp/x":     "",
	} {
		_, got, ok := toHost(ms, in)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("toHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzImageRepo: any image reference an engine reports reduces to a repository
// without a digest or a registry port, in lower case, and never panics.
func FuzzImageRepo(f *testing.F) {
	for _, s := range []string{"plexinc/pms-docker", "lscr.io/linuxserver/plex:latest", "host:5000/a/b:c@sha256:00", "@", ":", "/", "a:b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		got := imageRepo(ref)
		if strings.Contains(got, "@") || got != strings.ToLower(got) {
			t.Errorf("imageRepo(%q) = %q", ref, got)
		}
		if _, ok := layoutOf(ref); ok && !strings.Contains(strings.ToLower(ref), "plex") {
			t.Errorf("%q taken for a Plex image", ref)
		}
	})
}
