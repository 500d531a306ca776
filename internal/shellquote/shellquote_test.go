package shellquote

import (
	"os/exec"
	"testing"
)

// What sh reads back from a quoted word is the word itself, for the characters that
// break naive quoting.
func TestShellReadsBackTheWord(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("needs sh")
	}
	words := []string{"plain", "with space", "it's", `back\slash`, "$HOME", "`id`", "a'b'c", "", "semi;colon", "new\nline", "%percent"}
	for _, w := range words {
		for name, quoted := range map[string]string{"Quote": Quote(w), "Arg": Arg(w)} {
			out, err := exec.Command(sh, "-c", "printf %s "+quoted).Output()
			if err != nil {
				t.Fatalf("%s(%q): sh: %v", name, w, err)
			}
			if string(out) != w {
				t.Errorf("%s(%q) = %s; sh read it as %q", name, w, quoted, out)
			}
		}
	}
	out, err := exec.Command(sh, "-c", "for a in "+Join(words)+"; do printf '%s|' \"$a\"; done").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, w := range words {
		want += w + "|"
	}
	if string(out) != want {
		t.Errorf("Join: sh read %q, want %q", out, want)
	}
}

func TestArgLeavesASafePathBare(t *testing.T) {
	if got := Arg("/var/lib/plexform/backups"); got != "/var/lib/plexform/backups" {
		t.Errorf("Arg quoted a safe path: %s", got)
	}
	if got := Arg("/srv/plex data"); got != "'/srv/plex data'" {
		t.Errorf("Arg(%q) = %s", "/srv/plex data", got)
	}
}
