package discover

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
)

const (
	selfID  = "7111bc4b0776d7fcc6feb5c8a40586e320060da3ad4f0eee31d0ae217b33cf7a"
	layerID = "a936a42eb7c594fd9e721c60e1a3ddfc50488feb164d72cc0ec72607c1fb1ead"
)

// dockerMountinfo is /proc/self/mountinfo inside a container of this repository's test
// dockerd (cgroup v1, cgroupfs driver), abridged: the root is a layer (whose id is no
// container's), the cgroup mounts and /etc/{resolv.conf,hostname,hosts} name the
// container.
const dockerMountinfo = `86 55 254:0 /var/lib/docker/vfs/dir/` + layerID + ` / rw,relatime master:2 - ext4 /dev/vda rw
87 86 0:47 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
92 91 0:29 /docker/` + selfID + ` /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
103 86 254:0 /var/lib/docker/containers/` + selfID + `/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw
104 86 254:0 /var/lib/docker/containers/` + selfID + `/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw
105 86 254:0 /var/lib/docker/containers/` + selfID + `/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw
`

func TestContainerIDsIn(t *testing.T) {
	mountinfo, cgroup := idsInMountinfo, idsInCgroup
	for _, tc := range []struct {
		name  string
		parse func(string) []string
		text  string
		want  []string
	}{
		{"docker mountinfo", mountinfo, dockerMountinfo, []string{selfID}},
		{"cgroup v1", cgroup, "12:pids:/docker/" + selfID + "\n0::/docker/" + selfID + "\n", []string{selfID}},
		{"cgroup v2, private namespace", cgroup, "0::/\n", nil},
		{"cgroup v2, systemd driver, host namespace", cgroup, "0::/system.slice/docker-" + selfID + ".scope\n", []string{selfID}},
		{"podman mountinfo", mountinfo, "600 590 0:60 /containers/storage/overlay-containers/" + selfID + "/userdata/hosts /etc/hosts rw - tmpfs tmpfs rw\n", []string{selfID}},
		{"podman mountinfo, vfs driver", mountinfo, "600 590 0:60 /run/vfs-containers/" + selfID + "/userdata/resolv.conf /etc/resolv.conf rw - tmpfs tmpfs rw\n", []string{selfID}},
		{"podman cgroup, cgroupfs", cgroup, "0::/libpod_parent/libpod-" + selfID + "\n", []string{selfID}},
		{"podman cgroup", cgroup, "0::/machine.slice/libpod-" + selfID + ".scope/container\n", []string{selfID}},
		{"a host's cgroup", cgroup, "0::/user.slice/user-0.slice/session-1.scope\n", nil},
		{"a host's mountinfo", mountinfo, "25 1 254:0 / / rw - ext4 /dev/vda rw\n", nil},
		// On the host every running container has its mounts in the host's table, as mount
		// points: a plexform on the host is in none of those containers.
		{"a Docker host with a running container", mountinfo, "25 1 254:0 / / rw - ext4 /dev/vda rw\n" +
			"700 25 0:90 / /var/lib/docker/containers/" + selfID + "/mounts/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n", nil},
		{"a Podman host with a running container", mountinfo, "25 1 254:0 / / rw - ext4 /dev/vda rw\n" +
			"701 25 0:91 / /tmp/p/run/vfs-containers/" + selfID + "/userdata/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=64000k\n", nil},
		{"an overlay layer", mountinfo, "90 1 0:40 / / rw - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X,upperdir=/var/lib/docker/overlay2/" + layerID + "/diff\n", nil},
		{"a short id", cgroup, "0::/docker/7111bc4b0776\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]bool{}
			for _, id := range tc.parse(tc.text) {
				got[id] = true
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ids %v, want %v", got, tc.want)
			}
			for _, id := range tc.want {
				if !got[id] {
					t.Errorf("ids %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func FuzzContainerIDsIn(f *testing.F) {
	f.Add(dockerMountinfo)
	f.Add("0::/system.slice/docker-" + selfID + ".scope\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, id := range append(idsInMountinfo(text), idsInCgroup(text)...) {
			if !isContainerID(id) || !strings.Contains(text, id) {
				t.Fatalf("id %q from %q", id, text)
			}
		}
	})
}

// plexform run in a container that mounts Plex's config dir at its host path (as the
// README's docker run line does) is neither a second Plex container to discovery nor a
// running Plex to the guard: its id, read from /proc/self/mountinfo, drops it from the
// engine's list. Another container mounting the same dir still counts.
func TestOwnContainerIsNoPlex(t *testing.T) {
	cfg := t.TempDir()
	prefs := prefsAt(t, cfg, "Library/Application Support/Plex Media Server")
	mount := []dockertest.Mount{{Type: "bind", Source: cfg, Destination: cfg}}
	eng := dockertest.NewFakeEngine(t,
		&dockertest.Container{ID: "3333bbbb4444", Name: "plex", Image: "lscr.io/linuxserver/plex", Running: true,
			Mounts: []dockertest.Mount{{Type: "bind", Source: cfg, Destination: "/config"}}},
		&dockertest.Container{ID: selfID, Name: "jovial_boyd", Image: "plexform", Running: true, Mounts: mount})
	proc := t.TempDir()
	if err := os.MkdirAll(filepath.Join(proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "self", "mountinfo"), []byte(dockerMountinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{GOOS: "linux", Getenv: engineEnv(eng.Host), Proc: proc}
	s, _, err := FindSettings(o)
	if err != nil || s.Path != prefs {
		t.Fatalf("FindSettings = %v, %v; want %s", s.Path, err, prefs)
	}
	found, _, _ := Running(context.Background(), o, prefs, "")
	if len(found) != 1 || !strings.Contains(found[0].What, "container plex ") {
		t.Errorf("Running = %+v, want the container plex alone", found)
	}

	// Another plexform container (not this process's) is a container like any other.
	if err := os.WriteFile(filepath.Join(proc, "self", "mountinfo"), []byte(strings.ReplaceAll(dockerMountinfo, selfID, strings.Repeat("e", 64))), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := FindSettings(o); err == nil || !strings.Contains(err.Error(), "2 Plex containers found") {
		t.Errorf("FindSettings with another container's id = %v, want the choice of two", err)
	}
}
