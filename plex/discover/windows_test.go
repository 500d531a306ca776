package discover

import (
	"errors"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
)

// fakeWindows is a Windows machine as findWindows sees it.
type fakeWindows struct {
	caller       string
	appDataPath  map[string]string // LocalAppDataPath by hive SID ("" = caller's HKCU)
	localAppData map[string]string // profile AppData\Local by SID
	services     []WindowsService
	servicesErr  error
	sids         map[string]string // account name → SID
}

func (f fakeWindows) Caller() (string, error) { return f.caller, nil }

func (f fakeWindows) LocalAppDataPath(sid string) (string, bool, error) {
	v, ok := f.appDataPath[sid]
	return v, ok, nil
}

func (f fakeWindows) LocalAppData(sid string) (string, error) {
	if d, ok := f.localAppData[sid]; ok {
		return d, nil
	}
	return "", errors.New("no profile")
}

func (f fakeWindows) Services() ([]WindowsService, error) { return f.services, f.servicesErr }

func (f fakeWindows) SID(account string) (string, error) {
	if sid, ok := f.sids[strings.ToLower(account)]; ok {
		return sid, nil
	}
	return "", errors.New("no such account")
}

const (
	callerSID = "S-1-5-21-1-2-3-1001"
	plexSID   = "S-1-5-21-1-2-3-1002"
	plexExe   = `C:\Program Files\Plex\Plex Media Server\Plex Media Server.exe`
)

// unrelated are services every Windows has; none runs Plex.
var unrelated = []WindowsService{
	{Name: "Spooler", Binary: `C:\Windows\System32\spoolsv.exe`},
	{Name: "PlexUpdateService", Binary: `"C:\Program Files\Plex\Plex Update Service\PlexUpdateService.exe"`},
	{Name: "Other", Binary: `C:\nssm\nssm.exe`, Application: `C:\Tools\other.exe`, StartName: `.\plex`},
}

func with(extra ...WindowsService) []WindowsService {
	return append(append([]WindowsService{}, unrelated...), extra...)
}

func TestFindWindows(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "LOCALAPPDATA" {
			return `C:\Users\j\AppData\Local`, true
		}
		return "", false
	}
	nssm := WindowsService{Name: "PlexNSSM", Binary: `C:\nssm\win64\nssm.exe`, Application: plexExe, StartName: `.\plex`}
	pms := WindowsService{Name: "PlexService", Binary: `"C:\Program Files (x86)\Plex Service\PlexService.exe"`, StartName: "LocalSystem"}
	tests := []struct {
		name        string
		host        fakeWindows
		user        string // Settings.User
		appSupport  string
		manager     string
		unit        string
		svcUser     string
		how, looked string // substrings of Settings.How and of the looked list
		err         string
	}{
		{
			name: "no wrapper: the caller's app and %LOCALAPPDATA%",
			host: fakeWindows{caller: callerSID, services: with()},
			user: "", appSupport: `C:\Users\j\AppData\Local`, manager: "windows-app",
			how: "%LOCALAPPDATA%", looked: "3 installed, none runs Plex Media Server.exe",
		},
		{
			name: "LocalAppDataPath overrides %LOCALAPPDATA%",
			host: fakeWindows{caller: callerSID, services: with(), appDataPath: map[string]string{"": `D:\PlexData`}},
			user: "", appSupport: `D:\PlexData`, manager: "windows-app",
			how: `from the registry value HKCU\Software\Plex, Inc.\Plex Media Server\LocalAppDataPath`, looked: `set to D:\PlexData`,
		},
		{
			name: "NSSM wrapper under another account: its hive and profile",
			host: fakeWindows{caller: callerSID, services: with(nssm), sids: map[string]string{"plex": plexSID},
				localAppData: map[string]string{plexSID: `C:\Users\plex\AppData\Local`}},
			user: plexSID, appSupport: `C:\Users\plex\AppData\Local`, manager: "windows-service", unit: "PlexNSSM", svcUser: "plex",
			how: `hive of plex (HKU\` + plexSID + `)`, looked: "Windows service PlexNSSM",
		},
		{
			name: "NSSM wrapper under another account whose hive sets LocalAppDataPath",
			host: fakeWindows{caller: callerSID, services: with(nssm), sids: map[string]string{"plex": plexSID},
				appDataPath: map[string]string{"": `D:\Mine`, plexSID: `E:\Plex`}},
			user: plexSID, appSupport: `E:\Plex`, manager: "windows-service", unit: "PlexNSSM", svcUser: "plex",
			how: `HKU\` + plexSID + `\Software\Plex, Inc.\Plex Media Server\LocalAppDataPath`,
		},
		{
			name: "NSSM wrapper under the caller's own account: HKCU",
			host: fakeWindows{caller: plexSID, services: with(nssm), sids: map[string]string{"plex": plexSID}},
			user: "", appSupport: `C:\Users\j\AppData\Local`, manager: "windows-service", unit: "PlexNSSM", svcUser: "plex",
			how: "which the service PlexNSSM runs Plex as",
		},
		{
			name: "PmsService as LocalSystem: the hive S-1-5-18",
			host: fakeWindows{caller: callerSID, services: with(pms),
				localAppData: map[string]string{sidLocalSystem: `C:\Windows\system32\config\systemprofile\AppData\Local`}},
			user: sidLocalSystem, appSupport: `C:\Windows\system32\config\systemprofile\AppData\Local`,
			manager: "windows-service", unit: "PlexService", svcUser: "LocalSystem",
			how: "hive of LocalSystem", looked: "PmsService",
		},
		{
			name: "a service running the exe directly, with no start name (LocalSystem)",
			host: fakeWindows{caller: callerSID, services: with(WindowsService{Name: "pms", Binary: `"` + plexExe + `" -noninteractive`})},
			user: sidLocalSystem, manager: "windows-service", unit: "pms", svcUser: "LocalSystem",
			looked: "local application data of LocalSystem",
		},
		{
			name:       "services not listable: the caller's app, said so",
			host:       fakeWindows{caller: callerSID, servicesErr: errors.New("access denied")},
			appSupport: `C:\Users\j\AppData\Local`, manager: "windows-app",
			looked: "could not be listed (access denied)",
		},
		{
			name: "two wrappers: an error naming both",
			host: fakeWindows{caller: callerSID, services: with(nssm, pms)},
			err:  "2 Windows services run Plex Media Server:\n  PlexNSSM (",
		},
		{
			name: "a wrapper's account that does not resolve",
			host: fakeWindows{caller: callerSID, services: with(nssm)},
			err:  `runs Plex Media Server as ".\\plex", whose SID was not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, svc, looked, err := findWindows(Options{GOOS: "windows", Getenv: env}, tt.host)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				if strings.Contains(tt.err, "2 Windows services") && !strings.Contains(err.Error(), "  PlexService (") {
					t.Errorf("error does not list PlexService: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != plan.KindRegistryValues || s.Key != WindowsKey || s.User != tt.user || s.AppSupport != tt.appSupport {
				t.Errorf("settings %+v, want user %q, AppSupport %q", s, tt.user, tt.appSupport)
			}
			if svc.Config.Manager != tt.manager || svc.Config.Unit != tt.unit || svc.User != tt.svcUser {
				t.Errorf("service %+v, want %s %q as %q", svc, tt.manager, tt.unit, tt.svcUser)
			}
			if !strings.Contains(s.How, tt.how) {
				t.Errorf("How %q, want it to contain %q", s.How, tt.how)
			}
			if all := listLooked(looked); !strings.Contains(all, tt.looked) {
				t.Errorf("looked list does not contain %q:\n%s", tt.looked, all)
			}
		})
	}
}

func TestWrapsPlex(t *testing.T) {
	for _, tt := range []struct {
		s    WindowsService
		want bool
	}{
		{WindowsService{Name: "x", Binary: `"` + plexExe + `"`}, true},
		{WindowsService{Name: "x", Binary: `nssm.exe`, Application: strings.ToUpper(plexExe)}, true},
		{WindowsService{Name: "PlexService", Binary: `C:\anything.exe`}, true},
		{WindowsService{Name: "Renamed", Binary: `"C:\Program Files\PMS\PmsService.exe" -x`}, true},
		{WindowsService{Name: "Renamed", Binary: `C:\PMS\PlexService.exe /run`}, true},
		{WindowsService{Name: "PlexUpdateService", Binary: `C:\Program Files\Plex\PlexUpdateService.exe`}, false},
		{WindowsService{Name: "PlexServiceHelper", Binary: `C:\x\helper.exe`}, false},
	} {
		if _, got := wrapsPlex(tt.s); got != tt.want {
			t.Errorf("wrapsPlex(%+v) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestServiceAccount(t *testing.T) {
	h := fakeWindows{sids: map[string]string{"plex": plexSID, `nt service\plex`: "S-1-5-80-1"}}
	for _, tt := range []struct{ start, sid, name string }{
		{"", sidLocalSystem, "LocalSystem"},
		{"LocalSystem", sidLocalSystem, "LocalSystem"},
		{`NT AUTHORITY\LocalService`, sidLocalService, "LocalService"},
		{`NT AUTHORITY\NetworkService`, sidNetworkService, "NetworkService"},
		{`.\plex`, plexSID, "plex"},
		{`NT SERVICE\plex`, "S-1-5-80-1", `NT SERVICE\plex`},
	} {
		sid, name, err := serviceAccount(h, tt.start)
		if err != nil || sid != tt.sid || name != tt.name {
			t.Errorf("serviceAccount(%q) = %q, %q, %v; want %q, %q", tt.start, sid, name, err, tt.sid, tt.name)
		}
	}
}
