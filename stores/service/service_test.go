package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/plexform/plexform/stores"
)

func TestNewChoosesManager(t *testing.T) {
	r := &fakeRunner{}
	for _, tc := range []struct {
		cfg      Config
		describe string
	}{
		{Config{Manager: "systemd", Unit: "plexmediaserver"}, "systemd unit plexmediaserver"},
		{Config{Manager: "snap", Unit: "plexmediaserver"}, "snap plexmediaserver"},
		{Config{Manager: "s6", Dir: "/run/service/svc-plex"}, "s6 /run/service/svc-plex"},
		{Config{Manager: "exec", Start: []string{"synopkg", "start", "PlexMediaServer"}, Stop: []string{"synopkg", "stop", "PlexMediaServer"},
			Status: []string{"synopkg", "is_onoff", "PlexMediaServer"}}, "exec (status: synopkg is_onoff PlexMediaServer)"},
	} {
		tc.cfg.Runner = r
		svc, err := New(tc.cfg)
		if err != nil {
			t.Errorf("New(%+v): %v", tc.cfg, err)
			continue
		}
		if got := svc.Describe(); got != tc.describe {
			t.Errorf("Describe = %q, want %q", got, tc.describe)
		}
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Manager: "upstart"}, `unknown service manager "upstart"; use one of: app, docker, exec, launchd, s6, snap, systemd, windows-app, windows-service`},
		{Config{Manager: "systemd"}, "needs a unit"},
		{Config{Manager: "snap"}, "needs a snap name"},
		{Config{Manager: "s6"}, "needs a service directory"},
		{Config{Manager: "exec", Start: []string{"x"}}, "needs a stop command"},
		{Config{Manager: "exec", Start: []string{"x"}, Stop: []string{"y"}, Status: []string{""}}, "needs a status command"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
}

// TestCommandLines pins the exact commands each manager runs.
func TestCommandLines(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{Manager: "systemd", Unit: "plexmediaserver"},
			[]string{"systemctl stop plexmediaserver", "systemctl reset-failed plexmediaserver", "systemctl start plexmediaserver", "systemctl is-active plexmediaserver"}},
		{Config{Manager: "snap", Unit: "plexmediaserver"},
			[]string{"snap stop plexmediaserver", "snap start plexmediaserver", "snap services plexmediaserver"}},
		{Config{Manager: "s6", Dir: "/run/service/svc-plex"},
			[]string{"s6-svc -d /run/service/svc-plex", "s6-svc -u /run/service/svc-plex", "s6-svstat /run/service/svc-plex"}},
		{Config{Manager: "exec", Start: []string{"svc", "up"}, Stop: []string{"svc", "down"}, Status: []string{"svc", "check"}},
			[]string{"svc down", "svc up", "svc check"}},
	} {
		r := &fakeRunner{}
		tc.cfg.Runner = r
		svc, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_ = svc.Stop(ctx)
		_ = svc.Start(ctx)
		_, _ = svc.Running(ctx)
		if diff := cmp.Diff(tc.want, r.calls); diff != "" {
			t.Errorf("%s: commands (-want +got):\n%s", tc.cfg.Manager, diff)
		}
	}
}

func TestFailedCommandNamesCommandAndStderr(t *testing.T) {
	r := &fakeRunner{answers: map[string]fakeAnswer{
		"systemctl stop plexmediaserver": {err: exit("systemctl stop plexmediaserver", 5, "Failed to stop plexmediaserver.service: Unit plexmediaserver.service not loaded.")},
	}}
	err := NewSystemd("plexmediaserver", r).Stop(context.Background())
	for _, want := range []string{"stop systemd unit plexmediaserver", "command systemctl stop plexmediaserver", "exit status 5", "not loaded"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// A start clears the unit's start counter first, so a rollback's start is not refused
// after the apply's own start and systemd's restarts used up Plex's StartLimitBurst=3
// (internal/systemdtest shows it with a real systemd). A unit that is not loaded makes
// reset-failed fail too; the start still runs and its error is the one reported.
func TestSystemdStartResetsFailedFirst(t *testing.T) {
	r := &fakeRunner{answers: map[string]fakeAnswer{
		"systemctl reset-failed plexmediaserver": {err: exit("systemctl reset-failed plexmediaserver", 1, "Failed to reset failed state of unit plexmediaserver.service: Unit plexmediaserver.service not loaded.")},
		"systemctl start plexmediaserver":        {err: exit("systemctl start plexmediaserver", 5, "Failed to start plexmediaserver.service: Unit plexmediaserver.service not found.")},
	}}
	err := NewSystemd("plexmediaserver", r).Start(context.Background())
	if diff := cmp.Diff([]string{"systemctl reset-failed plexmediaserver", "systemctl start plexmediaserver"}, r.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	for _, want := range []string{"start systemd unit plexmediaserver", "command systemctl start plexmediaserver", "not found"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "reset") {
		t.Errorf("the error names the reset-failed, not the start: %v", err)
	}
}

func TestSystemdRunning(t *testing.T) {
	const cmd = "systemctl is-active plexmediaserver"
	for _, tc := range []struct {
		out     string
		err     error
		want    bool
		wantErr error // nil, ErrTransitioning, or any error (errAny)
	}{
		{"active\n", nil, true, nil},
		{"reloading\n", nil, true, nil},
		{"inactive\n", exit(cmd, 3, ""), false, nil},
		{"failed\n", exit(cmd, 3, ""), false, nil},
		{"activating\n", exit(cmd, 3, ""), false, ErrTransitioning},
		{"deactivating\n", exit(cmd, 3, ""), false, ErrTransitioning},
		{"maintenance\n", exit(cmd, 3, ""), false, ErrTransitioning},
		{"something-new\n", nil, true, nil},
		{"something-new\n", exit(cmd, 3, ""), false, ErrTransitioning},
		{"", exit(cmd, 1, "Failed to connect to bus"), false, errAny},
		{"", notRun(cmd), false, errAny},
	} {
		r := &fakeRunner{answers: map[string]fakeAnswer{cmd: {tc.out, tc.err}}}
		got, err := NewSystemd("plexmediaserver", r).Running(context.Background())
		checkRunning(t, tc.out, got, err, tc.want, tc.wantErr)
	}
}

var errAny = errors.New("any error")

func checkRunning(t *testing.T, input string, got bool, err error, want bool, wantErr error) {
	t.Helper()
	switch {
	case wantErr == nil && err != nil:
		t.Errorf("%q: unexpected error %v", input, err)
	case wantErr == errAny && err == nil:
		t.Errorf("%q: want an error, got running=%v", input, got)
	case wantErr == errAny && errors.Is(err, ErrTransitioning):
		t.Errorf("%q: want a hard error, got transitional %v", input, err)
	case wantErr == ErrTransitioning && !errors.Is(err, ErrTransitioning):
		t.Errorf("%q: want a transitional state, got running=%v err=%v", input, got, err)
	case got != want:
		t.Errorf("%q: running=%v, want %v", input, got, want)
	}
}

func TestSystemdProperties(t *testing.T) {
	out := "User=plex\nGroup=plex\n" +
		`Environment=LANG=C "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plexmediaserver/Library/Application Support" TMPDIR=/tmp\x20x $'A=b\tc'` + "\n"
	r := &fakeRunner{answers: map[string]fakeAnswer{
		"systemctl show -p User -p Group -p Environment plexmediaserver": {out: out},
	}}
	user, group, env, err := NewSystemd("plexmediaserver", r).Properties(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := []string{"LANG=C", "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plexmediaserver/Library/Application Support", "TMPDIR=/tmp x", "A=b\tc"}
	if user != "plex" || group != "plex" || !cmp.Equal(env, wantEnv) {
		t.Errorf("Properties = %q %q %q", user, group, env)
	}

	// An unset User= (root) reads as empty, as systemd prints it.
	user, group, env, err = parseShow([]byte("User=\nGroup=\nEnvironment=\n"))
	if err != nil || user != "" || group != "" || len(env) != 0 {
		t.Errorf("empty properties: %q %q %q %v", user, group, env, err)
	}
	for _, bad := range []string{"no equals sign\n", `Environment="unterminated` + "\n", `Environment=A=\x4` + "\n"} {
		if _, _, _, err := parseShow([]byte(bad)); !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("parseShow(%q) = %v, want ErrMalformed", bad, err)
		}
	}
	// A unit may pass Plex a secret in Environment=: a line systemctl show printed is
	// never quoted back in an error.
	if _, _, _, err := parseShow([]byte("User=plex\nPLEX_CLAIM claim-SECRETSECRETSECRET\n")); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a line without = gives %v, want ErrMalformed without the line", err)
	}
}

func TestSnapRunning(t *testing.T) {
	const cmd = "snap services plexmediaserver"
	header := "Service                          Startup  Current   Notes\n"
	row := func(name, current string) string { return name + "  enabled  " + current + "  -\n" }
	for _, tc := range []struct {
		out     string
		err     error
		want    bool
		wantErr error
	}{
		{header + row("plexmediaserver.plexmediaserver", "active"), nil, true, nil},
		{header + row("plexmediaserver.plexmediaserver", "inactive"), nil, false, nil},
		{header + row("plexmediaserver.a", "active") + row("plexmediaserver.b", "inactive"), nil, false, ErrTransitioning},
		{header + row("plexmediaserver.a", "inactive") + row("plexmediaserver.b", "unknown"), nil, false, ErrTransitioning},
		{header + row("other.plexmediaserver", "active"), nil, false, errAny},
		{"no table here\n", nil, false, errAny},
		{"", exit(cmd, 1, `error: snap "plexmediaserver" not found`), false, errAny},
	} {
		r := &fakeRunner{answers: map[string]fakeAnswer{cmd: {tc.out, tc.err}}}
		got, err := NewSnap("plexmediaserver", r).Running(context.Background())
		checkRunning(t, tc.out, got, err, tc.want, tc.wantErr)
	}
}

func TestS6Running(t *testing.T) {
	const cmd = "s6-svstat /svc"
	for _, tc := range []struct {
		out     string
		want    bool
		wantErr error
	}{
		{"up (pid 123) 5 seconds\n", true, nil},
		{"up (pid 123 pgid 123) 5 seconds, normally down, paused, ready 4 seconds\n", true, nil},
		{"up (pid 123) 5 seconds, want down\n", false, ErrTransitioning},
		{"down (exitcode 0) 2 seconds, normally up, ready 2 seconds\n", false, nil},
		{"down (signal SIGTERM) 0 seconds, normally up, ready 0 seconds\n", false, nil},
		{"down (exitcode 1) 0 seconds, normally up, want up\n", false, ErrTransitioning},
		{"s6-svstat: fatal: unable to read status\n", false, errAny},
		{"", false, errAny},
	} {
		r := &fakeRunner{answers: map[string]fakeAnswer{cmd: {out: tc.out}}}
		got, err := NewS6("/svc", r).Running(context.Background())
		checkRunning(t, tc.out, got, err, tc.want, tc.wantErr)
	}
	r := &fakeRunner{answers: map[string]fakeAnswer{cmd: {err: exit(cmd, 111, "s6-svstat: fatal: unable to read status for /svc: s6-supervise not running")}}}
	if _, err := NewS6("/svc", r).Running(context.Background()); err == nil || !strings.Contains(err.Error(), "s6-supervise not running") {
		t.Errorf("unsupervised dir: %v", err)
	}
}

func TestExecRunningFromFakeExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err     error
		want    bool
		wantErr error
	}{
		{nil, true, nil},
		{exit("check", 3, ""), false, nil},
		{notRun("check"), false, errAny},
	} {
		r := &fakeRunner{answers: map[string]fakeAnswer{"check": {err: tc.err}}}
		svc, err := NewExec([]string{"up"}, []string{"down"}, []string{"check"}, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Running(context.Background())
		checkRunning(t, "check", got, err, tc.want, tc.wantErr)
	}
}

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{`A=1 "B=two words" 'C=x' $'D=\t' E=\x20`, `"`, `\`, `$'a\'b'`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitWords(s)
		if err != nil {
			return
		}
		// A list of words without quotes or escapes must split exactly on its spaces.
		if plainWords(s) {
			if want := strings.Fields(s); !cmp.Equal(words, want, cmpEmpty) {
				t.Fatalf("splitWords(%q) = %q, want %q", s, words, want)
			}
		}
	})
}

func plainWords(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' || c > '~' || strings.IndexByte(`"'\$`, c) >= 0 {
			return false
		}
	}
	return true
}

var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func FuzzParseShow(f *testing.F) {
	f.Add([]byte("User=plex\nGroup=plex\nEnvironment=A=1 \"B=2 3\"\n"))
	f.Add([]byte("User=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _, err := parseShow(data)
		if err != nil && !errors.Is(err, stores.ErrMalformed) {
			t.Fatalf("error not marked malformed: %v", err)
		}
	})
}

func FuzzParseSnapServices(f *testing.F) {
	f.Add([]byte("Service  Startup  Current  Notes\nplexmediaserver.plexmediaserver  enabled  active  -\n"))
	f.Add([]byte("Service Current\nplexmediaserver.x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		active, inactive, total, err := parseSnapServices(data, "plexmediaserver")
		if err != nil {
			return
		}
		if total == 0 || active < 0 || inactive < 0 || active+inactive > total {
			t.Fatalf("counts %d active + %d inactive of %d", active, inactive, total)
		}
	})
}

func FuzzParseS6Status(f *testing.F) {
	for _, s := range []string{"up (pid 1) 0 seconds", "down (exitcode 0) 1 seconds, want up", "up (pid 1) 0 seconds, want down", "upx", "down"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseS6Status(s)
		if err != nil {
			if !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("error not marked malformed: %v", err)
			}
			return
		}
		first := strings.Fields(s)[0]
		if st.up != (first == "up") {
			t.Fatalf("%q parsed as up=%v", s, st.up)
		}
	})
}
