package service

import (
	"fmt"
	"github.com/plexform/plexform/stores"
	"os"
	"slices"
	"strings"
	"testing"
)

// withField sets the Config field a plan spells field (unit, dir, start...).
func withField(cfg Config, field, value string) Config {
	argv := []string(nil)
	if value != "" {
		argv = []string{value}
	}
	switch field {
	case "unit":
		cfg.Unit = value
	case "dir":
		cfg.Dir = value
	case "app":
		cfg.App = value
	case "container":
		cfg.Container = value
	case "start":
		cfg.Start = argv
	case "stop":
		cfg.Stop = argv
	case "status":
		cfg.Status = argv
	default:
		panic("withField: no Config field for " + field)
	}
	return cfg
}

// TestEveryManagerOpensWithWhatItNeeds: each registered manager opens with its Fields
// given, and refuses a Config that lacks one of its Needs with an error naming the field,
// so the Needs plan validates and the schema requires are the ones Open checks.
func TestEveryManagerOpensWithWhatItNeeds(t *testing.T) {
	if len(Registered()) == 0 {
		t.Fatal("no manager is registered")
	}
	for _, m := range Registered() {
		full := Config{Manager: m.Name, Runner: &fakeRunner{}, DockerHost: "unix:///nonexistent/docker.sock"}
		for _, f := range m.Fields {
			full = withField(full, f, "plex")
		}
		if _, err := New(full); err != nil {
			t.Errorf("manager %s with every field given: %v", m.Name, err)
		}
		for _, f := range m.Needs {
			_, err := New(withField(full, f, ""))
			if err == nil || !strings.Contains(err.Error(), "needs") || !strings.Contains(err.Error(), f) {
				t.Errorf("manager %s without %s: %v; want an error saying it needs %s", m.Name, f, err, f)
			}
		}
	}
}

func TestRegisterRefusesMistakes(t *testing.T) {
	open := func(Config) (stores.Service, error) { return nil, nil }
	for name, m := range map[string]Manager{
		"a second systemd":   {Name: "systemd", Open: open},
		"no name":            {Open: open},
		"no Open":            {Name: "throwaway-no-open"},
		"a need not a field": {Name: "throwaway-need", Needs: []string{"unit"}, Open: open},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register of %s did not panic", name)
				}
			}()
			Register(m)
		}()
	}
	if _, ok := Lookup("throwaway-need"); ok {
		t.Error("a refused manager was registered")
	}
}

// conformanceRuns says where each manager runs servicetest (step 2 of "How to add a
// manager"), relative to this directory, or why it does not.
var conformanceRuns = map[string]string{
	"exec":    "exec_conformance_test.go",
	"s6":      "s6_conformance_test.go",
	"app":     "macapp_conformance_test.go",
	"launchd": "launchd_conformance_test.go",
	"docker":  "../../internal/dockertest/conformance_test.go",
	"systemd": "../../internal/systemdtest/conformance_test.go",
	"snap":    "../../internal/systemdtest/conformance_test.go",
}

// notConformance are the managers that do not run servicetest, and why.
var notConformance = map[string]string{
	"windows-app":     "the suite's program is a POSIX shell script, and this manager works only on Windows (its Wine test is windows_app_wine_windows_test.go)",
	"windows-service": "the suite's program is a POSIX shell script, and the service control manager exists only on Windows",
}

// TestEveryManagerRunsTheConformanceSuite: a registered manager either has a
// conformance run that opens it by name and runs servicetest, or is named in
// notConformance with the reason.
func TestEveryManagerRunsTheConformanceSuite(t *testing.T) {
	for _, m := range Registered() {
		file, ok := conformanceRuns[m.Name]
		if !ok {
			if notConformance[m.Name] == "" {
				t.Errorf("manager %s runs no servicetest: add its TestConformance (How to add a manager, step 2) and name the file in conformanceRuns", m.Name)
			}
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("manager %s: %v", m.Name, err)
			continue
		}
		if !strings.Contains(string(data), "servicetest.Run(") || !strings.Contains(string(data), `Manager: "`+m.Name+`"`) {
			t.Errorf("manager %s: %s does not open it (Manager: %q) and run servicetest.Run", m.Name, file, m.Name)
		}
	}
}

// TestRegisterRefusesAFieldOfAnotherMeaning: a manager's field of its own may not be
// spelled as one a service resource already has (timeout:, state:, a store's set:...),
// which would mean two things in one plan, nor as no plan spells a field.
func TestRegisterRefusesAFieldOfAnotherMeaning(t *testing.T) {
	open := func(Config) (stores.Service, error) { return nil, nil }
	for _, f := range append(slices.Clone(ResourceFields), "Script", "my-script", "", "9lives") {
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, "throwaway-field") || !strings.Contains(msg, f) {
					t.Errorf("Register of a manager reading field %q: %s; want a panic naming the manager and the field", f, msg)
				}
			}()
			Register(Manager{Name: "throwaway-field", Fields: []string{f}, Open: open})
		}()
	}
	if _, ok := Lookup("throwaway-field"); ok {
		t.Error("a refused manager was registered")
	}
	if got := OwnField("unit"); got != nil {
		t.Errorf("OwnField(unit) = %v; unit is a shared field", got)
	}
	if got := OwnField("nobody-reads-this"); got != nil {
		t.Errorf("OwnField of a field no manager reads = %v", got)
	}
}
