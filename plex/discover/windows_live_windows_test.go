//go:build windows

package discover

// These tests read the live registry and service control manager: under Wine in CI
// (scripts/wine-test.sh) or on a Windows machine. Values are written with
// reg.exe, not with our code, and under a key of their own, never Plex's.

import (
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
)

const testPlexKey = `Software\plexform-test\discover\Plex Media Server`

func reg(t *testing.T, args ...string) { t.Helper(); plexsimtest.Reg(t, args...) }

// testHost is the live machine with Plex's key replaced by a scratch key, deleted after.
func testHost(t *testing.T) liveHost {
	t.Helper()
	plexsimtest.DeleteKey(`Software\plexform-test\discover`)
	t.Cleanup(func() { plexsimtest.DeleteKey(`Software\plexform-test\discover`) })
	return liveHost{plexKey: testPlexKey}
}

func TestLiveLocalAppDataPath(t *testing.T) {
	h := testHost(t)
	if _, ok, err := h.LocalAppDataPath(""); err != nil || ok {
		t.Fatalf("no key yet: ok %v, err %v", ok, err)
	}
	reg(t, "add", `HKCU\`+testPlexKey, "/v", "FriendlyName", "/d", "den", "/f")
	if _, ok, err := h.LocalAppDataPath(""); err != nil || ok {
		t.Fatalf("key without the value: ok %v, err %v", ok, err)
	}
	reg(t, "add", `HKCU\`+testPlexKey, "/v", "LocalAppDataPath", "/t", "REG_SZ", "/d", `D:\Plex Data`, "/f")
	if v, ok, err := h.LocalAppDataPath(""); err != nil || !ok || v != `D:\Plex Data` {
		t.Fatalf("REG_SZ: %q, %v, %v", v, ok, err)
	}
	// The caller's own hive through HKU\<SID> is the same value: the path a wrapping
	// service's account is read by.
	caller, err := h.Caller()
	if err != nil || !strings.HasPrefix(caller, "S-1-5-") {
		t.Fatalf("Caller() = %q, %v", caller, err)
	}
	if v, ok, err := h.LocalAppDataPath(caller); err != nil || !ok || v != `D:\Plex Data` {
		t.Errorf(`HKU\%s: %q, %v, %v`, caller, v, ok, err)
	}
	reg(t, "add", `HKCU\`+testPlexKey, "/v", "LocalAppDataPath", "/t", "REG_EXPAND_SZ", "/d", `%SystemDrive%\PlexData`, "/f")
	if v, ok, err := h.LocalAppDataPath(""); err != nil || !ok || !strings.HasSuffix(v, `:\PlexData`) || strings.Contains(v, "%") {
		t.Errorf("REG_EXPAND_SZ not expanded: %q, %v, %v", v, ok, err)
	}

	// And through the decision: the value wins over %LOCALAPPDATA%.
	reg(t, "add", `HKCU\`+testPlexKey, "/v", "LocalAppDataPath", "/t", "REG_SZ", "/d", `D:\Plex Data`, "/f")
	env := func(string) (string, bool) { return `C:\elsewhere`, true }
	s, svc, _, err := findWindows(Options{GOOS: "windows", Getenv: env}, h)
	if err != nil || s.AppSupport != `D:\Plex Data` || s.User != "" {
		t.Errorf("findWindows: %+v, %v", s, err)
	}
	if err == nil && svc.Config.Manager != "windows-app" {
		t.Errorf("no Plex service is installed here, yet: %+v", svc)
	}
}

func TestLiveServicesAndAccounts(t *testing.T) {
	h := testHost(t)
	all, err := h.Services()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no services listed")
	}
	for _, s := range all {
		if s.Name == "" || s.Binary == "" {
			t.Errorf("service without a name or binary: %+v", s)
		}
	}
	d, err := h.LocalAppData(sidLocalSystem)
	if err != nil || !strings.HasSuffix(strings.ToLower(d), `\appdata\local`) {
		t.Errorf("LocalAppData(LocalSystem) = %q, %v", d, err)
	}
	caller, _ := h.Caller()
	sid, err := windows.StringToSid(caller)
	if err != nil {
		t.Fatal(err)
	}
	name, domain, _, err := sid.LookupAccount("")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h.SID(domain + `\` + name); err != nil || got != caller {
		t.Errorf("SID(%s\\%s) = %q, %v; want %s", domain, name, got, err, caller)
	}
}

// underWine is true when ntdll exports wine_get_version.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// TestLivePlexService installs an NSSM-style service whose Parameters\Application is
// Plex, so it runs only under Wine: on a Windows machine it would change the system.
func TestLivePlexService(t *testing.T) {
	if !underWine() {
		t.Skip("installs a service: run only under Wine (scripts/wine-test.sh)")
	}
	h := testHost(t)
	const name = "plexform-test-nssm"
	_ = exec.Command("sc.exe", "delete", name).Run()
	if out, err := exec.Command("sc.exe", "create", name, `binPath=`, `C:\nssm\nssm.exe`).CombinedOutput(); err != nil {
		t.Fatalf("sc create: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("sc.exe", "delete", name).Run() })
	reg(t, "add", `HKLM\SYSTEM\CurrentControlSet\Services\`+name+`\Parameters`, "/v", "Application", "/d", plexExe, "/f")

	s, svc, looked, err := findWindows(Options{GOOS: "windows"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if svc.Config.Manager != "windows-service" || svc.Config.Unit != name || svc.User != "LocalSystem" {
		t.Errorf("service %+v, want windows-service %s as LocalSystem", svc, name)
	}
	if s.User != sidLocalSystem || !strings.HasSuffix(strings.ToLower(s.AppSupport), `\config\systemprofile\appdata\local`) {
		t.Errorf("settings %+v, want the LocalSystem hive and profile", s)
	}
	if l := listLooked(looked); !strings.Contains(l, "Windows service "+name) {
		t.Errorf("looked list does not name the service:\n%s", l)
	}
}
