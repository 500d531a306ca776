package discover

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/stores/service"
)

// Service is how this host runs Plex.
type Service struct {
	Config service.Config
	How    string
	// User and Group are the account Plex runs as, when known.
	User, Group string
	// elsewhere is set for an install that only its own machine can drive (a Windows
	// disk under Root); FindService turns it into an error.
	elsewhere bool
}

// s6Dirs are the s6 service directories of Plex's Docker images. The live ones (under
// /run, where s6-svscan supervises) come first; /etc/services.d/plex is s6-overlay v2's
// source, copied to /var/run/s6/services at container start, so it only counts when no
// live copy exists (a volume of a stopped container).
var s6Dirs = []string{"/run/service/svc-plex", "/run/s6/services/plex", "/var/run/s6/services/plex", "/etc/services.d/plex"}

// FindService finds how Plex is run here: a systemd unit file, the snap, an s6 service
// directory, a Synology package (synopkg), a FreeBSD rc script (also inside TrueNAS CORE
// jails), the macOS app, or on Windows a wrapping service, else the per-user app. It
// reads files only (on Windows also the registry and the service configurations). None
// or several is an error that lists what was looked at and says to name the service
// with a kind: service resource.
func FindService(o Options) (Service, []Looked, error) {
	var looked []Looked
	if o.Root == "" && o.GOOS == "windows" {
		_, s, more, err := findWindows(o, liveWindows())
		return s, append(looked, more...), err
	}
	var found []Service
	add := func(s []Service, l []Looked) {
		found = append(found, s...)
		looked = append(looked, l...)
	}
	add(systemdService(o.Root))
	add(snapService(o.Root))
	add(s6Service(o.Root))
	add(synologyService(o.Root))
	add(freebsdServices(o.Root))
	add(macService(o.Root))
	add(windowsService(o.Root))
	ctrs, more := dockerContainers(o)
	looked = append(looked, more...)
	if len(ctrs) > 1 {
		return Service{}, looked, containerChoice(ctrs)
	}
	for _, c := range ctrs {
		found = append(found, c.service())
	}
	switch len(found) {
	case 0:
		hint := serviceHint(o.Root)
		return Service{}, looked, &NoServiceError{Root: o.Root, Lines: hint.lines, Container: hint.container, Looked: looked}
	case 1:
		if found[0].elsewhere {
			return Service{}, looked, fmt.Errorf("%s: it can only be stopped and started on that Windows machine; run plexform there", found[0].How)
		}
		return found[0], looked, nil
	}
	var lines []string
	for _, s := range found {
		lines = append(lines, "  "+s.Config.Manager+": "+s.How)
	}
	return Service{}, looked, fmt.Errorf("%d ways to run Plex Media Server found%s:\n%s\nName the one in use with a kind: service resource in the plan", len(found), under(o.Root), strings.Join(lines, "\n"))
}

func systemdService(root string) ([]Service, []Looked) {
	var looked []Looked
	u := findUnit(root, &looked)
	if u == nil {
		return nil, looked
	}
	looked = append(looked, u.Problems...)
	s := Service{Config: service.Config{Manager: "systemd", Unit: strings.TrimSuffix(unitName, ".service")}, User: u.User.Value, Group: u.Group.Value}
	s.How = "systemd unit file " + u.File
	if len(u.DropIns) > 0 {
		s.How += " with drop-ins " + strings.Join(u.DropIns, ", ")
	}
	if s.User == "" {
		// A unit without User= runs as root.
		s.User = "root"
	}
	if s.Group == "" {
		s.Group = primaryGroup(root, s.User)
	}
	return []Service{s}, looked
}

func snapService(root string) ([]Service, []Looked) {
	for _, p := range []string{"/snap/plexmediaserver", "/var/snap/plexmediaserver"} {
		if rp := rooted(root, p); isDir(root, rp) {
			return []Service{{Config: service.Config{Manager: "snap", Unit: "plexmediaserver"}, How: "snap directory " + rp, User: "root", Group: "root"}},
				[]Looked{{rp, "found the snap"}}
		}
	}
	return nil, []Looked{{rooted(root, "/snap/plexmediaserver"), "not found (snap)"}}
}

var setuidgid = lazyre.New(`s6-setuidgid\s+([A-Za-z0-9_][A-Za-z0-9_.-]*)`)

func s6Service(root string) ([]Service, []Looked) {
	var looked []Looked
	for _, d := range s6Dirs {
		dir := rooted(root, d)
		if !isFile(root, filepath.Join(dir, "run")) {
			looked = append(looked, Looked{dir, "not found (s6 service directory)"})
			continue
		}
		looked = append(looked, Looked{dir, "found an s6 service directory"})
		s := Service{Config: service.Config{Manager: "s6", Dir: resolved(root, dir)}, How: "s6 service directory " + dir}
		if d == "/etc/services.d/plex" {
			s.How += " (s6-overlay's source copy: the container does not seem to be running)"
		}
		if run, err := readConfig(root, filepath.Join(dir, "run")); err == nil {
			if m := setuidgid.FindSubmatch(run); m != nil {
				s.User = string(m[1])
				s.Group = primaryGroup(root, s.User)
			}
		}
		return []Service{s}, looked
	}
	// Images whose service has another name (hotio's, a user's own): any live service
	// directory whose run script starts Plex.
	for _, pattern := range []string{"/run/service/*/run", "/run/s6/services/*/run", "/var/run/s6/services/*/run"} {
		runs := glob(root, rooted(root, pattern))
		sort.Strings(runs)
		for _, run := range runs {
			data, err := readConfig(root, run)
			if err != nil || !startsPlex.Match(data) {
				continue
			}
			dir := filepath.Dir(run)
			looked = append(looked, Looked{dir, "found an s6 service directory whose run script starts Plex"})
			s := Service{Config: service.Config{Manager: "s6", Dir: resolved(root, dir)}, How: "s6 service directory " + dir + " (its run script starts Plex Media Server)"}
			if m := setuidgid.FindSubmatch(data); m != nil {
				s.User = string(m[1])
				s.Group = primaryGroup(root, s.User)
			}
			return []Service{s}, looked
		}
	}
	return nil, looked
}

var startsPlex = lazyre.New(`(?i)plex media server|plexmediaserver`)

func synologyService(root string) ([]Service, []Looked) {
	var found []Service
	var looked []Looked
	for _, pkg := range []struct{ name, user, dsm string }{
		{"PlexMediaServer", "PlexMediaServer", "DSM 7"},
		{"Plex Media Server", "plex", "DSM 6"},
	} {
		dir := rooted(root, "/var/packages/"+pkg.name)
		if !isDir(root, dir) {
			looked = append(looked, Looked{dir, "not found (Synology " + pkg.dsm + ")"})
			continue
		}
		looked = append(looked, Looked{dir, "found the Synology package"})
		found = append(found, Service{
			Config: service.Config{Manager: "exec",
				Start:  []string{"synopkg", "start", pkg.name},
				Stop:   []string{"synopkg", "stop", pkg.name},
				Status: []string{"synopkg", "status", pkg.name}},
			How:  "Synology " + pkg.dsm + " package " + dir,
			User: pkg.user, Group: primaryGroup(root, pkg.user),
		})
	}
	return found, looked
}

// freebsdServices finds the port's rc script on the host, and inside TrueNAS CORE's
// iocage jails, where it is driven from the host with iocage exec.
func freebsdServices(root string) ([]Service, []Looked) {
	var found []Service
	var looked []Looked
	for _, name := range []string{"plexmediaserver", "plexmediaserver_plexpass"} {
		script := rooted(root, "/usr/local/etc/rc.d/"+name)
		if isFile(root, script) {
			looked = append(looked, Looked{script, "found the FreeBSD rc script"})
			user := rcUser(root, name)
			found = append(found, Service{Config: rcConfig(nil, name), How: "FreeBSD rc script " + script, User: user, Group: primaryGroup(root, user)})
		} else {
			looked = append(looked, Looked{script, "not found (FreeBSD)"})
		}
		jailScripts := glob(root, rooted(root, "/mnt/*/iocage/jails/*/root/usr/local/etc/rc.d/"+name))
		sort.Strings(jailScripts)
		for _, js := range jailScripts {
			jailRoot := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(js)))))
			jail := filepath.Base(filepath.Dir(jailRoot))
			looked = append(looked, Looked{js, "found the rc script in the TrueNAS CORE jail " + jail})
			user := rcUser(jailRoot, name)
			found = append(found, Service{Config: rcConfig([]string{"iocage", "exec", jail}, name),
				How: "FreeBSD rc script in the TrueNAS CORE jail " + jail + " (" + js + ")", User: user, Group: primaryGroup(jailRoot, user)})
		}
	}
	return found, looked
}

// rcConfig drives an rc script with the one* verbs, which work whether or not the
// script is enabled in rc.conf.
func rcConfig(prefix []string, name string) service.Config {
	argv := func(verb string) []string {
		return append(append(append([]string{}, prefix...), "service", name), verb)
	}
	return service.Config{Manager: "exec", Start: argv("onestart"), Stop: argv("onestop"), Status: argv("onestatus")}
}

// rcUser reads NAME_user from rc.conf; the port's default is plex.
func rcUser(root, name string) string {
	user := "plex"
	for _, f := range []string{"/etc/rc.conf", "/etc/rc.conf.local"} {
		data, err := readConfig(root, rooted(root, f))
		if err != nil {
			continue
		}
		if v, ok := parseEnvFile(data)[name+"_user"]; ok && v != "" {
			user = v
		}
	}
	return user
}

func macService(root string) ([]Service, []Looked) {
	app := rooted(root, "/Applications/Plex Media Server.app")
	if !isDir(root, app) {
		return nil, []Looked{{app, "not found (macOS)"}}
	}
	return []Service{{Config: service.Config{Manager: "app", App: "Plex Media Server"}, How: "macOS app " + app}}, []Looked{{app, "found the macOS app"}}
}

func windowsService(root string) ([]Service, []Looked) {
	var found []Service
	var looked []Looked
	for _, pf := range []string{"/Program Files/Plex/Plex Media Server", "/Program Files (x86)/Plex/Plex Media Server"} {
		exe := rooted(root, pf+"/Plex Media Server.exe")
		if !isFile(root, exe) {
			looked = append(looked, Looked{exe, "not found (Windows)"})
			continue
		}
		looked = append(looked, Looked{exe, "found the Windows app"})
		found = append(found, Service{Config: service.Config{Manager: "windows-app"}, How: "Windows install " + exe, elsewhere: true})
	}
	return found, looked
}

// NoServiceError is FindService finding no way to run Plex. A plan can still show what
// would change in the settings; Lines, when the layout tells, is the kind: service
// resource to add.
type NoServiceError struct {
	Root  string
	Lines string
	// Container is the Docker container the layout says runs Plex (unRAID's appdata
	// directory names it), "" when the layout is not a container's.
	Container string
	// Asked is what the engine answered when asked for Container (init asks; see
	// ContainerService), "" when not asked.
	Asked  string
	Looked []Looked
}

func (e *NoServiceError) Error() string {
	return fmt.Sprintf("no way to run Plex Media Server found%s\n%s\n%s", under(e.Root), listLooked(e.Looked), e.Hint())
}

// Hint says in one line how to name the service, then the lines to add when known.
func (e *NoServiceError) Hint() string {
	if e.Lines == "" {
		return "Name it in the plan: replace plex_service with a kind: service resource (manager: systemd, snap, s6, exec, docker, ...)"
	}
	return "Name it in the plan: replace plex_service with\n" + e.Lines
}

// serviceHint is the kind: service resource of the one install found under root whose
// layout tells how it is run.
func serviceHint(root string) layoutHint {
	cands, _ := scanLocations(root)
	if len(cands) == 1 {
		return cands[0].service
	}
	return layoutHint{}
}

func containerLines(name string) func(string) layoutHint {
	return func(string) layoutHint { return layoutHint{ServiceLines(name), name} }
}

func unitLines(unit string) func(string) layoutHint {
	return func(string) layoutHint {
		return layoutHint{lines: "  - name: plex\n    kind: service\n    manager: systemd\n    unit: " + unit}
	}
}

// appdataContainer names the container after its appdata directory, the dir the glob
// matched up levels above it, as unRAID's templates do.
func appdataContainer(up int) func(string) layoutHint {
	return func(match string) layoutHint {
		dir := match
		for range up {
			dir = filepath.Dir(dir)
		}
		name := filepath.Base(dir)
		return layoutHint{ServiceLines(name) + "   # the name docker ps -a shows", name}
	}
}

// truenasContainer names the container compose runs for the TrueNAS SCALE app whose
// ixVolume the glob matched: /mnt/.ix-apps/app_mounts/<app>/config/Library/Application Support.
func truenasContainer(match string) layoutHint {
	app := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(match))))
	name := "ix-" + app + "-plex-1"
	return layoutHint{ServiceLines(name) + "   # the name docker ps -a shows", name}
}
