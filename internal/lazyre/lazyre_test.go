package lazyre

import (
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Each forwarded method must answer as the compiled expression does.
func TestForwardsToTheCompiledExpression(t *testing.T) {
	const expr = `(?i)(token=)([a-z0-9]+)`
	lazy, eager := New(expr), regexp.MustCompile(expr)
	for _, s := range []string{"", "no match", "a TOKEN=abc123 and token=xyz", "token="} {
		if got, want := lazy.MatchString(s), eager.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, want)
		}
		if got, want := lazy.Match([]byte(s)), eager.Match([]byte(s)); got != want {
			t.Errorf("Match(%q) = %v, want %v", s, got, want)
		}
		if got, want := lazy.FindString(s), eager.FindString(s); got != want {
			t.Errorf("FindString(%q) = %q, want %q", s, got, want)
		}
		if got, want := strings.Join(lazy.FindStringSubmatch(s), "|"), strings.Join(eager.FindStringSubmatch(s), "|"); got != want {
			t.Errorf("FindStringSubmatch(%q) = %q, want %q", s, got, want)
		}
		if got, want := len(lazy.FindSubmatch([]byte(s))), len(eager.FindSubmatch([]byte(s))); got != want {
			t.Errorf("FindSubmatch(%q): %d groups, want %d", s, got, want)
		}
		if got, want := lazy.ReplaceAllString(s, "${1}(masked)"), eager.ReplaceAllString(s, "${1}(masked)"); got != want {
			t.Errorf("ReplaceAllString(%q) = %q, want %q", s, got, want)
		}
		if got, want := lazy.ReplaceAllStringFunc(s, strings.ToUpper), eager.ReplaceAllStringFunc(s, strings.ToUpper); got != want {
			t.Errorf("ReplaceAllStringFunc(%q) = %q, want %q", s, got, want)
		}
	}
	if lazy.String() != expr || lazy.Regexp().String() != expr {
		t.Errorf("String() = %q, want %q", lazy.String(), expr)
	}
}

// Compiled once however many goroutines ask first (run with -race).
func TestCompiledOnce(t *testing.T) {
	r := New(`^a+$`)
	var wg sync.WaitGroup
	got := make([]*regexp.Regexp, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = r.Regexp() }()
	}
	wg.Wait()
	for i, g := range got {
		if g != got[0] {
			t.Fatalf("goroutine %d got another compiled expression", i)
		}
	}
}

func TestBadPatternPanicsOnFirstUse(t *testing.T) {
	r := New(`(`) // no panic here: nothing is compiled yet
	defer func() {
		if recover() == nil {
			t.Error("a bad pattern did not panic on first use")
		}
	}()
	r.MatchString("x")
}
