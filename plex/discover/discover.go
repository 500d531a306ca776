// Package discover finds how Plex Media Server is installed on a host: which store holds
// its settings (Preferences.xml, a plist, a registry key) and which manager runs it. It
// only reads files, under Options.Root when set, and runs nothing (no systemctl): what a
// unit file or a package directory says is what counts, so a mounted disk or a container
// volume is read the same way as the live host.
//
// Every function returns the places it looked at, so a failure (nothing found, or more
// than one candidate) can tell the user what was searched and how to choose.
package discover

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/plexform/plexform/plan"
)

// Options say where and how to look.
type Options struct {
	// Root holds every host path looked up ("" = /).
	Root string
	// GOOS is runtime.GOOS normally.
	GOOS string
	// Getenv reads the process environment; nil means none.
	Getenv func(string) (string, bool)
	// Path is an explicit host path from the plan; it wins over everything.
	Path string
	// Proc is where Running reads processes ("" = /proc), IdentityURL the server it asks
	// for /identity ("" = http://127.0.0.1:32400, PMS's own port).
	Proc, IdentityURL string
}

// Looked is one place looked at and what was there.
type Looked struct {
	Where string `json:"where"`
	What  string `json:"what"`
}

// Settings is the store that holds Plex's settings.
type Settings struct {
	Kind   string // plan.KindXMLAttributes, plan.KindPlistKeys or plan.KindRegistryValues
	Path   string // the file, under Root, for xml_attributes and plist_keys by path
	Domain string // plist_keys through defaults (macOS itself, no Root)
	Key    string // registry_values
	User   string // registry_values: the SID of another account's hive (a wrapping Windows service's)
	How    string // one line: how it was found
	// AppSupport is the directory holding "Plex Media Server" (logs, databases), under
	// Root; "" when unknown.
	AppSupport string
	// service is the kind: service resource this layout is run by, when known.
	service layoutHint
}

// layoutHint is the service a layout is run by: its plan lines, and for a container the
// name the layout gives it (a guess the engine can confirm: see ContainerService).
type layoutHint struct{ lines, container string }

// Names and places Plex uses.
const (
	EnvAppSupport = "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR"
	PMSDir        = "Plex Media Server"
	PrefsFile     = "Preferences.xml"
	MacDomain     = "com.plexapp.plexmediaserver"
	WindowsKey    = `HKCU\Software\Plex, Inc.\Plex Media Server`
)

// location is a known place for AppSupport, as a glob under root.
type location struct {
	label string
	glob  string
	// pmsDir is true when the glob matches the "Plex Media Server" directory itself
	// (hotio's /config), not its parent.
	pmsDir bool
	// service, when known, is the kind: service resource that runs Plex in this layout,
	// for a plan that found no service manager; it gets the directory the glob matched.
	service func(match string) layoutHint
}

// knownLocations are where the packages, images and NAS apps put AppSupport (the README's
// layout table lists them).
var knownLocations = []location{
	{"Debian/Ubuntu/Fedora package", "/var/lib/plexmediaserver/Library/Application Support", false, nil},
	{"Arch package", "/var/lib/plex", false, nil},
	{"snap", "/var/snap/plexmediaserver/common/Library/Application Support", false, nil},
	// Inside a container (or a Kubernetes pod: plexinc's Helm chart mounts its config
	// volume at /config too); the layouts are cited in docker.go.
	{"Docker or Kubernetes volume of the plexinc or linuxserver image", "/config/Library/Application Support", false, nil},
	{"Docker volume of the hotio image", "/config", true, nil},
	{"Docker volume of the binhex image", "/config", false, nil},
	{"Synology DSM 7 package", "/volume*/PlexMediaServer/AppData", false, nil},
	{"Synology DSM 6 package", "/volume*/Plex/Library/Application Support", false, nil},
	// QNAP's package keeps its data inside its install path (Install_path in
	// /etc/config/qpkg.conf), normally /share/<volume>/.qpkg/PlexMediaServer.
	{"QNAP package", "/share/*/.qpkg/PlexMediaServer/Library", false, nil},
	{"QNAP package (PlexData share)", "/share/*/PlexData", false, nil},
	{"FreeBSD port", "/usr/local/plexdata", false, nil},
	{"FreeBSD port (plexpass)", "/usr/local/plexdata-plexpass", false, nil},
	{"TrueNAS CORE plugin jail", "/mnt/*/iocage/jails/*/root/usr/local/plexdata*", false, nil},
	// unRAID's templates mount /mnt/user/appdata/<container name> at /config.
	{"unRAID appdata (plexinc or linuxserver layout)", "/mnt/user/appdata/*/Library/Application Support", false, appdataContainer(2)},
	{"unRAID appdata (binhex layout)", "/mnt/user/appdata/*", false, appdataContainer(0)},
	{"unRAID appdata (hotio layout)", "/mnt/user/appdata/*", true, appdataContainer(0)},
	// Home Assistant's Plex add-on (hassio-addons/addon-plex) sets
	// PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/data (rootfs/etc/s6-overlay/s6-rc.d/plex/run);
	// the Supervisor keeps an add-on's /data in addons/data/<slug> of its data dir,
	// /mnt/data/supervisor on Home Assistant OS and /usr/share/hassio on a supervised
	// install, and runs it as the container addon_<slug>.
	{"Home Assistant Plex add-on (Home Assistant OS)", "/mnt/data/supervisor/addons/data/a0d7b954_plex", false, containerLines("addon_a0d7b954_plex")},
	{"Home Assistant Plex add-on (supervised)", "/usr/share/hassio/addons/data/a0d7b954_plex", false, containerLines("addon_a0d7b954_plex")},
	// ASUSTOR's App Central package: AppSuppDir="/volume1/Plex/Library" in
	// ChuckPa/PlexDBRepair's DBRepair.sh host table.
	{"ASUSTOR package", "/volume*/Plex/Library", false, nil},
	// Netgear ReadyNAS: AppSuppDir="$PKGDIR/MediaLibrary" with PKGDIR=/apps/plexmediaserver*,
	// run by the systemd unit fvapp-plexmediaserver (DBRepair.sh's host table).
	{"Netgear ReadyNAS app", "/apps/plexmediaserver*/MediaLibrary", false, unitLines("fvapp-plexmediaserver")},
	// Western Digital My Cloud OS 5: AppSuppDir=/mnt/HD/HD*/Nas_Prog/plex_conf (DBRepair.sh).
	{"WD My Cloud OS 5 app", "/mnt/HD/HD*/Nas_Prog/plex_conf", false, nil},
	// TrueNAS SCALE 24.10+ apps: the plex app runs plexinc/pms-docker with its config
	// storage at /config (truenas/apps ix-dev/stable/plex/templates/docker-compose.yaml);
	// an ixVolume lives in /mnt/.ix-apps/app_mounts/<app>/<volume> (truenas/middleware,
	// plugins/apps/ix_apps/path.py), and compose names the container ix-<app>-plex-1.
	{"TrueNAS SCALE app (ixVolume)", "/mnt/.ix-apps/app_mounts/*/config/Library/Application Support", false, truenasContainer},
}

// FindSettings finds the store holding Plex's settings, in this order: o.Path; the
// environment's PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR (when that directory exists);
// the systemd unit's Environment= and EnvironmentFile= (unit file and drop-ins); on
// macOS itself the defaults domain and on Windows itself the HKCU registry key; then the
// known locations of every package, image and NAS app. Zero or several candidates is an
// error that lists what was looked at and says to name the file with path:.
//
// On Windows itself Settings.User is the SID of the account a wrapping service runs Plex
// as, when that is not the caller (see findWindows).
func FindSettings(o Options) (Settings, []Looked, error) {
	var looked []Looked
	if o.Path != "" {
		p := rooted(o.Root, o.Path)
		s := settingsFile(p)
		s.How = "path: " + o.Path + " from the plan"
		if !isFile(o.Root, p) {
			s.How += " (no file there yet)"
		}
		return s, append(looked, Looked{p, "named by the plan"}), nil
	}
	if v, ok := getenv(o, EnvAppSupport); ok && v != "" {
		dir := rooted(o.Root, v)
		if filepath.IsAbs(v) && isDir(o.Root, dir) {
			s := xmlIn(dir)
			s.How = EnvAppSupport + " in plexform's environment"
			return s, append(looked, Looked{EnvAppSupport, "set to " + dir}), nil
		}
		looked = append(looked, Looked{EnvAppSupport, "set, but " + dir + " is not a directory; ignored"})
	}
	if u := findUnit(o.Root, &looked); u != nil {
		looked = append(looked, u.Problems...)
		if set, ok := u.Env[EnvAppSupport]; ok && filepath.IsAbs(set.Value) {
			dir := rooted(o.Root, set.Value)
			s := xmlIn(dir)
			s.How = EnvAppSupport + " in " + u.describe(set)
			if !isFile(o.Root, s.Path) {
				s.How += " (no Preferences.xml there yet: Plex writes it at its first start)"
			}
			return s, append(looked, Looked{set.From, "Environment= sets " + EnvAppSupport}), nil
		}
		looked = append(looked, Looked{u.File, "no " + EnvAppSupport + " in the unit or its drop-ins"})
	}
	if o.Root == "" {
		switch o.GOOS {
		case "darwin":
			s := Settings{Kind: plan.KindPlistKeys, Domain: MacDomain, How: "macOS: the defaults domain " + MacDomain + " of the user running plexform"}
			if home, ok := getenv(o, "HOME"); ok && home != "" {
				s.AppSupport = filepath.Join(home, "Library", "Application Support")
			}
			return s, append(looked, Looked{"defaults domain " + MacDomain, "used on macOS"}), nil
		case "windows":
			s, _, more, err := findWindows(o, liveWindows())
			return s, append(looked, more...), err
		}
	}
	ctrs, more := dockerContainers(o)
	looked = append(looked, more...)
	if len(ctrs) > 1 {
		return Settings{}, looked, containerChoice(ctrs)
	}
	cands, more := scanLocations(o.Root)
	looked = append(looked, more...)
	cands = withContainers(ctrs, cands)
	switch len(cands) {
	case 0:
		return Settings{}, looked, fmt.Errorf("no Plex Media Server settings found%s\n%s\nName the file in the plan with path: (the Preferences.xml inside the \"Plex Media Server\" directory), or set %s", under(o.Root), listLooked(looked), EnvAppSupport)
	case 1:
		if err := cands[0].err(); err != nil {
			return Settings{}, looked, err
		}
		return cands[0], looked, nil
	}
	var lines []string
	for _, c := range cands {
		lines = append(lines, "  "+c.where()+" ("+c.How+")")
	}
	return Settings{}, looked, fmt.Errorf("%d Plex Media Server installs found%s:\n%s\nChoose one with path: in the plan", len(cands), under(o.Root), strings.Join(lines, "\n"))
}

func getenv(o Options, name string) (string, bool) {
	if o.Getenv == nil {
		return "", false
	}
	return o.Getenv(name)
}

func under(root string) string {
	if root == "" {
		return ""
	}
	return " under " + root
}

func listLooked(looked []Looked) string {
	var b strings.Builder
	b.WriteString("Looked at:")
	for _, l := range looked {
		fmt.Fprintf(&b, "\n  %s: %s", l.Where, l.What)
	}
	return b.String()
}

// settingsFile is the store for an explicit file: a .plist is a plist, anything else
// Preferences.xml.
func settingsFile(p string) Settings {
	if strings.EqualFold(filepath.Ext(p), ".plist") {
		return Settings{Kind: plan.KindPlistKeys, Path: p}
	}
	s := Settings{Kind: plan.KindXMLAttributes, Path: p}
	if filepath.Base(filepath.Dir(p)) == PMSDir {
		s.AppSupport = filepath.Dir(filepath.Dir(p))
	}
	return s
}

func xmlIn(appSupport string) Settings {
	return Settings{Kind: plan.KindXMLAttributes, Path: filepath.Join(appSupport, PMSDir, PrefsFile), AppSupport: appSupport}
}

// scanLocations looks at every known place under root and returns the installs found.
// A macOS or Windows install under root is a candidate too, so a mounted Mac disk gets
// its plist and a Windows disk a clear error.
func scanLocations(root string) ([]Settings, []Looked) {
	var found []Settings
	var looked []Looked
	seen := map[string]bool{}
	for _, loc := range knownLocations {
		matches := glob(root, rooted(root, loc.glob))
		if len(matches) == 0 {
			looked = append(looked, Looked{rooted(root, loc.glob), "not found (" + loc.label + ")"})
			continue
		}
		sort.Strings(matches)
		misses := 0
		for _, m := range matches {
			appSupport, prefs := m, filepath.Join(m, PMSDir, PrefsFile)
			if loc.pmsDir {
				appSupport, prefs = filepath.Dir(m), filepath.Join(m, PrefsFile)
			}
			if !isFile(root, prefs) {
				misses++
				continue
			}
			if seen[prefs] {
				continue
			}
			seen[prefs] = true
			looked = append(looked, Looked{prefs, "found Preferences.xml (" + loc.label + ")"})
			s := Settings{Kind: plan.KindXMLAttributes, Path: prefs, AppSupport: appSupport, How: "known location of the " + loc.label}
			if loc.service != nil {
				s.service = loc.service(m)
			}
			if loc.pmsDir {
				// hotio's volume is the "Plex Media Server" directory itself; its parent
				// is a host directory the container never sees.
				s.AppSupport = ""
			}
			found = append(found, s)
		}
		if misses > 0 {
			// One line per glob, not per directory: unRAID's appdata holds every app.
			looked = append(looked, Looked{rooted(root, loc.glob), fmt.Sprintf("%d director%s, none with %s (%s)", misses, plural(misses, "y", "ies"), prefsRel(loc), loc.label)})
		}
	}
	if dir, conf, ok := qnapInstallPath(root); ok {
		appSupport := filepath.Join(rooted(root, dir), "Library")
		prefs := filepath.Join(appSupport, PMSDir, PrefsFile)
		switch {
		case seen[prefs]:
		case isFile(root, prefs):
			seen[prefs] = true
			looked = append(looked, Looked{prefs, "found Preferences.xml (QNAP package, Install_path in " + conf + ")"})
			found = append(found, Settings{Kind: plan.KindXMLAttributes, Path: prefs, AppSupport: appSupport, How: "QNAP package's Install_path in " + conf})
		default:
			looked = append(looked, Looked{prefs, "not found (QNAP package, Install_path in " + conf + ")"})
		}
	}
	macs := glob(root, rooted(root, "/Users/*/Library/Preferences/"+MacDomain+".plist"))
	for _, m := range macs {
		home := filepath.Dir(filepath.Dir(filepath.Dir(m)))
		looked = append(looked, Looked{m, "found the macOS settings plist"})
		found = append(found, Settings{Kind: plan.KindPlistKeys, Path: m, AppSupport: filepath.Join(home, "Library", "Application Support"),
			How: "macOS settings plist of the user " + filepath.Base(home)})
	}
	if len(macs) == 0 {
		looked = append(looked, Looked{rooted(root, "/Users/*/Library/Preferences/"+MacDomain+".plist"), "not found (macOS)"})
	}
	wins := glob(root, rooted(root, "/Users/*/AppData/Local/"+PMSDir))
	for _, w := range wins {
		user := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(w))))
		looked = append(looked, Looked{w, "found a Windows install's data directory"})
		found = append(found, Settings{Kind: plan.KindRegistryValues, Key: WindowsKey, AppSupport: filepath.Dir(w),
			How: "Windows install of the user " + user})
	}
	if len(wins) == 0 {
		looked = append(looked, Looked{rooted(root, "/Users/*/AppData/Local/"+PMSDir), "not found (Windows)"})
	}
	return found, looked
}

// err refuses a Windows install found on a disk: its settings are in the registry hive
// of the user who runs Plex, which only that Windows machine can edit safely.
func (s Settings) err() error {
	if s.Kind == plan.KindRegistryValues && s.AppSupport != "" {
		return fmt.Errorf("%s (%s): its settings live in that user's registry hive (%s), not in a file; run plexform on that Windows machine, signed in as that user", s.How, s.AppSupport, WindowsKey)
	}
	return nil
}

// where names the store for lists.
func (s Settings) where() string {
	switch {
	case s.Path != "":
		return s.Path
	case s.Domain != "":
		return "defaults domain " + s.Domain
	case s.AppSupport != "":
		return s.AppSupport
	}
	return s.Key
}

// Target is what host.StoreAt takes for this store.
func (s Settings) Target() string {
	switch {
	case s.Path != "":
		return s.Path
	case s.Domain != "":
		return "defaults domain " + s.Domain
	}
	return s.Key
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func prefsRel(loc location) string {
	if loc.pmsDir {
		return PrefsFile
	}
	return filepath.Join(PMSDir, PrefsFile)
}

// qnapInstallPath reads PlexMediaServer's Install_path from QNAP's qpkg.conf, where
// Plex's own support article sends QNAP owners ("getcfg -f /etc/config/qpkg.conf
// PlexMediaServer Install_path").
func qnapInstallPath(root string) (dir, conf string, ok bool) {
	conf = rooted(root, "/etc/config/qpkg.conf")
	data, err := readConfig(root, conf)
	if err != nil {
		return "", "", false
	}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		if k, v, found := strings.Cut(line, "="); found && section == "PlexMediaServer" && strings.TrimSpace(k) == "Install_path" {
			if v = strings.TrimSpace(v); filepath.IsAbs(v) {
				return v, conf, true
			}
		}
	}
	return "", "", false
}
