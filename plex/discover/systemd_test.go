package discover

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`A=1 B=2`:                  {"A=1", "B=2"},
		`"A=with space" B=x`:       {"A=with space", "B=x"},
		`A=Application\x20Support`: {"A=Application Support"},
		`'A=single "kept"'`:        {`A=single "kept"`},
		`A=back\\slash B=\"q\"`:    {`A=back\slash`, `B="q"`},
		`  `:                       nil,
		`"A=unterminated`:          {"A=unterminated"},
		`A=tab\tand\snewline\n`:    {"A=tab\tand newline\n"},
		`A=\xZZ`:                   {"A=xZZ"},
		`A="x"y`:                   {"A=xy"},
	} {
		if got := splitWords(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseUnitSectionsCommentsContinuation(t *testing.T) {
	unit := "[Unit]\nUser=not-this\n[Service]\n# User=commented\n; User=also\nEnvironment=A=1 \\\n  B=2\nUser=plex\r\n[Install]\nUser=nor-this\n"
	got := parseUnit([]byte(unit))
	want := []directive{{Key: "Environment", Value: "A=1    B=2", Line: 6}, {Key: "User", Value: "plex", Line: 8}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseUnit = %+v\nwant %+v", got, want)
	}
}

func TestEmptyEnvironmentResets(t *testing.T) {
	u := &unit{Env: map[string]unitSetting{}}
	u.apply("", "a.service", parseUnit([]byte("[Service]\nEnvironment=X=1 Y=2\n")))
	u.apply("", "b.conf", parseUnit([]byte("[Service]\nEnvironment=\nEnvironment=Y=3\n")))
	if _, ok := u.Env["X"]; ok || u.Env["Y"].Value != "3" || u.Env["Y"].From != "b.conf" {
		t.Errorf("after a reset: %+v", u.Env)
	}
}

func TestParseEnvFile(t *testing.T) {
	got := parseEnvFile([]byte("# c\nA=1\r\nexport B=\"two words\"\n; c\nC='x'\nnot an assignment\n"))
	want := map[string]string{"A": "1", "B": "two words", "C": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseEnvFile = %v, want %v", got, want)
	}
}

// FuzzParseUnit feeds unit files and drop-ins to the parser and the Environment=
// splitter: they must never panic, and what they return must be well-formed.
func FuzzParseUnit(f *testing.F) {
	f.Add([]byte(debianUnit))
	f.Add([]byte("[Service]\nEnvironment=\"A=b c\" D=\\x20\nEnvironmentFile=-/etc/default/plex\nUser=plex\n"))
	f.Add([]byte("[Service]\nEnvironment=A=1 \\\n# comment inside\n B=2\\"))
	f.Add([]byte("[Service]\nEnvironment='unterminated\n[Service\nUser\n=\n\\x"))
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range parseUnit(data) {
			if strings.ContainsAny(d.Key, "\n=") {
				t.Fatalf("key %q holds a newline or =", d.Key)
			}
			if d.Line < 1 {
				t.Fatalf("directive %+v has no line number", d)
			}
			for _, w := range splitWords(d.Value) {
				if len(w) > len(d.Value) {
					t.Fatalf("word %q is longer than its line %q", w, d.Value)
				}
			}
			u := &unit{Env: map[string]unitSetting{}}
			u.apply(root, "f.conf", []directive{d})
			u.readEnvFiles(root)
		}
		parseEnvFile(data)
	})
}

// A unit's paths are host paths: "/.." must not climb out of -root.
func TestEnvironmentFileStaysInRoot(t *testing.T) {
	root := tree(t, map[string]string{
		"/etc/systemd/system/plexmediaserver.service": "[Service]\nEnvironmentFile=/../../../../../../inside.env\n",
		"/inside.env": "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/../data\n",
	})
	s, _, err := FindSettings(Options{Root: root, GOOS: "linux"})
	if err != nil || s.AppSupport != root+"/data" {
		t.Errorf("FindSettings = %+v, %v; want %s/data", s, err, root)
	}
}

// systemd gives EnvironmentFile= precedence over Environment=, wherever the lines stand
// (systemd.exec(5), and what systemd 252 does in internal/systemdtest): a drop-in's
// Environment= does not move the data dir the unit's EnvironmentFile sets. An empty
// EnvironmentFile= in a drop-in drops the unit's files, and with them their problems.
func TestEnvironmentFileOverridesEnvironment(t *testing.T) {
	const unitFile = "/usr/lib/systemd/system/plexmediaserver.service"
	const dropIn = "/etc/systemd/system/plexmediaserver.service.d/override.conf"
	for _, tc := range []struct {
		name, unit, dropIn, want, how string
	}{
		{"file over a later drop-in",
			"[Service]\nEnvironmentFile=/etc/conf.d/plexmediaserver\n",
			"[Service]\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/from-dropin\n",
			"/from-file", "through its EnvironmentFile"},
		{"file over an Environment= after it in the same file",
			"[Service]\nEnvironmentFile=/etc/conf.d/plexmediaserver\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/from-unit\n",
			"",
			"/from-file", "through its EnvironmentFile"},
		{"an empty EnvironmentFile= drops the unit's files",
			"[Service]\nEnvironmentFile=/etc/conf.d/plexmediaserver\nEnvironmentFile=/etc/missing\n",
			"[Service]\nEnvironmentFile=\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/from-dropin\n",
			"/from-dropin", "in the systemd unit's drop-in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				unitFile:                      tc.unit,
				"/etc/conf.d/plexmediaserver": "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/from-file\n",
				"/from-file/Plex Media Server/Preferences.xml":   "<Preferences/>",
				"/from-dropin/Plex Media Server/Preferences.xml": "<Preferences/>",
				"/from-unit/Plex Media Server/Preferences.xml":   "<Preferences/>",
			}
			if tc.dropIn != "" {
				files[dropIn] = tc.dropIn
			}
			root := tree(t, files)
			s, looked, err := FindSettings(Options{Root: root, GOOS: "linux"})
			if err != nil {
				t.Fatal(err)
			}
			if s.AppSupport != root+tc.want || !strings.Contains(s.How, tc.how) {
				t.Errorf("found %s (%s), want %s%s (%s)", s.AppSupport, s.How, root, tc.want, tc.how)
			}
			for _, l := range looked {
				if strings.Contains(l.Where, "missing") {
					t.Errorf("an EnvironmentFile a drop-in dropped is still reported: %+v", l)
				}
			}
		})
	}
}
