package discover

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// imageLayout is where one of Plex's images keeps the "Plex Media Server" directory
// inside the container.
type imageLayout struct {
	repo   string // the image's repository, without registry or tag
	pmsDir string // the "Plex Media Server" directory inside the container
}

// plexImages are the Plex images people run, and where each keeps its settings:
//   - plexinc/pms-docker runs Plex as the user plex, whose home is /config
//     (root/etc/cont-init.d/40-plex-first-run: `usermod -d /config plex`) with
//     PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR defaulting to "$HOME/Library/Application
//     Support" (root/etc/services.d/plex/run).
//   - linuxserver/plex sets ENV PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR="/config/Library/
//     Application Support" in its Dockerfile.
//   - hotio/plex links /app/config/"Plex Media Server" to /config (its Dockerfile: `ln -s
//     "${CONFIG_DIR}" "${APP_DIR}/config/Plex Media Server"`) and points
//     PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR at /app/config (s6-rc.d/service-plex/run):
//     the volume is the "Plex Media Server" directory itself.
//   - binhex/arch-plex exports PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/config
//     (run/nobody/start.sh); arch-plexpass is the same image with Plex Pass builds.
var plexImages = []imageLayout{
	{"plexinc/pms-docker", "/config/Library/Application Support/Plex Media Server"},
	{"linuxserver/plex", "/config/Library/Application Support/Plex Media Server"},
	{"hotio/plex", "/config"},
	{"binhex/arch-plex", "/config/Plex Media Server"},
	{"binhex/arch-plexpass", "/config/Plex Media Server"},
}

// imageRepo reduces an image reference to its repository: "lscr.io/linuxserver/plex:
// 1.41" and "docker.io/library/x@sha256:..." become "linuxserver/plex" and "x". The
// first part is a registry when it has a dot or a port, or is localhost.
func imageRepo(ref string) string {
	ref = strings.ToLower(ref)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	if first, rest, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		ref = rest
	}
	return strings.TrimPrefix(ref, "library/")
}

func layoutOf(image string) (imageLayout, bool) {
	repo := imageRepo(image)
	for _, l := range plexImages {
		if repo == l.repo {
			return l, true
		}
	}
	return imageLayout{}, false
}

// plexContainer is a container that runs Plex, and where its settings are on the host.
type plexContainer struct {
	name, image string
	running     bool
	// prefs is the host path of Preferences.xml; appSupport the host directory that
	// holds "Plex Media Server" ("" when the volume is that directory itself).
	prefs, appSupport string
	// configDir is the host directory of the mount that holds the settings.
	configDir string
	how       string
	host      string // the engine, as DOCKER_HOST spells it
}

// discoveryTimeout bounds the whole talk with the engine during discovery.
const discoveryTimeout = 15 * time.Second

// dockerContainers asks the Docker engine (DOCKER_HOST, else the default socket) for
// the containers that run Plex, stopped ones too: by image, or by a mount that holds a
// "Plex Media Server" directory. It is not used under -root, whose tree is another
// host's, nor off Linux. An engine that is not there is a line in looked, not an error.
func dockerContainers(o Options) ([]plexContainer, []Looked) {
	if o.Root != "" || o.GOOS != "linux" {
		return nil, nil
	}
	host := service.DockerHost(o.Getenv)
	eng, err := service.NewEngine(host)
	if err != nil {
		return nil, []Looked{{host, err.Error()}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), discoveryTimeout)
	defer cancel()
	list, err := eng.List(ctx)
	if err != nil {
		what := err.Error()
		if errors.Is(err, service.ErrEngine) && strings.Contains(what, "no socket at") {
			what = "no Docker engine (no socket)"
		}
		return nil, []Looked{{"Docker engine " + host, what}}
	}
	list = withoutSelf(o, list)
	var found []plexContainer
	var looked []Looked
	for _, s := range list {
		layout, known := layoutOf(s.Image)
		if !known && !mountsHoldPlex(s.Mounts) {
			continue
		}
		info, err := eng.Inspect(ctx, s.ID)
		if err != nil {
			looked = append(looked, Looked{"container " + s.Name(), err.Error()})
			continue
		}
		c, problem := locate(info, layout, known)
		where := "container " + info.Name + " (" + info.Image + ")"
		if problem != "" {
			looked = append(looked, Looked{where, problem})
			continue
		}
		c.host = host
		looked = append(looked, Looked{where, "found, settings in " + c.prefs})
		found = append(found, c)
	}
	if len(list) > 0 && len(found) == 0 && len(looked) == 0 {
		looked = append(looked, Looked{"Docker engine " + host, fmt.Sprintf("%d container%s, none running a Plex image or with a %q directory in a mount", len(list), plural(len(list), "", "s"), PMSDir)})
	}
	return found, looked
}

// mountsHoldPlex reports whether a mount's host directory holds a "Plex Media Server"
// directory where one of the layouts puts it, for images plexform does not know.
func mountsHoldPlex(ms []service.Mount) bool {
	for _, m := range ms {
		if m.Source != "" && pmsDirIn(m.Source) != "" {
			return true
		}
	}
	return false
}

// pmsDirIn finds the "Plex Media Server" directory in a host directory mounted into a
// container: the directory itself, or inside it as binhex or plexinc lay it out.
func pmsDirIn(dir string) string {
	for _, p := range []string{dir, filepath.Join(dir, PMSDir), filepath.Join(dir, "Library", "Application Support", PMSDir)} {
		if isFile("", filepath.Join(p, PrefsFile)) { // a host dir: Docker runs only without -root
			return p
		}
	}
	return ""
}

// locate maps the container's "Plex Media Server" directory to the host through its
// mounts. The container's own PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR (set in the
// image, as linuxserver does, or by the user) wins over the image's layout; an unknown
// image is located by its mounts alone.
func locate(info service.ContainerInfo, layout imageLayout, known bool) (plexContainer, string) {
	c := plexContainer{name: info.Name, image: info.Image, running: info.State.Running}
	var inContainer []string
	if v := envValue(info.Env, EnvAppSupport); path.IsAbs(v) {
		inContainer = append(inContainer, path.Join(v, PMSDir))
	}
	if known {
		inContainer = append(inContainer, layout.pmsDir)
	}
	for _, p := range inContainer {
		m, hostDir, ok := toHost(info.Mounts, p)
		if !ok {
			continue
		}
		c.prefs, c.configDir = filepath.Join(hostDir, PrefsFile), m.Source
		if filepath.Base(hostDir) == PMSDir {
			c.appSupport = filepath.Dir(hostDir)
		}
		c.how = "Docker container " + info.Name + " (image " + info.Image + "), settings in " + p + " inside it"
		if !isFile("", c.prefs) {
			c.how += " (no Preferences.xml there yet: Plex writes it at its first start)"
		}
		return c, ""
	}
	for _, m := range info.Mounts {
		if m.Source == "" {
			continue
		}
		if dir := pmsDirIn(m.Source); dir != "" {
			c.prefs, c.configDir = filepath.Join(dir, PrefsFile), m.Source
			if filepath.Base(dir) == PMSDir {
				c.appSupport = filepath.Dir(dir)
			}
			c.how = "Docker container " + info.Name + " (image " + info.Image + "), a " + PMSDir + " directory in its mount " + m.Destination
			return c, ""
		}
	}
	if len(inContainer) > 0 {
		return c, fmt.Sprintf("runs Plex, but no volume or bind mount holds %s: its settings live in the container's own layer, which plexform does not edit; mount a host directory there", inContainer[len(inContainer)-1])
	}
	return c, "no mount holds a " + PMSDir + " directory"
}

// toHost maps a path inside the container to the host through the mount that covers
// it most closely.
func toHost(ms []service.Mount, p string) (service.Mount, string, bool) {
	best := -1
	for i, m := range ms {
		if m.Source == "" || !filepath.IsAbs(m.Source) {
			continue
		}
		d := path.Clean(m.Destination)
		if p == d || strings.HasPrefix(p, d+"/") || d == "/" {
			if best < 0 || len(d) > len(path.Clean(ms[best].Destination)) {
				best = i
			}
		}
	}
	if best < 0 {
		return service.Mount{}, "", false
	}
	m := ms[best]
	rel := strings.TrimPrefix(strings.TrimPrefix(p, path.Clean(m.Destination)), "/")
	return m, filepath.Join(m.Source, filepath.FromSlash(rel)), true
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func (c plexContainer) settings() Settings {
	return Settings{Kind: plan.KindXMLAttributes, Path: c.prefs, AppSupport: c.appSupport, How: c.how}
}

func (c plexContainer) service() Service {
	state := "stopped"
	if c.running {
		state = "running"
	}
	return Service{Config: service.Config{Manager: "docker", Container: c.name, DockerHost: c.host},
		How: "Docker container " + c.name + " (image " + c.image + ", " + state + ")"}
}

// containerChoice is the message for several Plex containers: each with its image and
// host config dir, and the plan lines that choose one.
func containerChoice(cs []plexContainer) error {
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	var b strings.Builder
	fmt.Fprintf(&b, "%d Plex containers found:", len(cs))
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  %s: image %s, config dir %s", c.name, c.image, c.configDir)
	}
	fmt.Fprintf(&b, "\nChoose one in the plan: give plex_preferences its file with path: (%s) and replace plex_service with\n%s", cs[0].prefs, ServiceLines(cs[0].name))
	return errors.New(b.String())
}

// ServiceLines are the plan lines that name a container as the service.
func ServiceLines(container string) string {
	return "  - name: plex\n    kind: service\n    manager: docker\n    container: " + container
}

// withContainers puts a container's settings first and drops the known location that
// is the same file (unRAID's appdata is both a known location and a bind mount).
func withContainers(ctrs []plexContainer, cands []Settings) []Settings {
	var out []Settings
	seen := map[string]bool{}
	for _, c := range ctrs {
		out = append(out, c.settings())
		seen[filepath.Clean(c.prefs)] = true
	}
	for _, s := range cands {
		if s.Path == "" || !seen[filepath.Clean(s.Path)] {
			out = append(out, s)
		}
	}
	return out
}

// ContainerFacts is what doctor reports of a Plex container. It holds no environment
// value but the numeric ids: PLEX_CLAIM is only said to be there.
type ContainerFacts struct {
	Name, Image, NetworkMode string
	// ConfigDir is the host directory mounted where the settings are; Prefs the host
	// path of Preferences.xml ("" when no mount holds it).
	ConfigDir, Prefs string
	// UIDVar and GIDVar name the variables that set the account Plex runs as (PUID and
	// PGID for linuxserver, hotio and binhex; PLEX_UID and PLEX_GID for plexinc), UID and
	// GID their values; "" when not set.
	UIDVar, GIDVar, UID, GID string
	// Claim names a claim variable set in the container (PLEX_CLAIM; hotio's
	// PLEX_CLAIM_TOKEN), "" when none.
	Claim string
}

// inspect asks the engine at host (DOCKER_HOST or the default socket when empty) about
// one container, within discovery's time, and says which engine it asked.
func inspect(o Options, host, name string) (service.ContainerInfo, string, error) {
	if host == "" {
		host = service.DockerHost(o.Getenv)
	}
	eng, err := service.NewEngine(host)
	if err != nil {
		return service.ContainerInfo{}, host, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), discoveryTimeout)
	defer cancel()
	info, err := eng.Inspect(ctx, name)
	return info, host, err
}

// InspectContainer reads what doctor reports of one container on the engine o names.
func InspectContainer(o Options, name string, host string) (ContainerFacts, error) {
	info, _, err := inspect(o, host, name)
	if err != nil {
		return ContainerFacts{}, err
	}
	layout, known := layoutOf(info.Image)
	c, _ := locate(info, layout, known)
	f := ContainerFacts{Name: info.Name, Image: info.Image, NetworkMode: info.NetworkMode, ConfigDir: c.configDir, Prefs: c.prefs}
	for _, ids := range [][2]string{{"PUID", "PGID"}, {"PLEX_UID", "PLEX_GID"}} {
		if u, g := envValue(info.Env, ids[0]), envValue(info.Env, ids[1]); u != "" || g != "" {
			f.UIDVar, f.GIDVar, f.UID, f.GID = ids[0], ids[1], u, g
			break
		}
	}
	for _, v := range []string{"PLEX_CLAIM", "PLEX_CLAIM_TOKEN"} {
		if envValue(info.Env, v) != "" {
			f.Claim = v
			break
		}
	}
	return f, nil
}

// ContainerService asks the Docker engine (DOCKER_HOST, else the default socket) for
// the container a layout names, and returns it as the service when it exists and one
// of its mounts holds prefs: by its path on this machine, or under -root by the path the
// tree's own host gives it (DOCKER_HOST may name that host's engine, a NAS's). init uses
// it for a tree whose layout names its container (unRAID's appdata), where discovery
// itself does not ask the engine.
func ContainerService(o Options, name, prefs string) (Service, error) {
	info, host, err := inspect(o, "", name)
	if err != nil {
		return Service{}, err
	}
	if abs, err := filepath.Abs(prefs); err == nil {
		prefs = abs
	}
	paths := []string{prefs}
	if rel, err := filepath.Rel(o.Root, prefs); o.Root != "" && err == nil && !strings.HasPrefix(rel, "..") {
		paths = append(paths, "/"+filepath.ToSlash(rel))
	}
	for _, m := range info.Mounts {
		if m.Source != "" && holds(m.Source, paths) {
			c := plexContainer{name: info.Name, image: info.Image, running: info.State.Running, host: host}
			return c.service(), nil
		}
	}
	return Service{}, fmt.Errorf("the engine at %s has a container %s, but none of its mounts holds %s", host, info.Name, prefs)
}
