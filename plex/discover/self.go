package discover

import (
	"path/filepath"
	"strings"

	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/service"
)

// maxSelfFile bounds the read of /proc/self/mountinfo and /proc/self/cgroup.
const maxSelfFile = 1 << 20

// selfContainerIDs are the full ids of the container plexform itself runs in (none on a
// host), so that the engine's list never counts plexform's own container as a Plex one:
// run as the README says, it mounts Plex's config directory at its host path, and would
// otherwise be a second "Plex container" to discovery and a running Plex to the guard.
//
// The id is read where the engines put it, never guessed from a name or the hostname
// (the hostname is the short id only without --network host or --hostname):
//   - /proc/self/mountinfo: Docker bind-mounts /etc/hostname, /etc/hosts and
//     /etc/resolv.conf from /var/lib/docker/containers/<id>/ (moby
//     daemon/container_operations_unix.go, container.Container.GetRootResourcePath), and
//     Podman from .../<driver>-containers/<id>/userdata/ (overlay-containers, or
//     vfs-containers with the vfs driver; containers/storage keeps a container's run
//     files in <runroot>/<driver>-containers/<id>, and libpod mounts them from there). These mounts exist under cgroup v1 and v2,
//     and with --network host too;
//   - /proc/self/cgroup: under cgroup v1, or v2 with the host's cgroup namespace
//     (--cgroupns host), the path ends in docker/<id>, docker-<id>.scope or
//     libpod-<id>.scope. Under cgroup v2 with a private namespace (Docker's default
//     there) it is "0::/", and the mounts are what tells.
//
// An id is a 64-digit lower-case hex string; the engine's list is matched by it alone.
func selfContainerIDs(o Options) map[string]bool {
	ids := map[string]bool{}
	proc := procDir(o)
	for name, parse := range map[string]func(string) []string{"mountinfo": idsInMountinfo, "cgroup": idsInCgroup} {
		data, err := fileutil.ReadHead(filepath.Join(proc, "self", name), maxSelfFile)
		if err != nil {
			continue
		}
		for _, id := range parse(string(data)) {
			ids[id] = true
		}
	}
	return ids
}

// idsInMountinfo finds the container ids in /proc/self/mountinfo: only in the root
// (fourth field) of what is mounted on /etc/hostname, /etc/hosts, /etc/resolv.conf or
// a cgroup directory, which the engine mounts inside a container. The host's own table
// names every container too (Docker's containers/<id>/mounts/shm, Podman's
// <driver>-containers/<id>/userdata/shm are mount points there), and a plexform on the
// host must not take itself for any of them.
func idsInMountinfo(text string) []string {
	var ids []string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		switch point := fields[4]; {
		case point == "/etc/hostname", point == "/etc/hosts", point == "/etc/resolv.conf",
			strings.HasPrefix(point, "/sys/fs/cgroup"):
			ids = append(ids, idsInPath(fields[3])...)
		}
	}
	return ids
}

// idsInCgroup finds the container ids in /proc/self/cgroup: each line is
// hierarchy:controllers:path, and the path names the container under docker or libpod.
func idsInCgroup(text string) []string {
	var ids []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.LastIndex(line, ":"); i >= 0 {
			ids = append(ids, idsInPath(strings.TrimSpace(line[i+1:]))...)
		}
	}
	return ids
}

// idsInPath finds container ids in one path: a 64-hex element after "containers/" or
// "<driver>-containers/", or an element "<id>", "docker-<id>.scope", "libpod-<id>.scope"
// under a docker or libpod directory.
func idsInPath(path string) []string {
	var ids []string
	elems := strings.Split(path, "/")
	for i, e := range elems {
		id := e
		for _, p := range []string{"docker-", "libpod-", "crio-", "cri-containerd-"} {
			id = strings.TrimPrefix(id, p)
		}
		id = strings.TrimSuffix(id, ".scope")
		if !isContainerID(id) {
			continue
		}
		prev := ""
		if i > 0 {
			prev = elems[i-1]
		}
		switch {
		case id != e, // docker-<id>.scope and the like
			prev == "containers", strings.HasSuffix(prev, "-containers"), // overlay-containers, vfs-containers
			prev == "docker", prev == "libpod":
			ids = append(ids, id)
		}
	}
	return ids
}

func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// withoutSelf drops plexform's own container from the engine's list.
func withoutSelf(o Options, list []service.Summary) []service.Summary {
	self := selfContainerIDs(o)
	if len(self) == 0 {
		return list
	}
	out := list[:0:0]
	for _, s := range list {
		if !self[s.ID] {
			out = append(out, s)
		}
	}
	return out
}
