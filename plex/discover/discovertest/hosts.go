// Package discovertest holds host trees for every layout row of the README's table: a
// made-up Plex install as each packaging lays it out, and what discovery should find
// there. The discover tests and the CLI's tests share them.
package discovertest

import (
	_ "embed"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
)

// Platform is one host tree and what discovery should find in it.
type Platform struct {
	Name  string
	GOOS  string
	Files map[string]string
	Want  Want
}

// PrefsXML is a Preferences.xml as PMS writes it, with made-up sign-in values.
//
//go:embed testdata/Preferences.xml
var PrefsXML string

// DebianUnit is plexmediaserver.service as the Debian package ships it (abridged),
// with the \x20 escape and the odd quoting of the vendor line.
const DebianUnit = `# The Plex Media Server unit
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

const PasswdFile = "root:x:0:0:root:/root:/bin/bash\nplex:x:999:998::/var/lib/plexmediaserver:/usr/sbin/nologin\nmedia:x:1001:1001::/home/media:/bin/sh\nabc:x:911:911::/config:/bin/false\nPlexMediaServer:x:1030:65536::/var/packages/PlexMediaServer/home:/sbin/nologin\n"
const GroupFile = "root:x:0:\nplex:x:998:\nmedia:x:1001:\nabc:x:911:\nusers:x:100:\nsynopkgs:x:65536:\n"

// PlistXML is com.plexapp.plexmediaserver.plist as macOS writes it in XML, with the
// same made-up sign-in values as PrefsXML.
const PlistXML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>FriendlyName</key>
	<string>den</string>
	<key>PlexOnlineHome</key>
	<string>1</string>
	<key>PlexOnlineMail</key>
	<string>fixture-mail@example.invalid</string>
	<key>PlexOnlineToken</key>
	<string>FixtureTok3nAbCdEf123</string>
	<key>PlexOnlineUsername</key>
	<string>fixture-user</string>
</dict>
</plist>
`

// Tree builds a host under a temporary directory: a value ending in "/" makes a
// directory, anything else a file with that content.
func Tree(t testing.TB, files map[string]string) string {
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
	DebianPrefs = "/var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml"
	S6Run       = "#!/usr/bin/with-contenv bash\nexec s6-setuidgid %s /bin/bash -c 'LD_LIBRARY_PATH=/usr/lib/plexmediaserver /usr/lib/plexmediaserver/Plex\\ Media\\ Server'\n"
)

func S6RunAs(user string) string { return strings.Replace(S6Run, "%s", user, 1) }

type Want struct {
	Kind, Path, Domain, Key, AppSupport, How string // Path and AppSupport relative to the root
	Manager, Unit, Dir, User, Group          string
	Start, Stop, Status                      []string
	SettingsErr, ServiceErr                  string // substrings of the errors
}

// Platforms are one host Tree per layout of the README's table.
var Platforms = []Platform{
	{"debian", "linux", map[string]string{
		"/lib/systemd/system/plexmediaserver.service": DebianUnit,
		DebianPrefs: PrefsXML, "/etc/passwd": PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: DebianPrefs, AppSupport: "/var/lib/plexmediaserver/Library/Application Support",
		How: "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR in the systemd unit ", Manager: "systemd", Unit: "plexmediaserver", User: "plex", Group: "plex"}},
	{"debian-dropin", "linux", map[string]string{
		"/lib/systemd/system/plexmediaserver.service":                  DebianUnit,
		"/etc/systemd/system/plexmediaserver.service.d/override.conf":  "[Service]\nEnvironment=\"PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/srv/plex data\" OTHER=1\nUser=media\n",
		"/lib/systemd/system/plexmediaserver.service.d/10-vendor.conf": "[Service]\nUser=nobody\n",
		"/srv/plex data/Plex Media Server/Preferences.xml":             PrefsXML,
		DebianPrefs: PrefsXML, "/etc/passwd": PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/srv/plex data/Plex Media Server/Preferences.xml", AppSupport: "/srv/plex data",
		How: "in the systemd unit's drop-in ", Manager: "systemd", Unit: "plexmediaserver", User: "media", Group: "plex"}}, // the unit's Group= still holds
	{"fedora", "linux", map[string]string{
		"/usr/lib/systemd/system/plexmediaserver.service": strings.Replace(DebianUnit, "Group=plex\n", "", 1),
		DebianPrefs: PrefsXML, "/etc/passwd": PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: DebianPrefs, AppSupport: "/var/lib/plexmediaserver/Library/Application Support",
		How: "/usr/lib/systemd/system/plexmediaserver.service", Manager: "systemd", Unit: "plexmediaserver", User: "plex", Group: "plex"}},
	{"arch", "linux", map[string]string{
		"/usr/lib/systemd/system/plexmediaserver.service": "[Unit]\nDescription=Plex Media Server\n[Service]\nType=simple\nEnvironmentFile=/etc/conf.d/plexmediaserver\nExecStart=/usr/lib/plexmediaserver/Plex\\x20Media\\x20Server\nUser=plex\nGroup=plex\n",
		"/etc/conf.d/plexmediaserver":                     "# plex\nPLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plex\nPLEX_MEDIA_SERVER_HOME=/usr/lib/plexmediaserver\n",
		"/var/lib/plex/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/var/lib/plex/Plex Media Server/Preferences.xml", AppSupport: "/var/lib/plex",
		How: "through its EnvironmentFile ", Manager: "systemd", Unit: "plexmediaserver", User: "plex", Group: "plex"}},
	{"arch-no-unit", "linux", map[string]string{
		"/var/lib/plex/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/var/lib/plex/Plex Media Server/Preferences.xml", AppSupport: "/var/lib/plex",
		How: "Arch package", ServiceErr: "no way to run Plex Media Server found"}},
	{"snap", "linux", map[string]string{
		"/snap/plexmediaserver/": "",
		"/var/snap/plexmediaserver/common/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/var/snap/plexmediaserver/common/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/var/snap/plexmediaserver/common/Library/Application Support", How: "snap", Manager: "snap", Unit: "plexmediaserver", User: "root", Group: "root"}},
	{"docker-plexinc", "linux", map[string]string{
		"/config/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
		"/etc/services.d/plex/run":      S6RunAs("plex"),
		"/var/run/s6/services/plex/run": S6RunAs("plex"),
		"/etc/passwd":                   PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/config/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/config/Library/Application Support", How: "plexinc or linuxserver", Manager: "s6", Dir: "/var/run/s6/services/plex", User: "plex", Group: "plex"}},
	{"docker-linuxserver", "linux", map[string]string{
		"/config/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
		"/run/service/svc-plex/run": S6RunAs("abc"),
		"/etc/passwd":               PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/config/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/config/Library/Application Support", How: "plexinc or linuxserver", Manager: "s6", Dir: "/run/service/svc-plex", User: "abc", Group: "abc"}},
	{"docker-hotio", "linux", map[string]string{
		"/config/Preferences.xml":        PrefsXML,
		"/run/service/service-pms/run":   "#!/command/with-contenv bash\nexec s6-setuidgid hotio \"/app/bin/Plex Media Server\"\n",
		"/run/service/service-other/run": "#!/bin/sh\nexec sleep infinity\n",
	}, Want{Kind: plan.KindXMLAttributes, Path: "/config/Preferences.xml", How: "hotio", Manager: "s6", Dir: "/run/service/service-pms", User: "hotio", Group: "hotio"}},
	{"docker-binhex", "linux", map[string]string{
		"/config/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/config/Plex Media Server/Preferences.xml", AppSupport: "/config", How: "binhex",
		ServiceErr: "kind: service"}},
	{"synology-dsm7", "linux", map[string]string{
		"/var/packages/PlexMediaServer/INFO":                                 "package=\"PlexMediaServer\"\n",
		"/volume1/PlexMediaServer/AppData/Plex Media Server/Preferences.xml": PrefsXML,
		"/etc/passwd": PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/volume1/PlexMediaServer/AppData/Plex Media Server/Preferences.xml",
		AppSupport: "/volume1/PlexMediaServer/AppData", How: "DSM 7", Manager: "exec", User: "PlexMediaServer", Group: "synopkgs",
		Start: []string{"synopkg", "start", "PlexMediaServer"}, Stop: []string{"synopkg", "stop", "PlexMediaServer"}, Status: []string{"synopkg", "status", "PlexMediaServer"}}},
	{"synology-dsm6", "linux", map[string]string{
		"/var/packages/Plex Media Server/INFO":                                        "package=\"Plex Media Server\"\n",
		"/volume2/Plex/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/volume2/Plex/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/volume2/Plex/Library/Application Support", How: "DSM 6", Manager: "exec", User: "plex", Group: "plex",
		Start: []string{"synopkg", "start", "Plex Media Server"}, Stop: []string{"synopkg", "stop", "Plex Media Server"}, Status: []string{"synopkg", "status", "Plex Media Server"}}},
	{"qnap", "linux", map[string]string{
		"/etc/config/qpkg.conf": "[PlexMediaServer]\nName = PlexMediaServer\nVersion = 1.41.0.8992\nEnable = TRUE\nInstall_path = /share/CACHEDEV1_DATA/.qpkg/PlexMediaServer\nShell = /share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/plex.sh\n",
		"/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library/Plex Media Server/Preferences.xml",
		AppSupport: "/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library", How: "QNAP", ServiceErr: "no way to run Plex Media Server found"}},
	{"freebsd", "freebsd", map[string]string{
		"/usr/local/etc/rc.d/plexmediaserver_plexpass": "#!/bin/sh\n# PROVIDE: plexmediaserver_plexpass\n",
		"/etc/rc.conf": "hostname=\"nas\"\nplexmediaserver_plexpass_enable=\"YES\"\nplexmediaserver_plexpass_user=\"media\"\n",
		"/usr/local/plexdata-plexpass/Plex Media Server/Preferences.xml": PrefsXML,
		"/etc/passwd": PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/usr/local/plexdata-plexpass/Plex Media Server/Preferences.xml", AppSupport: "/usr/local/plexdata-plexpass",
		How: "plexpass", Manager: "exec", User: "media", Group: "media",
		Start: []string{"service", "plexmediaserver_plexpass", "onestart"}, Stop: []string{"service", "plexmediaserver_plexpass", "onestop"}, Status: []string{"service", "plexmediaserver_plexpass", "onestatus"}}},
	{"truenas-core", "freebsd", map[string]string{
		"/mnt/tank/iocage/jails/plex/root/usr/local/etc/rc.d/plexmediaserver":                   "#!/bin/sh\n",
		"/mnt/tank/iocage/jails/plex/root/usr/local/plexdata/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/mnt/tank/iocage/jails/plex/root/usr/local/plexdata/Plex Media Server/Preferences.xml",
		AppSupport: "/mnt/tank/iocage/jails/plex/root/usr/local/plexdata", How: "TrueNAS CORE", Manager: "exec", User: "plex", Group: "plex",
		Start: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestart"}, Stop: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestop"},
		Status: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestatus"}}},
	{"unraid-linuxserver", "linux", map[string]string{
		"/mnt/user/appdata/plex/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
		"/mnt/user/appdata/sonarr/config.xml":                                                  "<Config/>",
	}, Want{Kind: plan.KindXMLAttributes, Path: "/mnt/user/appdata/plex/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/mnt/user/appdata/plex/Library/Application Support", How: "unRAID", ServiceErr: "manager: docker\n    container: plex"}},
	{"unraid-binhex", "linux", map[string]string{
		"/mnt/user/appdata/binhex-plexpass/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/mnt/user/appdata/binhex-plexpass/Plex Media Server/Preferences.xml",
		AppSupport: "/mnt/user/appdata/binhex-plexpass", How: "binhex layout", ServiceErr: "container: binhex-plexpass"}},
	// Home Assistant OS: the Supervisor's data dir holds the Plex add-on's /data.
	{"home-assistant-addon", "linux", map[string]string{
		"/mnt/data/supervisor/addons/data/a0d7b954_plex/Plex Media Server/Preferences.xml": PrefsXML,
		"/mnt/data/supervisor/addons/data/a0d7b954_plex/claim_code":                        "",
	}, Want{Kind: plan.KindXMLAttributes, Path: "/mnt/data/supervisor/addons/data/a0d7b954_plex/Plex Media Server/Preferences.xml",
		AppSupport: "/mnt/data/supervisor/addons/data/a0d7b954_plex", How: "Home Assistant Plex add-on", ServiceErr: "container: addon_a0d7b954_plex"}},
	{"asustor", "linux", map[string]string{
		"/volume1/Plex/Library/Plex Media Server/Preferences.xml": PrefsXML,
		"/etc/nas.conf": "[Basic]\nVendor = ASUSTOR\n",
	}, Want{Kind: plan.KindXMLAttributes, Path: "/volume1/Plex/Library/Plex Media Server/Preferences.xml",
		AppSupport: "/volume1/Plex/Library", How: "ASUSTOR", ServiceErr: "kind: service resource"}},
	{"readynas", "linux", map[string]string{
		"/apps/plexmediaserver-1.41/MediaLibrary/Plex Media Server/Preferences.xml": PrefsXML,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/apps/plexmediaserver-1.41/MediaLibrary/Plex Media Server/Preferences.xml",
		AppSupport: "/apps/plexmediaserver-1.41/MediaLibrary", How: "ReadyNAS", ServiceErr: "unit: fvapp-plexmediaserver"}},
	{"wd-os5", "linux", map[string]string{
		"/mnt/HD/HD_a2/Nas_Prog/plex_conf/Plex Media Server/Preferences.xml": PrefsXML,
		"/mnt/HD/HD_a2/Nas_Prog/plexmediaserver/":                            "",
	}, Want{Kind: plan.KindXMLAttributes, Path: "/mnt/HD/HD_a2/Nas_Prog/plex_conf/Plex Media Server/Preferences.xml",
		AppSupport: "/mnt/HD/HD_a2/Nas_Prog/plex_conf", How: "WD My Cloud OS 5", ServiceErr: "kind: service resource"}},
	{"truenas-scale-app", "linux", map[string]string{
		"/mnt/.ix-apps/app_mounts/plex/config/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
		"/mnt/.ix-apps/app_mounts/plex/data/": "",
	}, Want{Kind: plan.KindXMLAttributes, Path: "/mnt/.ix-apps/app_mounts/plex/config/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/mnt/.ix-apps/app_mounts/plex/config/Library/Application Support", How: "TrueNAS SCALE app", ServiceErr: "container: ix-plex-plex-1"}},
	// Inside a pod of plexinc's Helm chart (kubectl exec): the config volume at /config,
	// the image's s6 service.
	{"kubernetes-pod", "linux", map[string]string{
		"/config/Library/Application Support/Plex Media Server/Preferences.xml": PrefsXML,
		"/var/run/s6/services/plex/run":                                         S6RunAs("plex"),
		"/etc/passwd":                                                           PasswdFile, "/etc/group": GroupFile,
	}, Want{Kind: plan.KindXMLAttributes, Path: "/config/Library/Application Support/Plex Media Server/Preferences.xml",
		AppSupport: "/config/Library/Application Support", How: "Kubernetes volume", Manager: "s6", Dir: "/var/run/s6/services/plex", User: "plex", Group: "plex"}},
	{"macos-disk", "darwin", map[string]string{
		"/Applications/Plex Media Server.app/Contents/Info.plist":               "<plist/>",
		"/Users/jane doe/Library/Preferences/com.plexapp.plexmediaserver.plist": PlistXML,
	}, Want{Kind: plan.KindPlistKeys, Path: "/Users/jane doe/Library/Preferences/com.plexapp.plexmediaserver.plist",
		AppSupport: "/Users/jane doe/Library/Application Support", How: "macOS settings plist of the user jane doe", Manager: "app"}},
	{"windows-disk", "linux", map[string]string{
		"/Users/Jane/AppData/Local/Plex Media Server/Preferences.xml": "",
		"/Program Files/Plex/Plex Media Server/Plex Media Server.exe": "MZ",
	}, Want{SettingsErr: "run plexform on that Windows machine, signed in as that user", ServiceErr: "only be stopped and started on that Windows machine"}},
}
