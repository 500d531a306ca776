package redact

import (
	"regexp"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"MyPlex: token=abc&x=1":                                 "MyPlex: token=(masked)&x=1",
		"MyPlex: signed in as jane":                             "MyPlex: signed in as (masked)",
		"401 for a@b.example":                                   "401 for (masked e-mail)",
		"GET /users?email=bob%40gmail.com 401":                  "GET /users?email=(masked e-mail) 401",
		"MyPlex: username=jane, 401":                            "MyPlex: username=(masked), 401",
		"key Ab3defghij0123456789 and s3cr3tvalue":              "key (masked) and (masked)",
		"device 5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b gone":  "device (masked) gone",
		"MyPlex: Error 401 (Unauthorized) refreshing the token": "MyPlex: Error 401 (Unauthorized) refreshing the token",
		"short ab stays":                                        "short ab stays",
	} {
		if got := Line(in, []string{"s3cr3tvalue", "ab"}); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLine: a known secret of letters and digits never survives, whatever surrounds it
// (seeds in testdata/fuzz/FuzzLine).
func FuzzLine(f *testing.F) {
	f.Add("MyPlex: Error 401 for jane <jane@example.com> X-Plex-Token=abcDEF1234567890xyzQ", "abcDEF1234567890xyzQ")
	f.Fuzz(func(t *testing.T, line, secret string) {
		got := Line(line, []string{secret})
		if len(secret) < 3 || !alnum.MatchString(secret) || strings.Contains("(masked e-mail)", secret) {
			return
		}
		if strings.Contains(got, secret) {
			t.Errorf("Line kept the known secret %q: %q", secret, got)
		}
	})
}

var alnum = regexp.MustCompile(`^[A-Za-z0-9]+$`)
