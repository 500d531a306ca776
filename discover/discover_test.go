package discover

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
)

// prefsXML is a Preferences.xml as PMS writes it, with made-up sign-in values.
const prefsXML = `<?xml version="1.0" encoding="utf-8"?>
<Preferences MachineIdentifier="0f3e2d1c-aaaa-bbbb-cccc-123456789abc" ProcessedMachineIdentifier="5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b" PlexOnlineHome="1" PlexOnlineMail="fixture-mail@example.invalid" PlexOnlineToken="FixtureTok3nAbCdEf123" PlexOnlineUsername="fixture-user" FriendlyName="den"/>
`

// debianUnit is plexmediaserver.service as the Debian package ships it (abridged),
// with the \x20 escape and the odd quoting of the vendor line.
const debianUnit = `# The Plex Media Server unit
[Unit]
Description=Plex Media Server
After=network.target network-online.target

[Service]
# In this file, set LANG and LC_ALL to en_US.UTF-8 on non-English systems to avoid mystery crashes.
Environment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plexmediaserver/Library/Application\x20Support
Environment=PLEX_MEDIA_SERVER_HOME=/usr/lib/plexmediaserver
Environment=PLEX_MEDIA_SERVER_MAX_PLUGIN_PROCS=6
Environment=PLEX_MEDIA_SERVER_INFO_VENDOR="$(grep ^NAME= /etc/os-release | awk -F= "{print \\$2}" | tr -d \\" )"
ExecStartPre=/bin/sh -c '/usr/bin/test -d "${PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR}" || /bin/mkdir -p "${PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR}"'
ExecStart=/bin/sh -c '\
export PLEX_MEDIA_SERVER_INFO_VENDOR="$(grep ^NAME= /etc/os-release | awk -F= "{print \\$2}" | tr -d \\" )"; \
exec "/usr/lib/plexmediaserver/Plex Media Server"'
Type=simple
User=plex
Group=plex
Restart=on-failure
RestartSec=5
StartLimitInterval=60s
StartLimitBurst=3

[Install]
WantedBy=multi-user.target
`

const passwdFile = "root:x:0:0:root:/root:/bin/bash\nplex:x:999:998::/var/lib/plexmediaserver:/usr/sbin/nologin\nmedia:x:1001:1001::/home/media:/bin/sh\nabc:x:911:911::/config:/bin/false\nPlexMediaServer:x:1030:65536::/var/packages/PlexMediaServer/home:/sbin/nologin\n"
const groupFile = "root:x:0:\nplex:x:998:\nmedia:x:1001:\nabc:x:911:\nusers:x:100:\nsynopkgs:x:65536:\n"

// tree builds a host under a temporary directory: a value ending in "/" makes a
// directory, anything else a file with that content.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	debianPrefs = "/var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml"
	s6Run       = "#!/usr/bin/with-contenv bash\nexec s6-setuidgid %s /bin/bash -c 'LD_LIBRARY_PATH=/usr/lib/plexmediaserver /usr/lib/plexmediaserver/Plex\\ Media\\ Server'\n"
)

func s6RunAs(user string) string { return strings.Replace(s6Run, "%s", user, 1) }

type want struct {
	kind, path, domain, key, appSupport, how string // path and appSupport relative to the root
	manager, unit, dir, user, group          string
	start, stop, status                      []string
	settingsErr, serviceErr                  string // substrings of the errors
}

// platforms are one host tree per row of DESIGN.md §2 and issue 6.
var platforms = []struct {
	name  string
	goos  string
	files map[string]string
	want  want
}{
	{"debian", "linux", map[string]string{
		"/lib/systemd/system/plexmediaserver.service": debianUnit,
		debianPrefs: prefsXML, "/etc/passwd": passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: debianPrefs, appSupport: "/var/lib/plexmediaserver/Library/Application Support",
		how: "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR in the systemd unit ", manager: "systemd", unit: "plexmediaserver", user: "plex", group: "plex"}},
	{"debian-dropin", "linux", map[string]string{
		"/lib/systemd/system/plexmediaserver.service":                  debianUnit,
		"/etc/systemd/system/plexmediaserver.service.d/override.conf":  "[Service]\nEnvironment=\"PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/srv/plex data\" OTHER=1\nUser=media\n",
		"/lib/systemd/system/plexmediaserver.service.d/10-vendor.conf": "[Service]\nUser=nobody\n",
		"/srv/plex data/Plex Media Server/Preferences.xml":             prefsXML,
		debianPrefs: prefsXML, "/etc/passwd": passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: "/srv/plex data/Plex Media Server/Preferences.xml", appSupport: "/srv/plex data",
		how: "in the systemd unit's drop-in ", manager: "systemd", unit: "plexmediaserver", user: "media", group: "plex"}}, // the unit's Group= still holds
	{"fedora", "linux", map[string]string{
		"/usr/lib/systemd/system/plexmediaserver.service": strings.Replace(debianUnit, "Group=plex\n", "", 1),
		debianPrefs: prefsXML, "/etc/passwd": passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: debianPrefs, appSupport: "/var/lib/plexmediaserver/Library/Application Support",
		how: "/usr/lib/systemd/system/plexmediaserver.service", manager: "systemd", unit: "plexmediaserver", user: "plex", group: "plex"}},
	{"arch", "linux", map[string]string{
		"/usr/lib/systemd/system/plexmediaserver.service": "[Unit]\nDescription=Plex Media Server\n[Service]\nType=simple\nEnvironmentFile=/etc/conf.d/plexmediaserver\nExecStart=/usr/lib/plexmediaserver/Plex\\x20Media\\x20Server\nUser=plex\nGroup=plex\n",
		"/etc/conf.d/plexmediaserver":                     "# plex\nPLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plex\nPLEX_MEDIA_SERVER_HOME=/usr/lib/plexmediaserver\n",
		"/var/lib/plex/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/var/lib/plex/Plex Media Server/Preferences.xml", appSupport: "/var/lib/plex",
		how: "through its EnvironmentFile ", manager: "systemd", unit: "plexmediaserver", user: "plex", group: "plex"}},
	{"arch-no-unit", "linux", map[string]string{
		"/var/lib/plex/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/var/lib/plex/Plex Media Server/Preferences.xml", appSupport: "/var/lib/plex",
		how: "Arch package", serviceErr: "no way to run Plex Media Server found"}},
	{"snap", "linux", map[string]string{
		"/snap/plexmediaserver/": "",
		"/var/snap/plexmediaserver/common/Library/Application Support/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/var/snap/plexmediaserver/common/Library/Application Support/Plex Media Server/Preferences.xml",
		appSupport: "/var/snap/plexmediaserver/common/Library/Application Support", how: "snap", manager: "snap", unit: "plexmediaserver", user: "root", group: "root"}},
	{"docker-plexinc", "linux", map[string]string{
		"/config/Library/Application Support/Plex Media Server/Preferences.xml": prefsXML,
		"/etc/services.d/plex/run":      s6RunAs("plex"),
		"/var/run/s6/services/plex/run": s6RunAs("plex"),
		"/etc/passwd":                   passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: "/config/Library/Application Support/Plex Media Server/Preferences.xml",
		appSupport: "/config/Library/Application Support", how: "plexinc or linuxserver", manager: "s6", dir: "/var/run/s6/services/plex", user: "plex", group: "plex"}},
	{"docker-linuxserver", "linux", map[string]string{
		"/config/Library/Application Support/Plex Media Server/Preferences.xml": prefsXML,
		"/run/service/svc-plex/run": s6RunAs("abc"),
		"/etc/passwd":               passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: "/config/Library/Application Support/Plex Media Server/Preferences.xml",
		appSupport: "/config/Library/Application Support", how: "plexinc or linuxserver", manager: "s6", dir: "/run/service/svc-plex", user: "abc", group: "abc"}},
	{"docker-hotio", "linux", map[string]string{
		"/config/Preferences.xml":        prefsXML,
		"/run/service/service-pms/run":   "#!/command/with-contenv bash\nexec s6-setuidgid hotio \"/app/bin/Plex Media Server\"\n",
		"/run/service/service-other/run": "#!/bin/sh\nexec sleep infinity\n",
	}, want{kind: plan.KindXMLAttributes, path: "/config/Preferences.xml", how: "hotio", manager: "s6", dir: "/run/service/service-pms", user: "hotio", group: "hotio"}},
	{"docker-binhex", "linux", map[string]string{
		"/config/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/config/Plex Media Server/Preferences.xml", appSupport: "/config", how: "binhex",
		serviceErr: "kind: service"}},
	{"synology-dsm7", "linux", map[string]string{
		"/var/packages/PlexMediaServer/INFO":                                 "package=\"PlexMediaServer\"\n",
		"/volume1/PlexMediaServer/AppData/Plex Media Server/Preferences.xml": prefsXML,
		"/etc/passwd": passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: "/volume1/PlexMediaServer/AppData/Plex Media Server/Preferences.xml",
		appSupport: "/volume1/PlexMediaServer/AppData", how: "DSM 7", manager: "exec", user: "PlexMediaServer", group: "synopkgs",
		start: []string{"synopkg", "start", "PlexMediaServer"}, stop: []string{"synopkg", "stop", "PlexMediaServer"}, status: []string{"synopkg", "status", "PlexMediaServer"}}},
	{"synology-dsm6", "linux", map[string]string{
		"/var/packages/Plex Media Server/INFO":                                        "package=\"Plex Media Server\"\n",
		"/volume2/Plex/Library/Application Support/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/volume2/Plex/Library/Application Support/Plex Media Server/Preferences.xml",
		appSupport: "/volume2/Plex/Library/Application Support", how: "DSM 6", manager: "exec", user: "plex", group: "plex",
		start: []string{"synopkg", "start", "Plex Media Server"}, stop: []string{"synopkg", "stop", "Plex Media Server"}, status: []string{"synopkg", "status", "Plex Media Server"}}},
	{"qnap", "linux", map[string]string{
		"/etc/config/qpkg.conf": "[PlexMediaServer]\nName = PlexMediaServer\nVersion = 1.41.0.8992\nEnable = TRUE\nInstall_path = /share/CACHEDEV1_DATA/.qpkg/PlexMediaServer\nShell = /share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/plex.sh\n",
		"/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library/Plex Media Server/Preferences.xml",
		appSupport: "/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library", how: "QNAP", serviceErr: "no way to run Plex Media Server found"}},
	{"freebsd", "freebsd", map[string]string{
		"/usr/local/etc/rc.d/plexmediaserver_plexpass": "#!/bin/sh\n# PROVIDE: plexmediaserver_plexpass\n",
		"/etc/rc.conf": "hostname=\"nas\"\nplexmediaserver_plexpass_enable=\"YES\"\nplexmediaserver_plexpass_user=\"media\"\n",
		"/usr/local/plexdata-plexpass/Plex Media Server/Preferences.xml": prefsXML,
		"/etc/passwd": passwdFile, "/etc/group": groupFile,
	}, want{kind: plan.KindXMLAttributes, path: "/usr/local/plexdata-plexpass/Plex Media Server/Preferences.xml", appSupport: "/usr/local/plexdata-plexpass",
		how: "plexpass", manager: "exec", user: "media", group: "media",
		start: []string{"service", "plexmediaserver_plexpass", "onestart"}, stop: []string{"service", "plexmediaserver_plexpass", "onestop"}, status: []string{"service", "plexmediaserver_plexpass", "onestatus"}}},
	{"truenas-core", "freebsd", map[string]string{
		"/mnt/tank/iocage/jails/plex/root/usr/local/etc/rc.d/plexmediaserver":                   "#!/bin/sh\n",
		"/mnt/tank/iocage/jails/plex/root/usr/local/plexdata/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/mnt/tank/iocage/jails/plex/root/usr/local/plexdata/Plex Media Server/Preferences.xml",
		appSupport: "/mnt/tank/iocage/jails/plex/root/usr/local/plexdata", how: "TrueNAS CORE", manager: "exec", user: "plex", group: "plex",
		start: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestart"}, stop: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestop"},
		status: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestatus"}}},
	{"unraid-linuxserver", "linux", map[string]string{
		"/mnt/user/appdata/plex/Library/Application Support/Plex Media Server/Preferences.xml": prefsXML,
		"/mnt/user/appdata/sonarr/config.xml":                                                  "<Config/>",
	}, want{kind: plan.KindXMLAttributes, path: "/mnt/user/appdata/plex/Library/Application Support/Plex Media Server/Preferences.xml",
		appSupport: "/mnt/user/appdata/plex/Library/Application Support", how: "unRAID", serviceErr: "no way to run"}},
	{"unraid-binhex", "linux", map[string]string{
		"/mnt/user/appdata/binhex-plexpass/Plex Media Server/Preferences.xml": prefsXML,
	}, want{kind: plan.KindXMLAttributes, path: "/mnt/user/appdata/binhex-plexpass/Plex Media Server/Preferences.xml",
		appSupport: "/mnt/user/appdata/binhex-plexpass", how: "binhex layout", serviceErr: "no way to run"}},
	{"macos-disk", "darwin", map[string]string{
		"/Applications/Plex Media Server.app/Contents/Info.plist":               "<plist/>",
		"/Users/jane doe/Library/Preferences/com.plexapp.plexmediaserver.plist": "<plist/>",
	}, want{kind: plan.KindPlistKeys, path: "/Users/jane doe/Library/Preferences/com.plexapp.plexmediaserver.plist",
		appSupport: "/Users/jane doe/Library/Application Support", how: "macOS settings plist of the user jane doe", manager: "app"}},
	{"windows-disk", "linux", map[string]string{
		"/Users/Jane/AppData/Local/Plex Media Server/Preferences.xml": "",
		"/Program Files/Plex/Plex Media Server/Plex Media Server.exe": "MZ",
	}, want{settingsErr: "run plexform on that Windows machine, signed in as that user", serviceErr: "only be stopped and started on that Windows machine"}},
}

func TestPlatforms(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			root := tree(t, p.files)
			o := Options{Root: root, GOOS: p.goos, Getenv: noEnv}
			s, looked, err := FindSettings(o)
			checkSettings(t, root, s, looked, err, p.want)
			svc, looked, err := FindService(o)
			checkService(t, root, svc, looked, err, p.want)
		})
	}
}

func noEnv(string) (string, bool) { return "", false }

func checkSettings(t *testing.T, root string, s Settings, looked []Looked, err error, w want) {
	t.Helper()
	if len(looked) == 0 {
		t.Errorf("FindSettings reported nothing looked at")
	}
	if w.settingsErr != "" {
		if err == nil || !strings.Contains(err.Error(), w.settingsErr) {
			t.Fatalf("FindSettings error = %v, want one containing %q", err, w.settingsErr)
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
	if s.Kind != w.kind || s.Path != rooted(w.path) || s.AppSupport != rooted(w.appSupport) || s.Domain != w.domain || s.Key != w.key {
		t.Errorf("FindSettings = %+v\nwant kind %s path %s appSupport %s", s, w.kind, rooted(w.path), rooted(w.appSupport))
	}
	if !strings.Contains(s.How, w.how) {
		t.Errorf("How = %q, want it to contain %q", s.How, w.how)
	}
}

func checkService(t *testing.T, root string, s Service, looked []Looked, err error, w want) {
	t.Helper()
	if len(looked) == 0 {
		t.Errorf("FindService reported nothing looked at")
	}
	if w.serviceErr != "" {
		if err == nil || !strings.Contains(err.Error(), w.serviceErr) {
			t.Fatalf("FindService error = %v, want one containing %q", err, w.serviceErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("FindService: %v", err)
	}
	c := s.Config
	dir := ""
	if w.dir != "" {
		dir = plan.RootedPath(root, w.dir)
	}
	if c.Manager != w.manager || c.Unit != w.unit || c.Dir != dir || s.User != w.user || s.Group != w.group ||
		!reflect.DeepEqual(c.Start, w.start) || !reflect.DeepEqual(c.Stop, w.stop) || !reflect.DeepEqual(c.Status, w.status) {
		t.Errorf("FindService = %+v (user %q group %q)\nwant manager %s unit %s dir %s user %s group %s start %v stop %v status %v",
			c, s.User, s.Group, w.manager, w.unit, dir, w.user, w.group, w.start, w.stop, w.status)
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
