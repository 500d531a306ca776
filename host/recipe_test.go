//go:build unix

package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
	"github.com/plexform/plexform/stores/service/servicetest/recipe"
)

// TestAddingAManagerByTheRecipe follows "How to add a manager" (stores/service's package
// doc): the manager in stores/service/servicetest/recipe was written by those steps
// alone, and with nothing else changed it passes the conformance suite, a plan may name
// it (with the field it needs), and the schema offers it.
func TestAddingAManagerByTheRecipe(t *testing.T) {
	// Step 2: its conformance run, against a real ctl script driving the suite's program.
	servicetest.Run(t, servicetest.Harness{New: func(t *testing.T, p servicetest.Program) stores.Service {
		dir := t.TempDir()
		start, stop, status := p.Daemon()
		ctl := "#!/bin/sh\ncase $1 in\nstart) " + start + " ;;\nstop) " + stop + " ;;\nstatus) " + status + " ;;\n*) exit 2 ;;\nesac\n"
		if err := os.WriteFile(filepath.Join(dir, "ctl"), []byte(ctl), 0o755); err != nil {
			t.Fatal(err)
		}
		svc, err := service.New(service.Config{Manager: recipe.Name, Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}})

	// Nothing else: plan's validation reads the registry through kinds/service.go.
	good := "version: 1\nresources:\n  - {name: plex, kind: service, manager: " + recipe.Name + ", dir: /srv/plex}\n"
	if _, err := plan.Decode("recipe.yaml", []byte(good)); err != nil {
		t.Errorf("a plan naming the recipe's manager: %v", err)
	}
	_, err := plan.Decode("recipe.yaml", []byte("version: 1\nresources:\n  - {name: plex, kind: service, manager: "+recipe.Name+"}\n"))
	if err == nil || !strings.Contains(err.Error(), "needs dir:") {
		t.Errorf("a plan naming the recipe's manager without dir: %v; want it to say it needs dir:", err)
	}
	schema, err := plan.Schema(plan.SchemaMainURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(schema), `"const": "`+recipe.Name+`"`) {
		t.Errorf("the schema does not offer manager %s", recipe.Name)
	}
}
