package discover

import (
	"strings"
	"testing"
)

func TestSystemUnit(t *testing.T) {
	for in, want := range map[string]string{
		"0::/system.slice/plexmediaserver.service\n":                                                    "plexmediaserver",
		"12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/fvapp-plexmediaserver.service\n": "fvapp-plexmediaserver",
		"0::/user.slice/user-1000.slice/session-2.scope\n":                                              "",
		"0::/system.slice/docker-0123abcd.scope\n":                                                      "",
		"0::/system.slice/.service\n":                                                                   "",
		"0::/\n":                                                                                        "",
	} {
		if got := systemUnit([]byte(in)); got != want {
			t.Errorf("systemUnit(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseEnviron(t *testing.T) {
	env := parseEnviron([]byte("HOME=/var/lib/plexmediaserver\x00" + EnvAppSupport + "=/srv/plex data\x00" + EnvAppSupport + "=/later\x00junk\x00=x\x00"))
	if env["HOME"] != "/var/lib/plexmediaserver" || env[EnvAppSupport] != "/srv/plex data" || len(env) != 2 {
		t.Errorf("parseEnviron = %q", env)
	}
}

// The /proc files are another process's: any bytes are read without a panic, and what
// comes out is a name, never a path.
func FuzzProcFiles(f *testing.F) {
	f.Add([]byte("0::/system.slice/plexmediaserver.service\n"))
	f.Add([]byte("HOME=/config\x00PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/config/Library/Application Support\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if unit := systemUnit(data); strings.ContainsAny(unit, "/\n") {
			t.Errorf("unit %q", unit)
		}
		for k := range parseEnviron(data) {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				t.Errorf("variable %q", k)
			}
		}
	})
}
