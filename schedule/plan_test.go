package schedule

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores/fileutil"
)

func decodeFile(t *testing.T, file string) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeText(t *testing.T, text string) *plan.Plan {
	t.Helper()
	p, err := plan.Decode("p.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The examples: every reset plan is refused, the plex_signin plan is not.
func TestResetReasonsOfTheExamples(t *testing.T) {
	for _, file := range []string{"plex-reset.yaml", "linux-reset.yaml", "macos-reset.yaml", "windows-reset.yaml", "plex-reset-and-claim.yaml"} {
		p := decodeFile(t, filepath.Join("..", "examples", file))
		var reasons []string
		for _, goos := range []string{"linux", "darwin", "windows"} {
			reasons = append(reasons, ResetReasons(p, goos)...)
		}
		if len(reasons) == 0 || !strings.Contains(reasons[0], "PlexOnlineToken") {
			t.Errorf("%s: reasons %q, want its removal of PlexOnlineToken", file, reasons)
		}
	}
	if r := ResetReasons(decodeFile(t, "../examples/plex-signin.yaml"), "linux"); len(r) != 0 {
		t.Errorf("plex-signin.yaml refused: %q", r)
	}
}

func TestResetReasons(t *testing.T) {
	const head = "version: 1\nresources:\n"
	for _, tc := range []struct {
		name, plan string
		want       string // "" when it is safe to schedule
	}{
		{"lower-case name", head + "  - {name: p, kind: plex_preferences, absent: [plexonlinetoken]}\n", "removes plexonlinetoken"},
		{"other values only", head + "  - {name: p, kind: plex_preferences, absent: [FriendlyName]}\n", ""},
		{"another OS's reset", head + "  - {name: p, kind: plex_preferences, absent: [PlexOnlineToken], when: {os: [windows]}}\n", ""},
		{"forced plex_signin", head + "  - {name: p, kind: plex_preferences, service: s}\n  - {name: s, kind: plex_service}\n" +
			"  - {name: i, kind: plex_signin, store: p, force: true, relink: {link_code: true}}\n", "force: true"},
	} {
		got := ResetReasons(decodeText(t, tc.plan), "linux")
		if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	msg := ResetRefusal("reset.yaml", []string{"prefs (line 3) removes PlexOnlineToken at every run"}).Error()
	for _, want := range []string{"reset.yaml is a reset plan", "sign the owner out at every run", "plex_signin", "-force"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q: %s", want, msg)
		}
	}
}

func TestEnvFile(t *testing.T) {
	p := decodeText(t, "version: 1\nresources:\n  - name: p\n    kind: plex_preferences\n    service: s\n    set:\n      A: {env: PF_A}\n      B: {env: PF_B}\n      C: {env: PF_A}\n"+
		"  - {name: s, kind: plex_service}\n  - {name: c, kind: plex_claim, token: {env: PF_CLAIM}, service: s}\n")
	if got := EnvNames(p); !slices.Equal(got, []string{"PF_A", "PF_B", "PF_CLAIM"}) {
		t.Errorf("EnvNames = %q", got)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "sched", "x.env")
	env := map[string]string{"PF_A": "tok-SECRET-1", "PF_B": "b=c d"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	_, err := WriteEnvFile(fileutil.Root{}, file, []string{"PF_A", "PF_B", "PF_CLAIM"}, getenv)
	if err == nil || !strings.Contains(err.Error(), "PF_CLAIM is not set") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a missing variable: %v", err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused env file was written")
	}
	env["PF_CLAIM"] = "line\nSECRET"
	if _, err := WriteEnvFile(fileutil.Root{}, file, []string{"PF_CLAIM"}, getenv); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a value with a newline: %v", err)
	}
	if wrote, err := WriteEnvFile(fileutil.Root{}, file, []string{"PF_A", "PF_B"}, getenv); err != nil || !wrote {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("env file: %v, %v; want mode 0600", err, fi)
	}
	got, err := ReadEnvFile(file)
	if err != nil || got["PF_A"] != "tok-SECRET-1" || got["PF_B"] != "b=c d" || len(got) != 2 {
		t.Errorf("ReadEnvFile = %v, %v", got, err)
	}
	// Open to others: refused, without quoting a value.
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvFile(file); err == nil || !strings.Contains(err.Error(), "0600") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a 0640 env file: %v", err)
	}
	// A link planted in its place is not followed.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("PF_A=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, file); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvFile(file); err == nil {
		t.Error("ReadEnvFile followed a symlink")
	}
	// No file where the schedule names one: an error naming it (a plan without {env:}
	// gets no -schedule-env, so nothing is read for it).
	if got, err := ReadEnvFile(filepath.Join(dir, "none.env")); err == nil || got != nil || !strings.Contains(err.Error(), "none.env is not there") {
		t.Errorf("a missing env file: %v, %v; want an error naming it", got, err)
	}
}

func TestStatusFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	backups := &state.Dir{Path: dir}
	want := Status{Name: "signin", Plan: "/p.yaml", Started: time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC), Finished: time.Date(2026, 12, 7, 18, 0, 5, 0, time.UTC),
		ExitCode: 5, Signin: "broken", SigninReason: "plex.tv rejects the stored token", Message: "sign-in broken\nneeds a person"}
	if err := WriteStatus(backups, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, StatusFile("signin")))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("status file: %v, %v; want 0600", err, fi)
	}
	got, err := ReadStatus(backups, "signin")
	want.FormatVersion, want.Message = statusFormat, "sign-in broken needs a person"
	if err != nil || *got != want {
		t.Errorf("ReadStatus = %+v, %v\nwant %+v", got, err, want)
	}
	// The list of backups does not take it for one.
	if list, err := backups.List(); err != nil || len(list) != 0 || len(backups.Problems()) != 0 {
		t.Errorf("backups lists %v, problems %v", list, backups.Problems())
	}
	if _, err := ReadStatus(backups, "other"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no status yet: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, StatusFile("forged")), []byte(`{"format_version":"1","name":"signin"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatus(backups, "forged"); err == nil {
		t.Error("a status file naming another schedule was taken")
	}
}
