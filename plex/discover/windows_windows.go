//go:build windows

package discover

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/mgr"
)

// liveWindows is the machine plexform runs on.
func liveWindows() WindowsHost { return liveHost{plexKey: plexSubkey} }

// liveHost reads the live registry and service control manager.
type liveHost struct {
	// plexKey is Plex's key below a hive's root; tests point it at a key of their own.
	plexKey string
}

func (liveHost) Caller() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("read the process token: %w", err)
	}
	return u.User.Sid.String(), nil
}

// plexSubkey is WindowsKey below its root.
var plexSubkey = strings.TrimPrefix(WindowsKey, `HKCU\`)

func (l liveHost) LocalAppDataPath(sid string) (string, bool, error) {
	root, path := registry.CURRENT_USER, l.plexKey
	if sid != "" {
		root, path = registry.USERS, sid+`\`+l.plexKey
	}
	k, err := registry.OpenKey(root, path, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer k.Close()
	v, typ, err := k.GetStringValue("LocalAppDataPath")
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if typ == registry.EXPAND_SZ {
		if v, err = registry.ExpandString(v); err != nil {
			return "", false, err
		}
	}
	return v, true, nil
}

// serviceProfiles are where Windows keeps the profiles of the well-known service
// accounts, for when ProfileList does not list them (Wine).
var serviceProfiles = map[string]string{
	sidLocalSystem:    `%SystemRoot%\System32\config\systemprofile`,
	sidLocalService:   `%SystemRoot%\ServiceProfiles\LocalService`,
	sidNetworkService: `%SystemRoot%\ServiceProfiles\NetworkService`,
}

// LocalAppData is <profile>\AppData\Local, the profile from ProfileList, which also
// lists the service accounts.
func (liveHost) LocalAppData(sid string) (string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\`+sid, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) && serviceProfiles[sid] != "" {
		profile, err := registry.ExpandString(serviceProfiles[sid])
		return filepath.Join(profile, "AppData", "Local"), err
	}
	if err != nil {
		return "", fmt.Errorf("no profile for %s in ProfileList: %w", sid, err)
	}
	defer k.Close()
	profile, _, err := k.GetStringValue("ProfileImagePath")
	if err != nil {
		return "", fmt.Errorf("ProfileImagePath of %s: %w", sid, err)
	}
	if profile, err = registry.ExpandString(profile); err != nil {
		return "", err
	}
	return filepath.Join(profile, "AppData", "Local"), nil
}

// Services asks the service control manager with the least access that lists and reads
// configurations, which an unelevated user has (mgr.Connect asks for all access).
func (liveHost) Services() ([]WindowsService, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT|windows.SC_MANAGER_ENUMERATE_SERVICE)
	if err != nil {
		return nil, fmt.Errorf("connect to the service control manager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	names, err := m.ListServices()
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	var out []WindowsService
	for _, name := range names {
		s, ok := serviceConfig(h, name)
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// serviceConfig reads one service; one that cannot be read (access denied, or removed
// since the listing) is left out.
func serviceConfig(scm windows.Handle, name string) (WindowsService, bool) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return WindowsService{}, false
	}
	h, err := windows.OpenService(scm, p, windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		return WindowsService{}, false
	}
	defer windows.CloseServiceHandle(h)
	c, err := queryConfig(h)
	if err != nil || c.ServiceType&windows.SERVICE_WIN32 == 0 {
		return WindowsService{}, false
	}
	return WindowsService{
		Name:        name,
		Binary:      windows.UTF16PtrToString(c.BinaryPathName),
		StartName:   windows.UTF16PtrToString(c.ServiceStartName),
		Application: wrappedApplication(name),
	}, true
}

// queryConfig is QueryServiceConfig alone: mgr.Service.Config also asks for the
// description, SID type and delayed start, which older Windows and Wine refuse ("Invalid
// level") while the part needed here is there.
func queryConfig(h windows.Handle) (*windows.QUERY_SERVICE_CONFIG, error) {
	var need uint32
	buf := make([]byte, 1024)
	for {
		c := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
		err := windows.QueryServiceConfig(h, c, uint32(len(buf)), &need)
		if err == windows.ERROR_INSUFFICIENT_BUFFER && int(need) > len(buf) {
			buf = make([]byte, need)
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

func wrappedApplication(name string) string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\`+name+`\Parameters`, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	v, _, err := k.GetStringValue("Application")
	if err != nil {
		return ""
	}
	return v
}

func (liveHost) SID(account string) (string, error) {
	sid, _, _, err := windows.LookupSID("", account)
	if err != nil {
		return "", err
	}
	return sid.String(), nil
}
