//go:build unix

package host_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
	"github.com/plexform/plexform/stores/service/servicetest/recipe"
)

// TestAddingAManagerByTheRecipe follows "How to add a manager" (stores/service's package
// doc): the manager in stores/service/servicetest/recipe was written by those steps
// alone, and with nothing else changed it passes the conformance suite through the
// field of its own it reads (script:), a plan may name it (with the field it needs and
// its own), the schema offers both, init writes its own field back, and a plan that
// names it applies: the service is stopped while the store it guards changes.
func TestAddingAManagerByTheRecipe(t *testing.T) {
	// Step 2: its conformance run, against a real control script driving the suite's
	// program, named by the manager's own field.
	servicetest.Run(t, servicetest.Harness{New: func(t *testing.T, p servicetest.Program) stores.Service {
		dir := t.TempDir()
		start, stop, status := p.Daemon()
		writeCtl(t, filepath.Join(dir, "plexctl"), start, stop, status)
		svc, err := service.New(service.Config{Manager: recipe.Name, Dir: dir, Own: map[string]string{"script": "plexctl"}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}})

	// Nothing else: plan's validation reads the registry through kinds/service.go.
	good := "version: 1\nresources:\n  - {name: plex, kind: service, manager: " + recipe.Name + ", dir: /srv/plex, script: plexctl}\n"
	p, err := plan.Decode("recipe.yaml", []byte(good))
	if err != nil {
		t.Fatalf("a plan naming the recipe's manager: %v", err)
	}
	_, err = plan.Decode("recipe.yaml", []byte("version: 1\nresources:\n  - {name: plex, kind: service, manager: "+recipe.Name+"}\n"))
	if err == nil || !strings.Contains(err.Error(), "needs dir:") {
		t.Errorf("a plan naming the recipe's manager without dir: %v; want it to say it needs dir:", err)
	}
	_, err = plan.Decode("recipe.yaml", []byte("version: 1\nresources:\n  - {name: plex, kind: service, manager: "+recipe.Name+", dir: /srv/plex, script: [a, b]}\n"))
	if err == nil || !strings.Contains(err.Error(), "recipe.yaml:3:") || !strings.Contains(err.Error(), "script") {
		t.Errorf("a plan whose script: is a list: %v; want an error naming recipe.yaml:3 and script", err)
	}
	_, err = plan.Decode("recipe.yaml", []byte("version: 1\nresources:\n  - {name: plex, kind: service, manager: "+recipe.Name+", dir: /srv/plex, scirpt: plexctl}\n"))
	if err == nil || !strings.Contains(err.Error(), "recipe.yaml:3:") || !strings.Contains(err.Error(), `unknown field "scirpt"`) {
		t.Errorf("a plan with a misspelt script: %v; want an unknown-field error naming recipe.yaml:3", err)
	}
	_, err = plan.Decode("recipe.yaml", []byte("version: 1\nresources:\n  - name: plex\n    kind: service\n    manager: exec\n    start: [x]\n    stop: [x]\n    status: [x]\n    script: plexctl\n"))
	if err == nil || !strings.Contains(err.Error(), "recipe.yaml:9:") || !strings.Contains(err.Error(), "script: is read only by the "+recipe.Name+" manager") {
		t.Errorf("a plan giving script: to the exec manager: %v; want an error naming recipe.yaml:9 and the manager that reads script:", err)
	}
	schema, err := plan.Schema(plan.SchemaMainURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(schema), `"const": "`+recipe.Name+`"`) || !strings.Contains(string(schema), `"read by the `+recipe.Name+` manager"`) {
		t.Errorf("the schema does not offer manager %s and its script:", recipe.Name)
	}
	lines := plan.KindOf(plan.KindService).Init(p.Resource("plex").Spec)
	if last := lines[len(lines)-1]; last.Field != "script" || last.Value != "plexctl" {
		t.Errorf("init writes %+v; want its last line script: plexctl", lines)
	}

	// A plan naming it applies: the service, running, is stopped through its script
	// while the settings change, and started again.
	dir := t.TempDir()
	svcDir := filepath.Join(dir, "svc")
	if err := os.Mkdir(svcDir, 0o755); err != nil {
		t.Fatal(err)
	}
	up, log := filepath.Join(svcDir, "up"), filepath.Join(svcDir, "log")
	writeCtl(t, filepath.Join(svcDir, "plexctl"), "touch "+up, "rm -f "+up, "test -e "+up+" || exit 3")
	prefs := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<Preferences FriendlyName="den" PlexOnlineToken="secret-token-value"/>`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(up, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "plexform.yaml")
	p, err = plan.Decode(planFile, []byte("version: 1\nresources:\n"+
		"  - {name: plex, kind: service, manager: "+recipe.Name+", dir: svc, script: plexctl}\n"+
		"  - {name: prefs, kind: xml_attributes, path: Preferences.xml, absent: [PlexOnlineToken], service: plex}\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executor.Apply(context.Background(), h, executor.Options{Backups: &state.Dir{Path: filepath.Join(dir, "backups")},
		Keep: plan.DefaultKeep, PlanFile: planFile, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(prefs); strings.Contains(string(got), "PlexOnlineToken") || !strings.Contains(string(got), `FriendlyName="den"`) {
		t.Errorf("after apply Preferences.xml holds %q", got)
	}
	verbs, _ := os.ReadFile(log)
	if !strings.Contains(string(verbs), "stop\n") || !strings.Contains(string(verbs), "start\n") {
		t.Errorf("the control script was asked %q; want a stop and a start", verbs)
	}
	if _, err := os.Stat(up); err != nil {
		t.Errorf("after apply the service is not running again: %v", err)
	}
}

// writeCtl writes an LSB-style control script at path running start, stop and status,
// which logs each verb it is asked to a file named log beside it.
func writeCtl(t *testing.T, path, start, stop, status string) {
	t.Helper()
	ctl := "#!/bin/sh\necho \"$1\" >> \"$(dirname \"$0\")/log\"\ncase $1 in\nstart) " + start + " ;;\nstop) " + stop + " ;;\nstatus) " + status + " ;;\n*) exit 2 ;;\nesac\n"
	if err := os.WriteFile(path, []byte(ctl), 0o755); err != nil {
		t.Fatal(err)
	}
}
