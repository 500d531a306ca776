package main

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexform/plexform/kinds"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores/service"
)

// res is the part of a plan.Resource init decides.
type res struct {
	Name, Kind, Path, Domain, Key, User, Service, Manager, Unit, Dir, App, Container, State string
	Start, Stop, Status, OS                                                                 []string
}

// Every store and service discovery can find becomes a plan that decodes to it, with
// paths as the host under -root sees them and awkward names quoted.
func TestInitPlanDecodesForEveryKind(t *testing.T) {
	root := "/mnt/disk"
	for _, c := range []struct {
		name     string
		settings discover.Settings
		svc      discover.Service
		svcErr   error
		want     []res
	}{
		{"Docker s6", discover.Settings{Kind: plan.KindXMLAttributes, Path: root + "/config/Library/Application Support/Plex Media Server/Preferences.xml", How: "known location"},
			discover.Service{Config: service.Config{Manager: "s6", Dir: root + "/run/service/svc-plex"}, How: "s6 dir"}, nil,
			[]res{{Name: "prefs", Kind: plan.KindXMLAttributes, Path: "/config/Library/Application Support/Plex Media Server/Preferences.xml", Service: "plex"},
				{Name: "plex", Kind: plan.KindService, Manager: "s6", Dir: "/run/service/svc-plex", State: "running"}}},
		{"container on a Docker engine", discover.Settings{Kind: plan.KindXMLAttributes, Path: root + "/srv/plex/config/Library/Application Support/Plex Media Server/Preferences.xml", How: "container mount"},
			discover.Service{Config: service.Config{Manager: "docker", Container: "plex"}, How: "docker"}, nil,
			[]res{{Name: "prefs", Kind: plan.KindXMLAttributes, Path: "/srv/plex/config/Library/Application Support/Plex Media Server/Preferences.xml", Service: "plex"},
				{Name: "plex", Kind: plan.KindService, Manager: "docker", Container: "plex", State: "running"}}},
		{"Windows registry of a service account", discover.Settings{Kind: plan.KindRegistryValues, Key: `HKCU\Software\Plex, Inc.\Plex Media Server`, User: "S-1-5-21-1-2-3-1001", How: "NSSM"},
			discover.Service{Config: service.Config{Manager: "windows-service", Unit: "PlexService"}, How: "service"}, nil,
			[]res{{Name: "prefs", Kind: plan.KindRegistryValues, Key: `HKCU\Software\Plex, Inc.\Plex Media Server`, User: "S-1-5-21-1-2-3-1001", Service: "plex", OS: []string{"windows"}},
				{Name: "plex", Kind: plan.KindService, Manager: "windows-service", Unit: "PlexService", State: "running", OS: []string{"windows"}}}},
		{"macOS defaults", discover.Settings{Kind: plan.KindPlistKeys, Domain: "com.plexapp.plexmediaserver", How: "defaults"},
			discover.Service{Config: service.Config{Manager: "app", App: "Plex Media Server"}, How: "app"}, nil,
			[]res{{Name: "prefs", Kind: plan.KindPlistKeys, Domain: "com.plexapp.plexmediaserver", Service: "plex", OS: []string{"darwin"}},
				{Name: "plex", Kind: plan.KindService, Manager: "app", App: "Plex Media Server", State: "running", OS: []string{"darwin"}}}},
		{"TrueNAS jail", discover.Settings{Kind: plan.KindXMLAttributes, Path: root + "/mnt/tank/iocage/jails/plex/root/Plex Media Server/Preferences.xml", How: "jail"},
			discover.Service{Config: service.Config{Manager: "exec", Start: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestart"},
				Stop: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestop"}, Status: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestatus"}}, How: "rc"}, nil,
			[]res{{Name: "prefs", Kind: plan.KindXMLAttributes, Path: "/mnt/tank/iocage/jails/plex/root/Plex Media Server/Preferences.xml", Service: "plex"},
				{Name: "plex", Kind: plan.KindService, Manager: "exec", State: "running",
					Start: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestart"}, Stop: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestop"},
					Status: []string{"iocage", "exec", "plex", "service", "plexmediaserver", "onestatus"}}}},
		{"no service found", discover.Settings{Kind: plan.KindXMLAttributes, Path: root + "/srv/plex: odd #name/Preferences.xml", How: "env"},
			discover.Service{}, errors.New("no way to run Plex Media Server found\nlooked at ..."),
			[]res{{Name: "prefs", Kind: plan.KindXMLAttributes, Path: "/srv/plex: odd #name/Preferences.xml"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			text, err := initPlan(root, c.settings, c.svc, c.svcErr, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := plan.Decode("plexform.yaml", text)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			var got []res
			for _, r := range p.Resources {
				g := res{Name: r.Name, Kind: r.Kind, Service: r.Service, State: r.State, OS: r.When.OS}
				switch s := r.Spec.(type) {
				case *kinds.XMLAttributes:
					g.Path = s.Path
				case *kinds.PlistKeys:
					g.Path, g.Domain = s.Path, s.Domain
				case *kinds.RegistryValues:
					g.Key, g.User = s.Key, s.User
				case *kinds.Service:
					g.Manager, g.Unit, g.Dir, g.App, g.Container, g.Start, g.Stop, g.Status = s.Manager, s.Unit, s.Dir, s.App, s.Container, s.Start, s.Stop, s.Status
				}
				got = append(got, g)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("resources (-want +got):\n%s\n%s", d, text)
			}
			if len(p.Resources) > 0 && len(p.Resources[0].Absent) != 4 {
				t.Errorf("prefs removes %v", p.Resources[0].Absent)
			}
		})
	}
}

// With no service found, nothing starts Plex after the write, and apply runs at all only
// when no Plex uses the file (the running-Plex guard): a verify of the server would then
// always fail and roll the reset back. init (and reset) write it as a comment instead.
func TestInitPlanNoServiceVerifiesNothing(t *testing.T) {
	settings := discover.Settings{Kind: plan.KindXMLAttributes, Path: "/srv/plex/Plex Media Server/Preferences.xml", How: "env"}
	text, err := initPlan("", settings, discover.Service{}, errors.New("no way to run Plex Media Server found"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode("plexform.yaml", text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(p.Verify) != 0 {
		t.Errorf("the plan verifies a server no service starts:\n%s", text)
	}
	// With a service the verify stays.
	svc := discover.Service{Config: service.Config{Manager: "systemd", Unit: "plexmediaserver"}, How: "unit"}
	if text, _ = initPlan("", settings, svc, nil, nil); !hasVerify(t, text) {
		t.Errorf("the plan with a service verifies nothing:\n%s", text)
	}
}

func hasVerify(t *testing.T, text []byte) bool {
	t.Helper()
	p, err := plan.Decode("plexform.yaml", text)
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Verify) > 0
}
