package schedule

import (
	"strings"
	"testing"
)

// FuzzFindMarker: list reads the marker out of files in directories others may write
// (a crontab, a unit dir): any text gives a valid entry or none, never a panic.
func FuzzFindMarker(f *testing.F) {
	f.Add(ServiceUnit(oddJob))
	f.Add(Plist(oddJob, "/x.log", 0))
	f.Add(markerPrefix + `{"name":"a","plan":"/p","every":"1h0m0s"} -->`)
	f.Add(markerPrefix + `{"name":"a","every":"-5h"}`)
	f.Fuzz(func(t *testing.T, text string) {
		e, ok := findMarker(text)
		if ok && (CheckName(e.Name) != nil || e.Every.String() == "") {
			t.Errorf("findMarker accepted %+v", e)
		}
	})
}

// FuzzParseEnv: an env file's text parses into names and values or is refused by line
// number, never quoting it; what WriteEnvFile writes parses back.
func FuzzParseEnv(f *testing.F) {
	f.Add("PF_A=tok-SECRET\nPF_B=b=c d\n", "PF_X", "v")
	f.Add("=x\n", "A", "")
	f.Fuzz(func(t *testing.T, text, name, value string) {
		if env, err := parseEnv([]byte(text)); err != nil && strings.Contains(err.Error(), text) && text != "" && len(text) > 8 {
			t.Errorf("the error quotes the file: %v", err)
		} else if err == nil && env == nil {
			t.Error("no error and no map")
		}
		if name == "" || strings.ContainsAny(name, "=\n\x00") || strings.ContainsAny(value, "\n\x00") {
			return
		}
		env, err := parseEnv([]byte(name + "=" + value + "\n"))
		if err != nil || env[name] != value {
			t.Errorf("%q=%q read back as %v, %v", name, value, env, err)
		}
	})
}
