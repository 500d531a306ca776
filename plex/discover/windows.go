package discover

import (
	"fmt"
	"sort"
	"strings"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// WindowsHost is what a running Windows machine tells about its Plex install. The
// decisions below are plain Go, tested anywhere with a fake; windows_windows.go asks the
// live registry and service control manager.
type WindowsHost interface {
	// Caller is the SID of the account running plexform.
	Caller() (string, error)
	// LocalAppDataPath is the LocalAppDataPath value of Plex's key (WindowsKey) in the
	// hive of sid, or in the caller's HKCU when sid is "". ok is false when the value,
	// the key or the hive is absent.
	LocalAppDataPath(sid string) (path string, ok bool, err error)
	// LocalAppData is the local application data directory (%LOCALAPPDATA%) of the
	// account sid, found from its profile.
	LocalAppData(sid string) (string, error)
	// Services lists the installed Win32 services.
	Services() ([]WindowsService, error)
	// SID resolves an account name ("plex", `HOST\plex`, `NT SERVICE\x`).
	SID(account string) (string, error)
}

// WindowsService is an installed service as the service control manager and its
// registry key describe it.
type WindowsService struct {
	// Name is the key name, what sc.exe and the windows-service manager take.
	Name string
	// Binary is BinaryPathName, with its arguments.
	Binary string
	// Application is the program a generic wrapper starts: NSSM's and srvany's value
	// HKLM\SYSTEM\CurrentControlSet\Services\<Name>\Parameters\Application; "" if none.
	Application string
	// StartName is ServiceStartName, the account it runs as; "" means LocalSystem.
	StartName string
}

// The well-known service accounts. Their hives are always loaded (HKU\S-1-5-18 is also
// HKU\.DEFAULT), and LookupAccountName does not know the spelling "LocalSystem" that
// the service control manager uses, so they are mapped here.
const (
	sidLocalSystem    = "S-1-5-18"
	sidLocalService   = "S-1-5-19"
	sidNetworkService = "S-1-5-20"
)

// plexWrappers are the service names and programs of the dedicated Plex wrappers:
// PmsService ("Plex Media Server Service", installed as PlexService).
var plexWrappers = []string{"plexservice", "plexservice.exe", "pmsservice", "pmsservice.exe"}

// wrapsPlex says whether a service runs Plex Media Server, and how, for messages.
func wrapsPlex(s WindowsService) (how string, ok bool) {
	exe := strings.ToLower(service.PlexImage)
	switch {
	case strings.Contains(strings.ToLower(s.Application), exe):
		return "a wrapper (NSSM or srvany) whose Parameters\\Application is " + s.Application, true
	case strings.Contains(strings.ToLower(s.Binary), exe):
		return "its binary is " + s.Binary, true
	}
	for _, w := range plexWrappers {
		if strings.EqualFold(s.Name, w) || strings.EqualFold(windowsBase(programOf(s.Binary)), w) {
			return "PmsService, the Plex service wrapper (" + s.Binary + ")", true
		}
	}
	return "", false
}

// programOf is the program of a command line: the quoted first word, or the text up to
// ".exe".
func programOf(cmdline string) string {
	cmdline = strings.TrimSpace(cmdline)
	if strings.HasPrefix(cmdline, `"`) {
		if end := strings.Index(cmdline[1:], `"`); end >= 0 {
			return cmdline[1 : end+1]
		}
	}
	if i := strings.Index(strings.ToLower(cmdline), ".exe"); i >= 0 {
		return cmdline[:i+len(".exe")]
	}
	return cmdline
}

// windowsBase is the last element of a Windows path, whichever OS this runs on.
func windowsBase(p string) string {
	return p[strings.LastIndexAny(p, `\/`)+1:]
}

// serviceAccount resolves a ServiceStartName to a SID and a name for messages.
func serviceAccount(h WindowsHost, startName string) (sid, name string, err error) {
	switch strings.ToLower(startName) {
	case "", "localsystem", `.\localsystem`, `nt authority\system`:
		return sidLocalSystem, "LocalSystem", nil
	case `nt authority\localservice`, `nt authority\local service`:
		return sidLocalService, "LocalService", nil
	case `nt authority\networkservice`, `nt authority\network service`:
		return sidNetworkService, "NetworkService", nil
	}
	// The service control manager writes local accounts as .\name, which
	// LookupAccountName does not take.
	name = strings.TrimPrefix(startName, `.\`)
	sid, err = h.SID(name)
	return sid, name, err
}

// findWindows is discovery on the running Windows machine: which service (if any) wraps
// Plex, whose hive holds its settings, and where its data directory is.
//
// A single wrapping service decides both: Plex's settings are in the hive of the account
// it runs as, and stopping it goes through the service control manager (taskkill would
// only make the wrapper start Plex again). That account may be LocalSystem
// (HKU\S-1-5-18, data under C:\Windows\System32\config\systemprofile), LocalService or
// NetworkService: their hives are always loaded, so Settings.User is set to their SID
// like for any other account. Settings.User stays "" when the service runs as the caller,
// whose HKCU is the same hive. Without a wrapper Plex is the caller's tray app.
func findWindows(o Options, h WindowsHost) (Settings, Service, []Looked, error) {
	var looked []Looked
	caller, err := h.Caller()
	if err != nil {
		looked = append(looked, Looked{"the account running plexform", "unknown: " + err.Error()})
	}
	wrappers, more := plexServices(h)
	looked = append(looked, more...)
	if len(wrappers) > 1 {
		var lines []string
		for _, w := range wrappers {
			lines = append(lines, "  "+w.Name+" ("+w.how+")")
		}
		return Settings{}, Service{}, looked, fmt.Errorf("%d Windows services run Plex Media Server:\n%s\nDisable the ones not in use (sc config NAME start= disabled), or name the one in use in the plan with a kind: service resource (manager: windows-service, unit: NAME) and set registry_values' user: to the account it runs as", len(wrappers), strings.Join(lines, "\n"))
	}

	settings := Settings{Kind: plan.KindRegistryValues, Key: WindowsKey, How: "Windows: the registry key of the user running plexform"}
	svc := Service{Config: service.Config{Manager: "windows-app"}, How: "Windows: Plex Media Server runs as an app of the signed-in user"}
	hive, hiveName := "", "the user running plexform"
	if len(wrappers) == 1 {
		w := wrappers[0]
		sid, name, err := serviceAccount(h, w.StartName)
		if err != nil {
			return Settings{}, Service{}, looked, fmt.Errorf("the Windows service %s runs Plex Media Server as %q, whose SID was not found (%w); name that account with registry_values' user: in the plan", w.Name, w.StartName, err)
		}
		svc = Service{Config: service.Config{Manager: "windows-service", Unit: w.Name}, User: name,
			How: "Windows service " + w.Name + ": " + w.how + ", as " + name}
		if sid != caller {
			hive, hiveName = sid, name
			settings.User = sid
			settings.How = fmt.Sprintf("Windows: the registry key in the hive of %s (HKU\\%s), the account the service %s runs Plex as", name, sid, w.Name)
		} else {
			settings.How = "Windows: the registry key of the user running plexform, which the service " + w.Name + " runs Plex as"
		}
	}
	appSupport, how, more := windowsAppSupport(o, h, hive, hiveName)
	looked = append(looked, more...)
	settings.AppSupport = appSupport
	if how != "" {
		settings.How += "; data directory " + how
	}
	return settings, svc, looked, nil
}

// plexWrapper is a service found to run Plex.
type plexWrapper struct {
	WindowsService
	how string
}

func plexServices(h WindowsHost) ([]plexWrapper, []Looked) {
	all, err := h.Services()
	if err != nil {
		return nil, []Looked{{"Windows services", "could not be listed (" + err.Error() + "); taking Plex for the per-user app"}}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var found []plexWrapper
	var looked []Looked
	for _, s := range all {
		if how, ok := wrapsPlex(s); ok {
			found = append(found, plexWrapper{s, how})
			looked = append(looked, Looked{"Windows service " + s.Name, "runs Plex Media Server: " + how})
		}
	}
	if len(found) == 0 {
		looked = append(looked, Looked{"Windows services", fmt.Sprintf("%d installed, none runs %s or is PmsService", len(all), service.PlexImage)})
	}
	return found, looked
}

// windowsAppSupport is the directory holding "Plex Media Server" for the account whose
// hive is sid ("" = the caller): the LocalAppDataPath value when set, else that
// account's %LOCALAPPDATA%.
func windowsAppSupport(o Options, h WindowsHost, sid, account string) (dir, how string, looked []Looked) {
	where := WindowsKey + `\LocalAppDataPath`
	if sid != "" {
		where = `HKU\` + sid + strings.TrimPrefix(WindowsKey, "HKCU") + `\LocalAppDataPath`
	}
	switch v, ok, err := h.LocalAppDataPath(sid); {
	case err != nil:
		looked = append(looked, Looked{where, "could not be read: " + err.Error()})
	case ok && v != "":
		return v, "from the registry value " + where, append(looked, Looked{where, "set to " + v})
	default:
		looked = append(looked, Looked{where, "not set"})
	}
	if sid == "" {
		if d, ok := getenv(o, "LOCALAPPDATA"); ok && d != "" {
			return d, "%LOCALAPPDATA%", append(looked, Looked{"%LOCALAPPDATA%", "set to " + d})
		}
		return "", "", append(looked, Looked{"%LOCALAPPDATA%", "not set"})
	}
	d, err := h.LocalAppData(sid)
	if err != nil {
		return "", "", append(looked, Looked{"local application data of " + account, "unknown: " + err.Error()})
	}
	return d, "the local application data of " + account, append(looked, Looked{"local application data of " + account, d})
}
