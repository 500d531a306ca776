//go:build unix

package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
)

// restoreHost is a Preferences.xml guarded by an exec service whose state is a file.
// The service's start runs startCheck first (PREFS in it is the store's path), as a server that reads its settings on
// start and refuses to come up with some of them.
type restoreHost struct {
	prefs, up, stopped string
	h                  *host.Host
	backups            *state.Dir
}

func newRestoreHost(t *testing.T, startCheck string) *restoreHost {
	t.Helper()
	dir := t.TempDir()
	rh := &restoreHost{prefs: filepath.Join(dir, "Preferences.xml"), up: filepath.Join(dir, "up"), stopped: filepath.Join(dir, "stopped")}
	startCheck = strings.ReplaceAll(startCheck, "PREFS", rh.prefs)
	for path, data := range map[string]string{rh.prefs: prefsXML, rh.up: ""} {
		if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	rh.h = bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+rh.prefs+`, absent: [PlexOnlineToken], service: plex}
  - name: plex
    kind: service
    manager: exec
    start: [sh, -c, '`+startCheck+` touch `+rh.up+`']
    stop: [sh, -c, 'rm -f `+rh.up+`; touch `+rh.stopped+`']
    status: [test, -f, `+rh.up+`]
    timeout: 5s
`)
	rh.backups = &state.Dir{Path: filepath.Join(dir, "backups")}
	t.Cleanup(func() { rh.backups.Close() })
	return rh
}

// save makes a backup of the store holding data, as if an earlier apply had taken it.
func (rh *restoreHost) save(t *testing.T, data string) *state.Manifest {
	t.Helper()
	m, err := rh.backups.Save("prefs", "xml_attributes", rh.prefs, "", "test",
		stores.Snapshot{Ext: "xml", Data: []byte(data), Meta: stores.FileMeta{UID: os.Getuid(), GID: os.Getgid(), Mode: 0o640}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (rh *restoreHost) restore(id string) (*Restored, error) {
	s := rh.h.Stores[0]
	return Restore(context.Background(), s.Store, s.Service, id, Options{Backups: rh.backups, Keep: 10, Version: "test"})
}

func (rh *restoreHost) running() bool {
	_, err := os.Stat(rh.up)
	return err == nil
}

// A backup whose bytes are not a settings file (its sha256 matches its manifest, so
// only a parse tells) is refused before the server is stopped: nothing changes.
func TestRestoreRefusesACopyThatDoesNotParseBeforeStoppingAnything(t *testing.T) {
	rh := newRestoreHost(t, "")
	m := rh.save(t, `<?xml version="1.0"?>`+"\n"+`<Preferences PlexOnlineToken="tok-SECRET-123456"`)
	_, err := rh.restore(m.ID)
	f, ok := IsFailure(err)
	if !ok || f.Changed || !f.RolledBack || !errors.Is(err, stores.ErrMalformed) || !strings.Contains(err.Error(), "backup "+m.ID+" cannot be restored to "+rh.prefs) {
		t.Fatalf("restore of a damaged copy: %v (%+v), want a refusal that changed nothing", err, f)
	}
	if strings.Contains(err.Error(), "tok-SECRET") {
		t.Errorf("the error quotes the copy: %v", err)
	}
	if _, err := os.Stat(rh.stopped); err == nil || !rh.running() {
		t.Error("the server was stopped for a restore that could not be made")
	}
	if got, _ := os.ReadFile(rh.prefs); string(got) != prefsXML {
		t.Errorf("the store changed:\n%s", got)
	}
}

// A restore after which the server does not start puts back what the store held before
// it (its own pre-restore backup) and starts the server again: Plex is not left down
// with settings it will not start with. When even that start fails, the failure says
// exactly what is left.
func TestRestoreUndoesItselfWhenTheServerDoesNotStart(t *testing.T) {
	refusing := `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences MachineIdentifier="m" Broken="1"/>` + "\n"
	t.Run("the server starts with the earlier content", func(t *testing.T) {
		rh := newRestoreHost(t, "if grep -q Broken= PREFS; then echo refusing to start >&2; exit 1; fi;")
		m := rh.save(t, refusing)
		_, err := rh.restore(m.ID)
		f, ok := IsFailure(err)
		if !ok || !f.Changed || !f.RolledBack || len(f.Left) != 0 {
			t.Fatalf("restore: %v (%+v), want a failure that was rolled back", err, f)
		}
		if !strings.Contains(err.Error(), "plex did not start after the restore of backup "+m.ID) {
			t.Errorf("the error does not say the server did not start: %v", err)
		}
		if got, _ := os.ReadFile(rh.prefs); string(got) != prefsXML {
			t.Errorf("the store after the undo:\n%s\nwant what it held before the restore", got)
		}
		if !rh.running() {
			t.Error("the server is not running again")
		}
	})
	t.Run("the server starts with nothing", func(t *testing.T) {
		rh := newRestoreHost(t, "exit 1;")
		m := rh.save(t, refusing)
		_, err := rh.restore(m.ID)
		f, ok := IsFailure(err)
		if !ok || !f.Changed || f.RolledBack || len(f.Left) != 1 || !strings.Contains(f.Left[0], "service plex is not running again") {
			t.Fatalf("restore: %v (%+v), want an incomplete rollback naming the service", err, f)
		}
		if got, _ := os.ReadFile(rh.prefs); string(got) != prefsXML {
			t.Errorf("the store after the undo:\n%s\nwant what it held before the restore", got)
		}
	})
}

// A signal that ends an apply before it changed anything is named first, as a rollback
// names it, not only the step it cut short (reading the service's state).
func TestApplyRefusedByASignalSaysSo(t *testing.T) {
	rh := newRestoreHost(t, "")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupted by SIGTERM"))
	_, err := Apply(ctx, rh.h, Options{Backups: rh.backups})
	f, ok := IsFailure(err)
	if !ok || f.Changed || !f.Interrupted || !strings.HasPrefix(err.Error(), "interrupted by SIGTERM, during: ") {
		t.Fatalf("apply cancelled by a signal: %v (%+v), want a refusal that names the signal first", err, f)
	}
	if got, _ := os.ReadFile(rh.prefs); string(got) != prefsXML || !rh.running() {
		t.Error("an apply cut short before any change changed something")
	}
}
