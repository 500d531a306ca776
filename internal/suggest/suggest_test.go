package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"plan", "apply", "validate", "-auto-approve"}
	for word, want := range map[string]string{
		"pln":          "plan",
		"aplpy":        "apply", // a swap of neighbours is one edit
		"valdiate":     "validate",
		"-auto-aprove": "-auto-approve",
		"frobnicate":   "",
	} {
		if got := Closest(word, known, 2); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
	if got := Closest("pxxn", known, 1); got != "" {
		t.Errorf("two edits away with maxEdits 1: got %q", got)
	}
}
