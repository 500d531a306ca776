package executor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

const prefsXML = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<Preferences MachineIdentifier="m" PlexOnlineToken="tok-SECRET-123456" PlexOnlineMail="jane@example.com" FriendlyName="den"/>` + "\n"

func bind(t *testing.T, planText string) *host.Host {
	t.Helper()
	p, err := plan.Decode("test.yaml", []byte(planText))
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.Open(p, host.Options{GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mountTinyTmpfs gives a 64 KiB file system that is full but for a few bytes, so the
// next write there fails with ENOSPC for real.
func mountTinyTmpfs(t *testing.T) string {
	t.Helper()
	return testtool.Tmpfs(t, "64k")
}

func fill(t *testing.T, dir string) {
	t.Helper()
	testtool.FillUp(t, dir)
}

func TestApplyChangesNothingWhenAStoreCannotBeStaged(t *testing.T) {
	full := mountTinyTmpfs(t)
	ok := t.TempDir()
	okPath := filepath.Join(ok, "Preferences.xml")
	fullPath := filepath.Join(full, "Preferences.xml")
	for _, p := range []string{okPath, fullPath} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	fill(t, full)
	h := bind(t, `version: 1
resources:
  - {name: first, kind: xml_attributes, path: `+okPath+`, absent: [PlexOnlineToken, PlexOnlineMail]}
  - {name: second, kind: xml_attributes, path: `+fullPath+`, absent: [PlexOnlineToken, PlexOnlineMail]}
`)
	backups := &state.Dir{Path: filepath.Join(t.TempDir(), "backups")}
	_, err := Apply(context.Background(), h, Options{Backups: backups, Keep: 10})
	f, isFailure := IsFailure(err)
	if !isFailure {
		t.Fatalf("Apply error = %v, want a *Failure", err)
	}
	// The full disk is found while staging, before any store is written.
	if !f.RolledBack || f.Changed || len(f.Left) != 0 {
		t.Errorf("failure = %+v, want nothing changed", f)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("the error does not carry ENOSPC: %v", err)
	}
	if !strings.Contains(err.Error(), "second:") {
		t.Errorf("the error does not name the store that failed: %v", err)
	}
	for _, p := range []string{okPath, fullPath} {
		got, _ := os.ReadFile(p)
		if string(got) != prefsXML {
			t.Errorf("%s after the rollback:\n%s", p, got)
		}
	}
	entries, _ := os.ReadDir(full)
	if len(entries) != 2 {
		t.Errorf("temp files left on the full file system: %v", entries)
	}
	if list, _ := backups.List(); len(list) != 0 {
		t.Errorf("%d backups of an apply that changed nothing, want none", len(list))
	}
}

func TestApplyReportsEveryRollbackErrorAndWhatIsLeft(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.xml"), filepath.Join(dir, "b.xml")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := bind(t, `version: 1
resources:
  - {name: a, kind: xml_attributes, path: `+a+`, absent: [PlexOnlineToken]}
  - {name: b, kind: xml_attributes, path: `+b+`, absent: [PlexOnlineToken]}
`)
	// b fails its write; a's restore fails too, so the rollback is incomplete.
	h.Stores[1].Store = failingWrite{h.Stores[1].Store}
	h.Stores[0].Store = failingRestore{h.Stores[0].Store}
	backups := &state.Dir{Path: filepath.Join(dir, "backups")}
	_, err := Apply(context.Background(), h, Options{Backups: backups, Keep: 10})
	f, isFailure := IsFailure(err)
	if !isFailure || f.RolledBack {
		t.Fatalf("err = %v, want an incomplete rollback", err)
	}
	text := err.Error()
	for _, want := range []string{"b: write refused", "rollback a: restore refused"} {
		if !strings.Contains(text, want) {
			t.Errorf("error %q lacks %q", text, want)
		}
	}
	if len(f.Left) != 1 || !strings.Contains(f.Left[0], "a ("+a+") is NOT restored; its backup is "+backups.Path) {
		t.Errorf("left = %q", f.Left)
	}
	if strings.Contains(text, "tok-SECRET") || strings.Contains(strings.Join(f.Left, ""), "tok-SECRET") {
		t.Error("a token leaked into the error")
	}
}

func TestSecondApplyWaitsForTheLock(t *testing.T) {
	b := &state.Dir{Path: filepath.Join(t.TempDir(), "backups")}
	unlock, err := b.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files, so a second open in this process contends too.
	if _, err := b.Lock(0); !errors.Is(err, state.ErrLocked) || !strings.Contains(err.Error(), "another plexform apply (pid") {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	unlock2, err := b.Lock(0)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
	if fi, err := os.Stat(b.Path); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backups dir mode: %v %v", fi.Mode(), err)
	}
}

func TestPruneKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.xml")
	if err := os.WriteFile(path, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, "version: 1\nresources:\n  - {name: p, kind: xml_attributes, path: "+path+", set: {FriendlyName: x}}\n")
	b := &state.Dir{Path: filepath.Join(dir, "backups")}
	snap, err := h.Stores[0].Store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var saved []string
	for i := 0; i < 4; i++ {
		m, err := b.Save("p", "xml_attributes", path, "", "test", snap)
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, m.ID)
	}
	if err := b.Prune("p", path, 2); err != nil {
		t.Fatal(err)
	}
	list, _ := b.List()
	if len(list) != 2 || list[0].ID != saved[2] || list[1].ID != saved[3] {
		var ids []string
		for _, m := range list {
			ids = append(ids, m.ID)
		}
		t.Errorf("kept %v, want the two newest", ids)
	}
	files, _ := filepath.Glob(filepath.Join(b.Path, "*.xml"))
	if len(files) != 2 {
		t.Errorf("%d backup copies left, want 2", len(files))
	}
}

// On a read-only file system the write is found impossible before the service is
// stopped: no downtime, no backup, nothing changed.
func TestApplyOnAReadOnlyFileSystemStopsNothing(t *testing.T) {
	ro := mountTinyTmpfs(t)
	prefs := filepath.Join(ro, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(prefsXML), 0o640); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", ro).CombinedOutput(); err != nil {
		testtool.Unavailable(t, "cannot remount the tmpfs read-only: "+strings.TrimSpace(string(out)))
	}
	svcDir := t.TempDir()
	up, stopped := filepath.Join(svcDir, "up"), filepath.Join(svcDir, "stopped")
	if err := os.WriteFile(up, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken], service: plex}
  - name: plex
    kind: service
    manager: exec
    start: [touch, `+up+`]
    stop: [sh, -c, 'rm -f `+up+`; touch `+stopped+`']
    status: [test, -f, `+up+`]
`)
	backups := &state.Dir{Path: filepath.Join(t.TempDir(), "backups")}
	_, err := Apply(context.Background(), h, Options{Backups: backups, Keep: 10})
	f, isFailure := IsFailure(err)
	if !isFailure || !f.RolledBack || f.Changed {
		t.Fatalf("err = %v, want a refusal that changed nothing", err)
	}
	if !errors.Is(err, syscall.EROFS) {
		t.Errorf("the error does not say the file system is read-only: %v", err)
	}
	if _, err := os.Stat(stopped); err == nil {
		t.Error("the service was stopped although the write could never be made")
	}
	if got, _ := os.ReadFile(prefs); string(got) != prefsXML {
		t.Error("the file changed")
	}
	if list, _ := backups.List(); len(list) != 0 {
		t.Errorf("%d backups of an apply that changed nothing", len(list))
	}
}

// An apply with nothing to do still takes the lock: it must not report "No changes"
// while another apply is between its write and its rollback.
func TestApplyWithNoChangesWaitsForTheLock(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(`<Preferences FriendlyName="den"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken]}
`)
	backups := &state.Dir{Path: filepath.Join(dir, "backups")}
	unlock, err := backups.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := Apply(context.Background(), h, Options{Backups: backups}); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("a no-change apply beside a running one: err = %v, want state.ErrLocked", err)
	}
}

// A panic during the apply (a bug) rolls back like any failure and says where it hit.
func TestApplyTurnsAPanicIntoARollback(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.xml"), filepath.Join(dir, "b.xml")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := bind(t, `version: 1
resources:
  - {name: a, kind: xml_attributes, path: `+a+`, absent: [PlexOnlineToken]}
  - {name: b, kind: xml_attributes, path: `+b+`, absent: [PlexOnlineToken]}
`)
	h.Stores[1].Store = panickingWrite{h.Stores[1].Store}
	_, err := Apply(context.Background(), h, Options{Backups: &state.Dir{Path: filepath.Join(dir, "backups")}, Keep: 10})
	f, isFailure := IsFailure(err)
	if !isFailure || !f.RolledBack {
		t.Fatalf("err = %v, want a complete rollback", err)
	}
	if !strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), "a bug in a store") || !strings.Contains(err.Error(), "after step") {
		t.Errorf("the error does not say a bug hit, and where: %v", err)
	}
	for _, p := range []string{a, b} {
		if got, _ := os.ReadFile(p); string(got) != prefsXML {
			t.Errorf("%s was not put back", p)
		}
	}
}

// A writer that rewrites Preferences.xml in place (truncate, then write) while applies
// run: every backup holds a whole file, the one the diff was computed from, so no
// rollback can put back an empty file; an apply that reads a half-written file refuses.
func TestApplyBesideAnInPlaceWriterNeverBacksUpAPartialFile(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(prefs, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				continue // between our rename and the next open
			}
			// half a file for a moment, then the whole file for a moment
			f.WriteString(prefsXML[:40])
			time.Sleep(200 * time.Microsecond)
			f.WriteString(prefsXML[40:])
			f.Close()
			time.Sleep(400 * time.Microsecond)
		}
	}()
	backups := &state.Dir{Path: filepath.Join(dir, "backups")}
	// verify always fails, so every apply that writes also rolls back.
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken]}
verify:
  - http: {url: "http://127.0.0.1:1/", status: 200, timeout: 1ms}
`)
	var refused, rolledBack int
	for i := 0; i < 150; i++ {
		_, err := Apply(context.Background(), h, Options{Backups: backups})
		f, ok := IsFailure(err)
		switch {
		case !ok:
			t.Fatalf("apply %d: err = %v, want a refusal or a rollback", i, err)
		case f.Changed && f.RolledBack:
			rolledBack++
		case !f.Changed:
			refused++
			if i < 3 {
				t.Logf("apply %d refused: %v", i, err)
			}
		default:
			t.Fatalf("apply %d left the host half changed: %v", i, err)
		}
	}
	close(stop)
	<-done
	list, err := backups.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		_, snap, err := backups.Load(m.ID)
		if err != nil {
			t.Fatalf("backup %s: %v", m.ID, err)
		}
		if !strings.Contains(string(snap.Data), "<Preferences") || !strings.HasSuffix(string(snap.Data), "/>\n") {
			t.Errorf("backup %s holds a partial file (%d bytes)", m.ID, len(snap.Data))
		}
	}
	t.Logf("%d applies rolled back, %d refused, %d backups checked", rolledBack, refused, len(list))
	if rolledBack == 0 {
		t.Error("no apply got as far as a write, so this test showed nothing about rollbacks")
	}
}

// restartingService is a server whose start fails and whose manager then keeps trying,
// as systemd does with Restart=on-failure: until it is stopped, Running answers that it
// is between states ("activating (auto-restart)"), and it may come up on whatever file
// is there at that moment. Every call is recorded in events.
type restartingService struct {
	stores.Service
	events     *[]string
	starts     int
	restarting bool
}

func (s *restartingService) Start(ctx context.Context) error {
	s.starts++
	*s.events = append(*s.events, "start")
	if s.starts == 1 {
		s.restarting = true
		return errors.New("start failed; the manager will retry")
	}
	return s.Service.Start(ctx)
}

func (s *restartingService) Stop(ctx context.Context) error {
	*s.events = append(*s.events, "stop")
	s.restarting = false
	return s.Service.Stop(ctx)
}

func (s *restartingService) Running(ctx context.Context) (bool, error) {
	if s.restarting {
		return false, &service.TransitionError{Service: "plex", State: "activating (auto-restart)"}
	}
	return s.Service.Running(ctx)
}

// recordingRestore notes when its store is put back.
type recordingRestore struct {
	stores.Store
	events *[]string
}

func (r recordingRestore) Restore(ctx context.Context, snap stores.Snapshot) error {
	*r.events = append(*r.events, "restore")
	return r.Store.Restore(ctx, snap)
}

// A server that its manager is restarting after a failed start is stopped before its
// file goes back: left alone, it could come up on the written file and write that back
// over the restored one when it next stops. (host.Service.Running counts a service
// between states as running, which is what makes the rollback stop it.)
func TestRollbackStopsAServiceBeingRestarted(t *testing.T) {
	dir := t.TempDir()
	prefs, up := filepath.Join(dir, "Preferences.xml"), filepath.Join(dir, "up")
	for _, p := range []string{prefs, up} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: exec, start: [touch, `+up+`], stop: [rm, -f, `+up+`], status: [test, -f, `+up+`]}
`)
	var events []string
	h.Services[0].Service = &restartingService{Service: h.Services[0].Service, events: &events}
	h.Stores[0].Store = recordingRestore{h.Stores[0].Store, &events}
	_, err := Apply(context.Background(), h, Options{Backups: &state.Dir{Path: filepath.Join(dir, "backups")}, Keep: 10})
	if f, ok := IsFailure(err); !ok || !f.RolledBack {
		t.Fatalf("err = %v, want a complete rollback", err)
	}
	if got, want := strings.Join(events, " "), "stop start stop restore start"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if got, _ := os.ReadFile(prefs); string(got) != prefsXML {
		t.Errorf("Preferences.xml after the rollback: %q", got)
	}
	if _, err := os.Stat(up); err != nil {
		t.Error("the server is not running again after the rollback")
	}
}
