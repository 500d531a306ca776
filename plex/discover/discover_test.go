package discover

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

var (
	tree      = discovertest.Tree
	platforms = discovertest.Platforms
	s6RunAs   = discovertest.S6RunAs
)

var prefsXML = discovertest.PrefsXML

const (
	debianUnit  = discovertest.DebianUnit
	passwdFile  = discovertest.PasswdFile
	groupFile   = discovertest.GroupFile
	debianPrefs = discovertest.DebianPrefs
)

type want = discovertest.Want

func TestPlatforms(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.Name, func(t *testing.T) {
			root := tree(t, p.Files)
			o := Options{Root: root, GOOS: p.GOOS, Getenv: noEnv}
			s, looked, err := FindSettings(o)
			checkSettings(t, root, s, looked, err, p.Want)
			svc, looked, err := FindService(o)
			checkService(t, root, svc, looked, err, p.Want)
		})
	}
}

func noEnv(string) (string, bool) { return "", false }

func checkSettings(t *testing.T, root string, s Settings, looked []Looked, err error, w want) {
	t.Helper()
	if len(looked) == 0 {
		t.Errorf("FindSettings reported nothing looked at")
	}
	if w.SettingsErr != "" {
		if err == nil || !strings.Contains(err.Error(), w.SettingsErr) {
			t.Fatalf("FindSettings error = %v, want one containing %q", err, w.SettingsErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("FindSettings: %v", err)
	}
	rooted := func(p string) string {
		if p == "" {
			return ""
		}
		return plan.RootedPath(root, p)
	}
	if s.Kind != w.Kind || s.Path != rooted(w.Path) || s.AppSupport != rooted(w.AppSupport) || s.Domain != w.Domain || s.Key != w.Key {
		t.Errorf("FindSettings = %+v\nwant kind %s path %s appSupport %s", s, w.Kind, rooted(w.Path), rooted(w.AppSupport))
	}
	if !strings.Contains(s.How, w.How) {
		t.Errorf("How = %q, want it to contain %q", s.How, w.How)
	}
}

func checkService(t *testing.T, root string, s Service, looked []Looked, err error, w want) {
	t.Helper()
	if len(looked) == 0 {
		t.Errorf("FindService reported nothing looked at")
	}
	if w.ServiceErr != "" {
		if err == nil || !strings.Contains(err.Error(), w.ServiceErr) {
			t.Fatalf("FindService error = %v, want one containing %q", err, w.ServiceErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("FindService: %v", err)
	}
	c := s.Config
	dir := ""
	if w.Dir != "" {
		dir = plan.RootedPath(root, w.Dir)
	}
	if c.Manager != w.Manager || c.Unit != w.Unit || c.Dir != dir || s.User != w.User || s.Group != w.Group ||
		!reflect.DeepEqual(c.Start, w.Start) || !reflect.DeepEqual(c.Stop, w.Stop) || !reflect.DeepEqual(c.Status, w.Status) {
		t.Errorf("FindService = %+v (user %q group %q)\nwant manager %s unit %s dir %s user %s group %s start %v stop %v status %v",
			c, s.User, s.Group, w.Manager, w.Unit, dir, w.User, w.Group, w.Start, w.Stop, w.Status)
	}
	if s.How == "" {
		t.Errorf("FindService gave no How")
	}
}

func TestEmptyHost(t *testing.T) {
	root := tree(t, map[string]string{"/etc/hostname": "empty\n"})
	o := Options{Root: root, GOOS: "linux", Getenv: noEnv}
	_, looked, err := FindSettings(o)
	if err == nil {
		t.Fatal("FindSettings found something on an empty host")
	}
	for _, want := range []string{"no Plex Media Server settings found under " + root, "Looked at:", "/var/lib/plexmediaserver/Library/Application Support", "/volume*/PlexMediaServer/AppData", "path:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(looked) < len(knownLocations) {
		t.Errorf("only %d places reported looked at, want at least %d", len(looked), len(knownLocations))
	}
	_, _, err = FindService(o)
	if err == nil || !strings.Contains(err.Error(), "kind: service") || !strings.Contains(err.Error(), "/run/service/svc-plex") {
		t.Errorf("FindService error = %v, want the places looked at and how to name a service", err)
	}
}

func TestAmbiguousHost(t *testing.T) {
	root := tree(t, map[string]string{
		debianPrefs: prefsXML,
		"/config/Library/Application Support/Plex Media Server/Preferences.xml": prefsXML,
		"/snap/plexmediaserver/":    "",
		"/run/service/svc-plex/run": s6RunAs("abc"),
	})
	o := Options{Root: root, GOOS: "linux", Getenv: noEnv}
	_, _, err := FindSettings(o)
	if err == nil {
		t.Fatal("FindSettings chose one of two installs")
	}
	for _, want := range []string{"2 Plex Media Server installs found", plan.RootedPath(root, debianPrefs), "/config/Library/Application Support/Plex Media Server/Preferences.xml", "path: in the plan"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, _, err = FindService(o)
	if err == nil || !strings.Contains(err.Error(), "2 ways to run") || !strings.Contains(err.Error(), "snap:") || !strings.Contains(err.Error(), "s6:") {
		t.Errorf("FindService error = %v, want both candidates listed", err)
	}
}

func TestExplicitPathWins(t *testing.T) {
	root := tree(t, map[string]string{debianPrefs: prefsXML, "/srv/p/Plex Media Server/Preferences.xml": prefsXML})
	env := func(k string) (string, bool) {
		return map[string]string{EnvAppSupport: "/var/lib/plexmediaserver/Library/Application Support"}[k], k == EnvAppSupport
	}
	s, _, err := FindSettings(Options{Root: root, GOOS: "linux", Getenv: env, Path: "/srv/p/Plex Media Server/Preferences.xml"})
	if err != nil || s.Path != filepath.Join(root, "/srv/p/Plex Media Server/Preferences.xml") || s.AppSupport != filepath.Join(root, "/srv/p") || !strings.Contains(s.How, "from the plan") {
		t.Errorf("FindSettings with Path = %+v, %v", s, err)
	}
	s, _, err = FindSettings(Options{Root: root, GOOS: "linux", Getenv: env, Path: "/Users/j/Library/Preferences/com.plexapp.plexmediaserver.plist"})
	if err != nil || s.Kind != plan.KindPlistKeys {
		t.Errorf("a .plist path gives %+v, %v; want plist_keys", s, err)
	}
}

func TestEnvironmentBeatsKnownLocations(t *testing.T) {
	root := tree(t, map[string]string{debianPrefs: prefsXML, "/data/plex/Plex Media Server/Preferences.xml": prefsXML})
	env := func(k string) (string, bool) {
		if k == EnvAppSupport {
			return "/data/plex", true
		}
		return "", false
	}
	s, _, err := FindSettings(Options{Root: root, GOOS: "linux", Getenv: env})
	if err != nil || s.Path != filepath.Join(root, "/data/plex/Plex Media Server/Preferences.xml") || !strings.Contains(s.How, EnvAppSupport) {
		t.Errorf("FindSettings = %+v, %v; want the environment's directory", s, err)
	}
	// A variable naming a directory that is not there is noted and passed over.
	bad := func(k string) (string, bool) { return "/nowhere", k == EnvAppSupport }
	s, looked, err := FindSettings(Options{Root: root, GOOS: "linux", Getenv: bad})
	if err != nil || s.Path != filepath.Join(root, debianPrefs) {
		t.Errorf("FindSettings = %+v, %v; want the Debian location", s, err)
	}
	if !strings.Contains(looked[0].What, "not a directory") {
		t.Errorf("looked[0] = %+v, want the ignored variable noted", looked[0])
	}
}

func TestMacAndWindowsThemselves(t *testing.T) {
	home := func(k string) (string, bool) {
		return map[string]string{"HOME": "/Users/j", "LOCALAPPDATA": `C:\Users\j\AppData\Local`}[k], true
	}
	s, _, err := FindSettings(Options{GOOS: "darwin", Getenv: home})
	if err != nil || s.Kind != plan.KindPlistKeys || s.Domain != MacDomain || s.Path != "" || s.AppSupport != "/Users/j/Library/Application Support" {
		t.Errorf("darwin: %+v, %v", s, err)
	}
	s, _, err = FindSettings(Options{GOOS: "windows", Getenv: home})
	if err != nil || s.Kind != plan.KindRegistryValues || s.Key != WindowsKey || s.User != "" || s.AppSupport != `C:\Users\j\AppData\Local` {
		t.Errorf("windows: %+v, %v", s, err)
	}
	svc, _, err := FindService(Options{GOOS: "windows", Getenv: home})
	if err != nil || svc.Config.Manager != "windows-app" {
		t.Errorf("windows service: %+v, %v", svc, err)
	}
}

// A unit naming a directory that has no Preferences.xml yet still wins: it is where
// Plex will write, and the known locations may hold an old copy.
func TestUnitWinsBeforeFirstStart(t *testing.T) {
	root := tree(t, map[string]string{
		"/etc/systemd/system/plexmediaserver.service": "[Service]\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/new\n",
		debianPrefs: prefsXML,
	})
	s, _, err := FindSettings(Options{Root: root, GOOS: "linux"})
	if err != nil || s.Path != filepath.Join(root, "/new/Plex Media Server/Preferences.xml") || !strings.Contains(s.How, "no Preferences.xml there yet") {
		t.Errorf("FindSettings = %+v, %v", s, err)
	}
	svc, _, err := FindService(Options{Root: root, GOOS: "linux"})
	if err != nil || svc.User != "root" {
		t.Errorf("a unit without User= runs as root; got %+v, %v", svc, err)
	}
}

func TestLiveS6DirPreferred(t *testing.T) {
	root := tree(t, map[string]string{"/etc/services.d/plex/run": s6RunAs("plex")})
	svc, _, err := FindService(Options{Root: root, GOOS: "linux"})
	if err != nil || svc.Config.Dir != filepath.Join(root, "/etc/services.d/plex") || !strings.Contains(svc.How, "source copy") {
		t.Errorf("only the source dir: %+v, %v", svc, err)
	}
}

func TestLookupUser(t *testing.T) {
	root := tree(t, map[string]string{"/etc/passwd": passwdFile, "/etc/group": groupFile})
	a, ok := LookupUser(root, "plex")
	if !ok || a.UID != 999 || a.GID != 998 {
		t.Errorf("LookupUser(plex) = %+v, %v", a, ok)
	}
	if _, ok := LookupUser(root, "nobody-here"); ok {
		t.Error("LookupUser found a user that is not in the tree")
	}
	if UserName(root, 911) != "abc" || GroupName(root, 998) != "plex" || UserName(root, 4242) != "" {
		t.Error("UserName/GroupName disagree with the tree's passwd and group")
	}
}
